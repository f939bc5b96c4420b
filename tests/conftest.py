"""Fixtures shared by every test package, and the project's Hypothesis profile."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from keys import IssuerKey, TrustSet

# Hypothesis' deadline and too_slow health check are timing assertions: on a loaded 2-core
# machine they fail tests that are correct (a cold first example, a busy neighbour). The
# project never asserts on time, so both are off everywhere; the example counts stay as set.
settings.register_profile("qrgate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("qrgate")


@pytest.fixture
def issuer_key() -> IssuerKey:
    return IssuerKey.generate()


@pytest.fixture
def trust(issuer_key: IssuerKey) -> TrustSet:
    return TrustSet.of(issuer_key.public_key)
