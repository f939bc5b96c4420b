"""The client's address: the peer, or what a configured trusted proxy says in X-Forwarded-For.

Only proxies named in `trusted_proxies` are believed; anyone else can write any X-Forwarded-For.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=64)
def networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    """The trusted proxies as networks; a plain address is a network of one."""
    return tuple(ipaddress.ip_network(t.strip(), strict=False) for t in trusted if t.strip())


def check_trusted(trusted: Iterable[str]) -> tuple[str, ...]:
    """The setting as given, or ValueError naming the entry that is not an address or network."""
    found = tuple(t.strip() for t in trusted if t.strip())
    for item in found:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"trusted proxy {item!r} is not an IP address or network") from None
    return found


def _trusted(address: str, nets: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_address(remote: str | None, forwarded_for: str | None, trusted: tuple[str, ...]) -> str:
    """Walk X-Forwarded-For from the right while each hop is a trusted proxy; the first other hop
    is the client. A malformed hop ends the walk at the last trusted proxy."""
    peer = remote or "unknown"
    nets = networks(trusted)
    if not nets or not forwarded_for or not _trusted(peer, nets):
        return peer
    current = peer
    for hop in reversed(forwarded_for.split(",")[-32:]):
        hop = hop.strip()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return current
        if not _trusted(hop, nets):
            return hop
        current = hop
    return current
