"""qrgate keys: issuer keys, the signed pass format, signed gate documents and `decide`.

Imports nothing from gateway/, scanner/ or web/, and no I/O framework.
"""

from .authority import KeyAuthority, KeyEvent
from .decide import Decision, decide
from .documents import open_document, sign_document
from .errors import DocumentError, KeysError, KeyStoreError, PolicyError, PublicKeyError
from .holder import make_code
from .holderkey import HolderAlg, HolderKey
from .keyset import Accepted, KeySet, accept_keyset, fingerprint, load_keyset
from .keystore import IssuerKey, KeyStore
from .passes import PREFIX, SERIAL_LEN, IssuedPass, PassClaims, Status, issue_pass, mask_document
from .publickey import check_public_key
from .policy import HolderBinding, SiteKind, SitePolicy, load_policy, sign_policy
from .reasons import Reason, label
from .revocations import (
    RevocationIndex,
    RevocationList,
    load_partitioned,
    load_revocation_index,
    load_revocations,
    sign_revocation_index,
    sign_revocation_part,
    sign_revocations,
)
from .secret import Secret
from .trust import TrustSet, kid_for

__all__ = [
    "Accepted", "KeyAuthority", "KeyEvent", "KeySet", "accept_keyset", "fingerprint", "load_keyset",
    "Decision", "DocumentError", "HolderAlg", "HolderBinding", "HolderKey", "IssuedPass", "IssuerKey",
    "KeyStore", "KeyStoreError", "KeysError",
    "PREFIX", "PassClaims", "PolicyError", "PublicKeyError", "check_public_key", "Reason", "RevocationIndex", "RevocationList", "SERIAL_LEN", "Secret",
    "SiteKind", "SitePolicy", "Status", "TrustSet", "decide", "issue_pass", "kid_for", "label",
    "load_partitioned", "load_policy", "load_revocation_index", "load_revocations", "make_code", "mask_document", "open_document", "sign_document",
    "sign_policy", "sign_revocation_index", "sign_revocation_part", "sign_revocations",
]
