"""The words of the web pages in Chinese (default) and English."""

from __future__ import annotations

from datetime import date
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
LANG_COOKIE = "qg_lang"

_WORDS: dict[str, tuple[str, str]] = {
    "pass_title": ("通行证", "Access pass"),
    "status_green": ("绿码 可以通行", "GREEN — may pass"),
    "status_yellow": ("黄码 限制通行", "YELLOW — restricted"),
    "status_red": ("红码 禁止通行", "RED — no entry"),
    "status_quarantine": ("隔离中 暂不可通行", "IN QUARANTINE — not yet"),
    "revoked": ("已作废", "REVOKED"),
    "revoked_hint": ("此通行码已作废，不能使用。请联系社区工作人员。",
                     "This pass is revoked and cannot be used. Please contact your community office."),
    "expired": ("已过期", "EXPIRED"),
    "expired_hint": ("此通行码已过期。请联系社区工作人员换发。",
                     "This pass has expired. Please ask your community office for a new one."),
    "document": ("证件号", "Document"),
    "valid_until": ("有效期至", "Valid until"),
    "serial": ("编号", "Serial"),
    "show_at_gate": ("在门口出示此码", "Show this code at the gate"),
    "offline": ("离线：显示已保存的通行证", "Offline: showing the saved pass"),
    "updated": ("已更新为最新通行证", "Updated to your newest pass"),
    "print_card": ("打印纸质通行卡", "Print a paper card"),
    "download_pdf": ("下载 PDF 通行卡", "Download the PDF card"),
    "switch_lang": ("English", "中文"),
    "paper_note": ("以门口扫码结果为准", "The scan at the gate decides"),
    "holder_intro": ("在本机启用实时通行码：截图无法冒用，离线也能使用。",
                     "Use the live code on this phone: a screenshot cannot be used by anyone else, and it works offline."),
    "holder_bind": ("在本机启用实时通行码", "Use the live code on this phone"),
    "holder_live": ("实时通行码 · 自动更新，请勿截图", "Live code · changes by itself, a screenshot will not work"),
    "holder_moved": ("实时通行码已在另一部手机上启用。在本机启用后，另一部手机的码将失效。",
                     "The live code is on another phone. Turning it on here turns it off there."),
    "holder_clock": ("手机时间相差 {s} 秒，已按服务器时间校正。请在设置中开启自动时间。",
                     "This phone's clock is {s} s off; the code uses the server's time. Turn on automatic time."),
    "holder_failed": ("无法启用实时通行码：", "Could not turn on the live code:"),
    "holder_unsupported": ("此浏览器不支持实时通行码，请使用纸质通行卡或更新浏览器。",
                           "This browser cannot make live codes: use the paper card or update the browser."),
    "family_me": ("本人", "Me"),
    "family_tabs": ("家人通行证", "Family passes"),
    "family_held": ("代为持有", "Held for"),
    "no_pass": ("尚未签发通行证", "No pass issued yet"),
    "no_pass_hint": ("请联系社区工作人员为其签发通行证。", "Ask the community office to issue one."),
    "not_found": ("找不到此通行证", "Pass not found"),
    "not_found_hint": ("链接无效或已失效。请联系社区工作人员。",
                       "The link is wrong or no longer valid. Please contact your community office."),
}


def pick(lang: str | None) -> Lang:
    """A supported language, falling back to Chinese."""
    return "en" if lang == "en" else DEFAULT_LANG


def words(lang: Lang) -> dict[str, str]:
    """Every word of the pages in one language, for templates and page scripts."""
    index = 1 if lang == "en" else 0
    return {key: pair[index] for key, pair in _WORDS.items()}


def short_date(day: date, lang: Lang) -> str:
    """2月14日 / 14 Feb."""
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {day.strftime('%b')}"


def countdown(today: date, start: date, end: date, lang: Lang) -> str | None:
    """'第5天/共14天 — 2月14日起可通行', or None once the quarantine is over."""
    if today >= end:
        return None
    total = max((end - start).days, 1)
    day = min(max((today - start).days + 1, 1), total)
    when = short_date(end, lang)
    if lang == "zh":
        return f"第{day}天/共{total}天 — {when}起可通行"
    return f"day {day} of {total} — you may pass from {when}"
