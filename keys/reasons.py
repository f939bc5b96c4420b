"""Reason codes for a gate decision, with the words a guard reads (zh / en)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class Reason(StrEnum):
    OK = "ok"
    UNREADABLE = "unreadable"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    KEY_WITHDRAWN = "key_withdrawn"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    QUARANTINE = "quarantine"
    STATUS_RED = "status_red"
    STATUS_YELLOW = "status_yellow"
    NOT_CLEARED = "not_cleared"
    WRONG_SITE = "wrong_site"
    SITE_CLOSED = "site_closed"
    FEVER = "fever"
    STALE_DATA = "stale_data"
    TEMPERATURE_REQUIRED = "temperature_required"
    DUPLICATE = "duplicate"  # decided by the scanner's anti-passback, not by decide()
    # holder-bound codes (QG2) and the site's holder_binding policy
    BAD_HOLDER_SIGNATURE = "bad_holder_signature"
    CODE_EXPIRED = "code_expired"
    CODE_NOT_YET_VALID = "code_not_yet_valid"
    CODE_REPLAYED = "code_replayed"
    BINDING_REQUIRED = "binding_required"
    # road checkpoints (directive §二 10): a non-resident with neither a pass nor an identity document
    NO_DOCUMENT = "no_document"


LABELS: dict[Reason, tuple[str, str]] = {
    Reason.OK: ("可以通行", "Allowed"),
    Reason.UNREADABLE: ("不是有效的通行码", "Not a qrgate pass"),
    Reason.BAD_SIGNATURE: ("通行码被篡改或伪造", "Pass is forged or altered"),
    Reason.UNKNOWN_KEY: ("签发密钥不可信", "Issuer key not trusted"),
    Reason.KEY_WITHDRAWN: ("签发密钥已停用，请领取新通行证", "Issuer key withdrawn: get a new pass"),
    Reason.REVOKED: ("通行码已作废", "Pass revoked"),
    Reason.EXPIRED: ("通行码已过期", "Pass expired"),
    Reason.NOT_YET_VALID: ("通行码尚未生效", "Pass not yet valid"),
    Reason.QUARANTINE: ("隔离期内", "In quarantine"),
    Reason.STATUS_RED: ("红码：禁止通行", "Red status: no entry"),
    Reason.STATUS_YELLOW: ("黄码：禁止通行", "Yellow status: no entry"),
    Reason.NOT_CLEARED: ("未经医学观察解除", "Not cleared by medical observation"),
    Reason.WRONG_SITE: ("非本单位/本社区人员", "Not registered for this site"),
    Reason.SITE_CLOSED: ("尚未获准复工/开放", "Site not yet allowed to open"),
    Reason.FEVER: ("体温异常：请复测并送医", "Fever: re-measure and refer"),
    Reason.STALE_DATA: ("无法核验：数据过旧，请联网同步", "Cannot verify: data too old, sync needed"),
    Reason.TEMPERATURE_REQUIRED: ("请先测量体温", "Take the temperature first"),
    Reason.DUPLICATE: ("刚刚已通行，疑似共用通行码", "Already admitted just now"),
    Reason.BAD_HOLDER_SIGNATURE: ("非本机通行码：疑似冒用", "Code not made by the pass holder's phone"),
    Reason.CODE_EXPIRED: ("请出示手机上的实时通行码", "Show the live code on the phone"),
    Reason.CODE_NOT_YET_VALID: ("手机时间不准：请校准后出示实时通行码",
                                "Phone clock is ahead: set it right and show the live code"),
    Reason.CODE_REPLAYED: ("此码已使用：请出示手机上的实时通行码", "Code already used: show the live code"),
    Reason.BINDING_REQUIRED: ("本场所只认手机实时通行码", "This site admits only the live phone code"),
    Reason.NO_DOCUMENT: ("非本市人员无有效证件：禁止进入", "Not a resident and no identity document: no entry"),
}

# shown beside an "allowed" when a site prefers holder-bound codes and a static (paper) pass was read
STATIC_PASS_NOTICE = ("纸质/静态码：请核对身份证", "static code: check the ID card")


def label(reason: Reason, *, until: date | None = None) -> tuple[str, str]:
    """The (Chinese, English) words for a reason; quarantine names the day entry opens."""
    zh, en = LABELS[reason]
    if reason is Reason.QUARANTINE and until is not None:
        zh = f"隔离期内，{until.month}月{until.day}日起可通行"
        en = f"In quarantine until {until.day} {until.strftime('%b')}"
    return zh, en
