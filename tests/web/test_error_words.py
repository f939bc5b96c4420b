"""The gateway's error messages in the page's language: every message a console page can show has Chinese
words (web/labels.py error_text), and the newer pages (import, site settings, resumption, webhooks) use them."""

from __future__ import annotations

import ast
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestClient

from web import labels

ROOT = Path(__file__).resolve().parents[2]
ERRORS = {"InvalidInput", "Conflict", "Forbidden", "NotFound", "ImportFileError"}
# what only a gate, a checkpoint device or a resident's phone meets: answered by the API in English
DEVICE_ONLY = {"gateway/api/common.py", "gateway/api/sites.py", "gateway/ingest.py", "gateway/checkpoint.py",
               "gateway/sync.py"}
DEVICE_MESSAGES = ("public_key is not a valid key",)


def _sample(node: ast.expr) -> str | None:
    """The message a raise can give, with every formatted value as `1` (`'1'` for !r)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else ("'1'" if v.conversion == ord("r") else "1")
                       for v in node.values)
    return None


def _raised_messages() -> list[tuple[str, str | None, str]]:
    found = []
    for path in sorted((ROOT / "gateway").rglob("*.py")):
        where = str(path.relative_to(ROOT))
        if where in DEVICE_ONLY:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERRORS \
                    and node.args and (message := _sample(node.args[0])) is not None:
                field = next((k.value.value for k in node.keywords if k.arg == "field"
                              and isinstance(k.value, ast.Constant)), None)
                if not message.startswith(DEVICE_MESSAGES):
                    found.append((f"{where}:{node.lineno}", field, message))
    return found


def test_every_gateway_message_a_worker_can_meet_has_chinese_words() -> None:
    messages = _raised_messages()
    assert len(messages) > 150  # the walk found the gateway's raises
    untranslated = [(where, message) for where, field, message in messages
                    if labels.error_text(message, field, "zh-CN").endswith(message)]
    assert untranslated == []
    assert labels.error_text("reason must be 1..500 characters", "reason", "en") == \
        "reason must be 1..500 characters"  # English pages keep the gateway's words


def test_a_missing_reason_and_an_empty_one_both_ask_for_it() -> None:
    assert labels.error_text("reason is required", "reason") == "请填写原因"
    assert labels.error_text("reason must be 1..500 characters", "reason").startswith("请填写原因")
    assert labels.error_text("the registrar role may not do this", None) == "“登记员”角色不能执行此操作"


def _upload(csrf: str, data: bytes) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("file", data, filename="list.csv", content_type="text/csv")
    return form


async def test_the_newer_pages_show_gateway_errors_in_chinese(client: TestClient, admin: str) -> None:
    resp = await client.post("/console/people/import", data=_upload(admin, b"   "))
    assert resp.status == 422 and "文件是空的" in await resp.text()
    resp = await client.post("/console/people/import", data=_upload(admin, b"\xff\xfe\x00\x81\x00"))
    assert resp.status == 422 and "请另存为 CSV" in await resp.text()

    resp = await client.post("/console/webhooks", data={"csrf_token": admin, "township": "T-BC",
                                                        "url": "ftp://x.example/", "reason": "r"})
    assert resp.status == 422 and "地址须为 http(s) 网址" in await resp.text()
    resp = await client.post("/console/webhooks?lang=en", data={"csrf_token": admin, "township": "T-BC",
                                                                "url": "ftp://x.example/", "reason": "r"})
    assert resp.status == 422 and "url must be an http(s) URL" in await resp.text()

    resp = await client.post("/console/sites", allow_redirects=False, data={
        "csrf_token": admin, "code": "HY-1", "name": "和谐小区", "kind": "community"})
    assert resp.status == 303, await resp.text()
    resp = await client.post("/console/sites", data={"csrf_token": admin, "code": "HY-1", "name": "x",
                                                     "kind": "community"})
    assert resp.status in (409, 422)
    assert "此场所代码已存在" in await resp.text()
    resp = await client.post("/console/sites", allow_redirects=False, data={
        "csrf_token": admin, "code": "F1", "name": "昆山一厂", "kind": "factory"})
    assert resp.status == 303, await resp.text()
    resp = await client.post("/console/sites/F1/resumption", data={"csrf_token": admin})
    text = await resp.text()
    assert resp.status == 422 and "五个到位：每一项都到位后才能申请" in text and "must be in place" not in text

