"""The console's household-list import: preview every row, nothing changes until confirmed."""

from __future__ import annotations

import io
import re

import aiohttp
from aiohttp.test_utils import TestClient
from web_helpers import GOOD_ID, svc_of

from gateway import idcard


async def _count(client: TestClient) -> int:
    return int(await svc_of(client).db.read.fetch_value("SELECT COUNT(*) FROM people"))


def _upload(csrf: str, data: bytes, name: str = "list.csv") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("file", data, filename=name, content_type="text/csv")
    return form


async def test_preview_then_confirm_the_valid_rows(client: TestClient, admin: str) -> None:
    template = await client.get("/console/people/import/template.csv")
    assert template.status == 200 and "证件号码" in (await template.read()).decode("utf-8-sig")
    rows = ("姓名,证件号码,电话\n"
            f"张三,{GOOD_ID},13900000001\n"
            "李四,110105194912310021,\n"
            f"王五,{idcard.make('42010219900101123')},\n").encode("gbk")
    resp = await client.post("/console/people/import", data=_upload(admin, rows))
    page = await resp.text()
    assert resp.status == 200 and 'data-line="3"' in page and "GB 11643" in page
    assert "有效 2 行，有错 1 行" in page and 'id="import-all"' not in page
    assert await _count(client) == 0  # a preview changes nothing
    ticket = re.search(r'name="ticket" value="([0-9a-f]+)"', page)
    assert ticket
    resp = await client.post("/console/people/import/confirm", allow_redirects=False, data={
        "csrf_token": admin, "ticket": ticket.group(1), "mode": "valid", "file_name": "list.csv"})
    assert resp.status == 303 and "done=imported" in resp.headers["Location"]
    assert await _count(client) == 2
    # the upload is gone: the same ticket cannot import twice
    resp = await client.post("/console/people/import/confirm", data={
        "csrf_token": admin, "ticket": ticket.group(1), "mode": "valid"})
    assert resp.status == 409 and await _count(client) == 2
    assert not list((svc_of(client).config.data_dir / "imports").glob("*.bin"))


async def test_bad_files_get_a_page_not_a_500(client: TestClient, admin: str) -> None:
    for data in (b"", "姓名,颜色\n张三,红\n".encode(), b"PK\x03\x04broken"):
        resp = await client.post("/console/people/import", data=_upload(admin, data))
        assert resp.status == 422 and 'id="import-error"' in await resp.text()
    big = aiohttp.FormData()
    big.add_field("csrf_token", admin)
    big.add_field("file", io.BytesIO(b"x" * (5 * 1024 * 1024)), filename="big.csv")
    resp = await client.post("/console/people/import", data=big)
    assert resp.status == 413 and "MB" in await resp.text()
    assert await _count(client) == 0


async def test_the_preview_names_each_origin_and_its_quarantine(client: TestClient, admin: str) -> None:
    rows = ("姓名,证件号码,来自地区,抵达日期\n"
            f"张三,{GOOD_ID},４２０１００,2020-02-01\n"
            f"王五,{idcard.make('42010219900101123')},420106,\n").encode("utf-8")
    page = await (await client.post("/console/people/import", data=_upload(admin, rows))).text()
    first = page.split('data-line="2"')[1].split("</tr>")[0]
    assert "湖北省 武汉市 (420100)" in first and "隔离至 2020-02-15" in first
    second = page.split('data-line="3"')[1].split("</tr>")[0]
    assert "湖北省武汉市武昌区" in second and "重点疫区" in second  # the row error names the place
