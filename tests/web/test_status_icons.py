"""The resident page's icon comes from one source for the server render and the offline redraw (#10 part 9)."""

from __future__ import annotations

import re
from pathlib import Path

from web.passview import PassState

WEB = Path(__file__).resolve().parents[2] / "web"
ICONS = {"icon-ok", "icon-warn", "icon-stop"}


def _shown_icons() -> dict[str, set[str]]:
    """state → the icon classes resident.css displays for it."""
    css = (WEB / "static" / "resident.css").read_text(encoding="utf-8")
    shown: dict[str, set[str]] = {}
    for selectors in re.findall(r"([^{}]+)\{\s*display:\s*inline;\s*\}", css):
        for selector in selectors.split(","):
            match = re.fullmatch(r"\s*\.status-([a-z]+) \.(icon-[a-z]+)\s*", selector)
            assert match, f"unexpected icon selector {selector!r}"
            shown.setdefault(match.group(1), set()).add(match.group(2))
    return shown


def test_every_state_shows_exactly_one_icon() -> None:
    shown = _shown_icons()
    assert set(shown) == {s.value for s in PassState}
    for state, icons in shown.items():
        assert len(icons) == 1 and icons <= ICONS, state
    # colour-blind safe: a usable state never shares its shape with an unusable one
    assert shown["green"] != shown["red"] and shown["green"] != shown["quarantine"]


def test_the_page_carries_every_shape_and_the_script_only_sets_the_state() -> None:
    template = (WEB / "templates" / "_status.html").read_text(encoding="utf-8")
    assert set(re.findall(r'class="icon (icon-[a-z]+)"', template)) == ICONS
    assert "{% if" not in template  # no state-dependent markup the offline redraw could not repeat
    script = (WEB / "static" / "resident.js").read_text(encoding="utf-8")
    assert 'status.className = "status status-" + state;' in script
    assert "icon" not in script.replace("status-icon", "")
