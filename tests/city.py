"""The city's today as the tests' gateways see it: their config's time zone (GatewayConfig's default)."""

from __future__ import annotations

from datetime import date

from gateway.clock import local_today as _local_today
from gateway.config import GatewayConfig

CITY_TZ = GatewayConfig().tz


def local_today() -> date:
    return _local_today(CITY_TZ)

