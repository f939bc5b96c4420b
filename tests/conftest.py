"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest

from keys import IssuerKey, TrustSet


@pytest.fixture
def issuer_key() -> IssuerKey:
    return IssuerKey.generate()


@pytest.fixture
def trust(issuer_key: IssuerKey) -> TrustSet:
    return TrustSet.of(issuer_key.public_key)
