"""Signed documents for gates (revocation lists, site policies, bundles): COSE_Sign1 over CBOR."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cbor2

from . import cose
from .errors import DocumentError
from .keystore import IssuerKey
from .passes import MAX_TIME
from .trust import TrustSet

D_TYPE, D_ISSUED_AT, D_BODY = 1, 2, 3
MAX_DOCUMENT = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class OpenedDocument:
    doc_type: str
    issued_at: datetime
    body: Any
    kid: bytes


def sign_document(key: IssuerKey, doc_type: str, body: Any, *, issued_at: datetime) -> bytes:
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    payload = cbor2.dumps({D_TYPE: doc_type, D_ISSUED_AT: int(issued_at.timestamp()), D_BODY: body})
    protected = cose.encode_protected(key.kid)
    return cose.assemble(protected, payload, key.sign(cose.sig_structure(protected, payload)))


def open_document(data: bytes, trust: TrustSet, doc_type: str) -> OpenedDocument:
    """Verify and read a signed document; raise DocumentError on anything wrong."""
    if not isinstance(data, bytes) or len(data) > MAX_DOCUMENT:
        raise DocumentError(f"{doc_type}: not a document of acceptable size")
    try:
        sign1 = cose.parse(data)
    except cose.CoseFormatError as exc:
        raise DocumentError(f"{doc_type}: {exc}") from None
    if cose.assemble(sign1.protected_raw, sign1.payload, sign1.signature) != data:
        # one document, one encoding: trailing bytes, an untagged or re-encoded form, extra headers
        raise DocumentError(f"{doc_type}: not in the one encoding qrgate signs (trailing or altered bytes)")
    key = trust.get(sign1.kid)
    if key is None and sign1.kid in trust.withdrawn:
        raise DocumentError(f"{doc_type}: signed by withdrawn key {sign1.kid.hex()}")
    if key is None:
        raise DocumentError(f"{doc_type}: signed by unknown key {sign1.kid.hex()}")
    if not sign1.verify(key):
        raise DocumentError(f"{doc_type}: bad signature")
    try:
        payload = cbor2.loads(sign1.payload)
    except Exception:
        raise DocumentError(f"{doc_type}: payload is not CBOR") from None
    if not isinstance(payload, dict) or payload.get(D_TYPE) != doc_type:
        raise DocumentError(f"expected a {doc_type} document")
    issued = payload.get(D_ISSUED_AT)
    if not isinstance(issued, int) or isinstance(issued, bool) or not 0 <= issued < MAX_TIME:
        raise DocumentError(f"{doc_type}: bad issued-at time")
    return OpenedDocument(doc_type, datetime.fromtimestamp(issued, UTC), payload.get(D_BODY), sign1.kid)
