"""Scanner fixtures: a device data folder holding real signed documents, without a gateway."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keys import IssuerKey, TrustSet
from keys.documents import sign_document

sys.path.insert(0, str(Path(__file__).parent))  # frames.py, gatewayproc.py

from offline_gate import SITE, OfflineGate, make_policy  # noqa: E402,F401


@pytest.fixture
def offline(tmp_path: Path, issuer_key: IssuerKey) -> OfflineGate:
    gate = OfflineGate(tmp_path / "gate", issuer_key)
    gate.bundle()
    return gate


@pytest.fixture
def keys_doc() -> Callable[[IssuerKey, TrustSet], bytes]:
    def make(signer: IssuerKey, trust: TrustSet) -> bytes:
        return sign_document(signer, "qrgate/trust", trust.to_jwks(), issued_at=datetime.now(UTC))
    return make
