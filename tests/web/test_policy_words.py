"""Every sentence keys/policy.py can raise reaches a site form in the worker's words: in Chinese on a zh
page, in English on an en page, the field named by its label (web/labels.py `policy_field`).

The cases are data: one bad value per way a field can be wrong. A test walks keys/policy.py's own
`PolicyError(...)` raises and checks that each is produced by some case, so a new sentence there fails
here until it has a case, and then until it has Chinese words."""

from __future__ import annotations

import ast
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.errors import InvalidInput
from gateway.sites import policy_invalid
from keys import PolicyError, SitePolicy
from web import labels

ROOT = Path(__file__).resolve().parents[2]
NOT_A_POLICY = object()  # the case whose policy is not a JSON object at all

CASES: list[tuple[str, Any]] = [
    ("policy", NOT_A_POLICY), ("colour", "red"),
    ("kind", "castle"), ("site", ""), ("site", "S\n1"),
    ("communities", "C1"), ("communities", ["bad\ncode"]), ("employers", ["E" * 65]), ("schools", [""]),
    ("schools", ["S"] * 1001),
    ("visitors", "yes"), ("require_cleared", 1), ("allow_reentry", "no"), ("require_temperature", 1),
    ("resumption_required", "y"), ("resumption_approved", 0),
    ("timezone", 8), ("timezone", "Mars/Olympus"), ("timezone", "../etc"),
    ("open_from", "明早八点"), ("open_from", 20200216),
    ("fever_threshold", 50), ("fever_threshold", "hot"), ("fever_threshold", True),
    ("max_data_age", 10), ("max_data_age", 1.5), ("passback_minutes", -1), ("holder_binding", "always"),
    ("code_max_age", 4000), ("code_max_ahead", -5), ("fever_hold_minutes", 20000),
]


def _refusal(field: str, value: Any) -> tuple[PolicyError, InvalidInput]:
    body: object = [] if value is NOT_A_POLICY else {"kind": "community", "site": "S1", field: value}
    with pytest.raises(PolicyError) as raised:
        SitePolicy.from_json(body)
    assert raised.value.field == field
    return raised.value, policy_invalid(raised.value)


@pytest.mark.parametrize(("field", "value"), CASES, ids=[f"{f}={v!r}"[:40] for f, v in CASES])
def test_each_policy_sentence_has_words_naming_the_field(field: str, value: Any) -> None:
    keys_error, error = _refusal(field, value)
    assert error.field == ("policy" if field == "policy" else f"policy.{field}")
    zh = labels.error_text(error.message, error.field, "zh-CN", "InvalidInput")
    assert not zh.endswith(keys_error.message), zh  # not the English after a Chinese lead
    assert "的格式不对" not in zh  # nor the catch-all for a shape nobody worded
    assert not re.search(r"[A-Za-z]{4,}", zh.replace("Asia/Shanghai", "").replace("JSON", "")
                         .replace(field, "").replace(str(value), "")), zh
    word = labels.field_word(error.field)
    if field in labels.codes("policy_field") or field == "policy":
        assert word != "此项" and re.sub(r"\s*(°C|（.*）)$", "", word) in zh, zh
    else:
        assert field in zh  # an unknown field is shown as it was written

    en = labels.error_text(error.message, error.field, "en")
    assert en.endswith(keys_error.message)
    if field in labels.codes("policy_field"):
        assert en == f"{labels.label('policy_field', field, 'en')}: {keys_error.message}"


def _shape(node: ast.expr) -> str:
    """A raise's message as a regex: its formatted values match anything."""
    if isinstance(node, ast.Constant):
        return re.escape(node.value)
    assert isinstance(node, ast.JoinedStr), ast.dump(node)
    return "".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in node.values)


def test_the_cases_reach_every_sentence_keys_policy_can_raise() -> None:
    tree = ast.parse((ROOT / "keys" / "policy.py").read_text(encoding="utf-8"))
    shapes = [_shape(node.args[1]) for node in ast.walk(tree) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Name) and node.func.id == "PolicyError"]
    assert len(shapes) >= 15  # the walk found the raises
    produced = [_refusal(field, value)[0].message for field, value in CASES]
    assert [s for s in shapes if not any(re.fullmatch(s, m) for m in produced)] == []
    policy_fields = {f.name for f in fields(SitePolicy) if f.init}
    assert policy_fields - {field for field, _ in CASES} == set()  # every field has a bad value
    assert policy_fields <= set(labels.codes("policy_field"))  # and a label on the site forms


async def test_a_bad_opening_time_is_shown_at_its_field_in_chinese_and_kept(client: TestClient,
                                                                             admin: str) -> None:
    form = {"csrf_token": admin, "code": "HY-1", "name": "和谐小区", "kind": "community",
            "communities": "C1", "open_from": "明早八点"}
    resp = await client.post("/console/sites", data=form)
    text = await resp.text()
    assert resp.status == 422
    assert '<p class="field-error" id="err-open_from" role="alert">开放时间须为日期或日期加时间' in text
    assert 'value="明早八点"' in text and 'value="C1"' in text and "must be" not in text
    resp = await client.post("/console/sites?lang=en", data=form)
    text = await resp.text()
    assert resp.status == 422
    assert 'id="err-open_from" role="alert">Opening time: must be an ISO 8601 date or date-time' in text

    resp = await client.post("/console/sites", data={**form, "open_from": ""}, allow_redirects=False)
    assert resp.status == 303
    edit = {"csrf_token": admin, "name": "和谐小区", "communities": "C1,C2", "open_from": "soon",
            "fever_threshold": "37.5", "passback_minutes": "5"}
    resp = await client.post("/console/sites/HY-1/edit", data=edit)
    text = await resp.text()
    assert resp.status == 422
    assert 'id="err-open_from" role="alert">开放时间须为日期或日期加时间' in text
    assert 'value="soon"' in text and 'value="C1,C2"' in text and 'value="37.5"' in text
    resp = await client.post("/console/sites/HY-1/edit", data={**edit, "open_from": "", "timezone": "Mars/Olympus"})
    assert resp.status == 422 and "不认识的时区：&#39;Mars/Olympus&#39;" in await resp.text()
    site = await (await client.get("/console/sites/HY-1")).text()
    assert "C2" not in site  # nothing was saved


async def test_the_site_forms_name_their_fields_in_a_workers_words(client: TestClient, admin: str) -> None:
    page = await (await client.get("/console/sites")).text()
    assert '<label for="f-code">场所代码' in page and '<label for="f-name">场所名称' in page
    assert '<label for="f-communities">社区代码（逗号分隔）' in page
    resp = await client.post("/console/sites", data={"csrf_token": admin, "code": "和谐 1", "name": "和谐小区",
                                                     "kind": "community"})
    assert resp.status == 422 and 'id="err-code" role="alert">场所代码只能由' in await resp.text()
    resp = await client.post("/console/sites", data={"csrf_token": admin, "code": "HY-1", "name": "和" * 101,
                                                     "kind": "community"})
    text = await resp.text()
    assert resp.status == 422 and 'id="err-name" role="alert">请填写场所名称（最多 100 个字）' in text
