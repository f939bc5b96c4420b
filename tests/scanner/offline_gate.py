"""An offline gate: a device data folder holding real signed documents, without a gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from keys import IssuerKey, PassClaims, SitePolicy, TrustSet, issue_pass, sign_policy, sign_revocations
from keys.secret import Secret
from scanner.state import Device, DeviceState

SITE = "NORTH1"


def make_policy(**overrides: object) -> SitePolicy:
    body: dict[str, object] = {"kind": "community", "site": SITE, "communities": ["C1"]}
    body.update(overrides)
    return SitePolicy.from_json(body)


class OfflineGate:
    """A device folder as a sync would leave it, signed by `key`; no network involved."""

    def __init__(self, folder: Path, key: IssuerKey) -> None:
        self.folder, self.key = folder, key
        self.state = DeviceState(folder)
        device = Device(gateway="http://127.0.0.1:9", device_id="dev_test", site=SITE, name="t",
                        credential=Secret("qgd_test"))
        self.state.save_device(device, TrustSet.of(key.public_key).to_jwks())

    def bundle(self, *, revoked: tuple[bytes, ...] = (), issued_at: datetime | None = None,
               offset: float = 0.0, **policy: object) -> None:
        issued_at = issued_at or datetime.now(UTC)
        rev = sign_revocations(self.key, revoked, seq=1, issued_at=issued_at)
        pol = sign_policy(self.key, make_policy(**policy), issued_at=issued_at)
        self.state.save_bundle([rev], pol, synced_at=issued_at, clock_offset=offset)

    def issue(self, *, valid_for: timedelta = timedelta(days=7), now: datetime | None = None,
              **claims: object) -> str:
        fields: dict[str, object] = {"name": "张三", "document": "1234", "community": "C1"}
        fields.update(claims)
        return issue_pass(self.key, PassClaims(**fields), now=now or datetime.now(UTC) - timedelta(hours=1),
                          valid_for=valid_for).qr_text  # type: ignore[arg-type]
