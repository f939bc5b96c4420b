"""Gateway settings: each declared once, with its default and help (documented in docs/gateway.md)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


DATABASE_ENV = "QRGATE_DATABASE"
TIMEZONE_ENV = "QRGATE_TIMEZONE"
DEFAULT_TIMEZONE = "Asia/Shanghai"  # Kunshan's
# the rules that can make a major-event report (gateway/major_events.py says what each matches)
MAJOR_EVENT_RULES = ("school_fever", "checkpoint_key_area", "checkpoint_fever", "broken_chain", "shared_pass")


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class GatewayConfig:
    data_dir: Path = _setting(Path("data"), "Data folder: SQLite database, issuer keys, data key.")
    database_url: str | None = _setting(
        None, "PostgreSQL URL (`postgresql://user@host/db`, or `QRGATE_DATABASE`); unset: the SQLite "
              "file `gateway.sqlite3` in the data folder.")
    database_pool_size: int = _setting(10, "PostgreSQL: most connections one gateway process opens.")
    host: str = _setting("127.0.0.1", "Address `qrgate serve` listens on.")
    port: int = _setting(8080, "Port `qrgate serve` listens on.")
    public_url: str | None = _setting(
        None, "Base URL gates and residents reach the gateway at (default http://HOST:PORT).")
    timezone: str = _setting(
        DEFAULT_TIMEZONE, "The city's IANA time zone (`--timezone` or `QRGATE_TIMEZONE`): today's date, the console's "
                          "times, the city's daily report, and the zone a new site's policy starts with.")
    quarantine_days: int = _setting(14, "Days of quarantine after arriving from a key area.")
    health_fever_threshold: float = _setting(
        37.3, "A daily health check at or above this temperature (°C) is abnormal.")
    health_symptoms: tuple[str, ...] = _setting(
        ("发热", "咳嗽", "乏力", "咽痛", "呼吸困难", "腹泻", "嗅觉减退", "味觉减退", "fever", "cough", "fatigue",
         "sore throat", "shortness of breath", "diarrhoea", "loss of smell", "loss of taste"),
        "Symptoms that make a daily health check abnormal (compared after NFKC, ignoring case).")
    health_abnormal_status: str = _setting(
        "yellow", "Status an abnormal health check gives a green person (yellow, red, or '' for none).")
    pass_validity_days: int = _setting(30, "How long an issued pass is valid.")
    retention_days: int = _setting(28, "Entry logs older than this many days are purged.")
    purge_interval_seconds: int = _setting(3600, "How often the retention purge runs.")
    shared_pass_minutes: int = _setting(
        30, "Same pass allowed at two different sites within this window raises `shared_pass`.")
    enrolment_ttl_seconds: int = _setting(900, "Default lifetime of a device enrolment token.")
    max_body_bytes: int = _setting(2 * 1024 * 1024, "Largest accepted request body (413 above).")
    max_entries_per_batch: int = _setting(1000, "Largest entry batch a device may upload.")
    rebind_limit: int = _setting(
        3, "Times a resident may bind a phone from the resident link per `rebind_window_days` (then a worker resets it).")
    rebind_window_days: int = _setting(7, "The window of `rebind_limit`, in days.")
    code_period_seconds: int = _setting(30, "Seconds between two rotating codes on the resident's phone (QG2).")
    city_region_prefix: str = _setting(
        "320583", "GB/T 2260 code of the city (Kunshan): an ID number starting with it is a resident's.")
    fever_clinic: str = _setting(
        "昆山市第一人民医院发热门诊", "The designated fever clinic a checkpoint referral names when the record names none.")
    handover_ack_minutes: int = _setting(
        30, "A checkpoint hand-over or referral not acknowledged within this many minutes is overdue.")
    handover_close_hours: int = _setting(
        24, "A checkpoint hand-over or referral not closed within this many hours is overdue.")
    webhook_interval_seconds: float = _setting(
        5.0, "How often the webhook job sends the deliveries that are due (one node of the city at a time).")
    major_event_rules: tuple[str, ...] = _setting(
        ("school_fever", "checkpoint_key_area", "broken_chain", "shared_pass"),
        "Rules that make a major-event report (重大事项报告): any of " + ", ".join(MAJOR_EVENT_RULES) + ".")
    login_max_failures: int = _setting(
        5, "Failed console logins of one account from one client before a lockout starts"
           " (3× for one account from anywhere, 10× for one client on any account).")
    trusted_proxies: tuple[str, ...] = _setting(
        (), "Addresses or networks of reverse proxies whose X-Forwarded-For names the client (default: none).")
    login_lockout_seconds: int = _setting(
        60, "First lockout; doubles with each further failure, capped at one hour.")
    desk_lookup_limit: int = _setting(
        30, "Desk look-ups (服务台) one account may make in a row; the allowance refills at this many per "
            "`desk_lookup_window_seconds` (one every 20 s by default), and past it the desk gets 429.")
    desk_lookup_window_seconds: int = _setting(
        600, "The time in which a desk's whole allowance (`desk_lookup_limit`) refills, in seconds.")

    def __post_init__(self) -> None:
        check_timezone(self.timezone)
        for name in ("desk_lookup_limit", "desk_lookup_window_seconds"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, not {getattr(self, name)!r}")
        unknown = sorted(set(self.major_event_rules) - set(MAJOR_EVENT_RULES))
        if unknown:
            raise ValueError(f"major_event_rules: unknown rule(s) {', '.join(unknown)}; "
                             f"the rules are {', '.join(MAJOR_EVENT_RULES)}")

    @classmethod
    def for_data_dir(cls, path: Path | str, **overrides: Any) -> GatewayConfig:
        return replace(cls(data_dir=Path(path)), **overrides)

    @property
    def tz(self) -> ZoneInfo:
        """The city's time zone (checked when the config was made)."""
        return ZoneInfo(self.timezone)

    @property
    def database(self) -> Path:
        return self.data_dir / "gateway.sqlite3"

    @property
    def database_target(self) -> str | Path:
        """What `Database.open` opens: the PostgreSQL URL if one is set, else the SQLite file."""
        return self.database_url or self.database

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def data_key(self) -> Path:
        return self.data_dir / "data.key"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def check_timezone(name: str) -> ZoneInfo:
    """The zone `name` names; ValueError with one line saying what is wrong otherwise."""
    try:
        if not name or name != name.strip() or len(name) > 64:  # 64: what a site policy accepts
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValueError(f"{name!r} is not a time zone: give an IANA name such as {DEFAULT_TIMEZONE} "
                         "or UTC") from None


def settings() -> list[tuple[str, Any, str]]:
    """(name, default, help) for every setting."""
    return [(f.name, f.default, f.metadata["help"]) for f in fields(GatewayConfig)]
