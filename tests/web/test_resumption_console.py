"""Withdrawing a resumption approval (关停) from the console: the form on an approved application's page
(reason and a ticked confirmation, a red button), the new state on that page, the site's pages and the
list; the firm's apply form is back. The gate's own decision is tested through the API
(tests/gateway/test_resumption.py)."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient
from web_helpers import svc_of

from gateway import resumption, sites
from gateway.auth import CLI
from gateway.resumption import ITEMS

FIVE = {k: {"done": True} for k in ITEMS}


async def _approved(client: TestClient) -> int:
    svc = svc_of(client)
    await sites.create_site(svc, {"code": "F1", "name": "东方电子厂", "kind": "factory",
                                  "policy": {"employers": ["E1"], "resumption_required": True}}, CLI)
    applied = await resumption.apply(svc, "F1", {"items": FIVE}, CLI)
    await resumption.decide(svc, applied.row.id, {"decision": "approve", "reason": "五个到位"}, CLI)
    return applied.row.id


def _state(html: str) -> str:
    found = re.search(r'id="resumption-state">([^<]*)<', html)
    assert found, "no state on the page"
    return found.group(1)


async def test_the_approver_withdraws_an_approval_and_every_page_says_so(client: TestClient, admin: str) -> None:
    found_id = await _approved(client)
    page = f"/console/resumptions/{found_id}"
    html = await (await client.get(page)).text()
    assert _state(html) == "已批准复工"
    assert 'id="withdrawal-form"' in html and 'class="danger">撤销复工批准</button>' in html

    # no tick, no withdrawal; no reason, none either: the page says which, and keeps what was typed
    resp = await client.post(page + "/withdrawal", data={"csrf_token": admin, "reason": "拒不整改"})
    html = await resp.text()
    assert resp.status == 422 and "请勾选确认" in html and 'value="拒不整改"' in html
    assert _state(html) == "已批准复工"
    resp = await client.post(page + "/withdrawal", data={"csrf_token": admin, "confirm": "yes", "reason": " "})
    assert resp.status == 422 and "请填写原因" in await resp.text()
    policy = sites.policy_of(await sites.get_site(svc_of(client), "F1"))
    assert policy.resumption_approved

    resp = await client.post(page + "/withdrawal", allow_redirects=False,
                             data={"csrf_token": admin, "confirm": "yes", "reason": "拒不整改，依法关停"})
    assert resp.status == 303 and resp.headers["Location"] == f"{page}?done=withdrawn"
    html = await (await client.get(f"{page}?done=withdrawn")).text()
    assert _state(html) == "已撤销" and "已撤销复工批准" in html
    assert 'id="withdrawal-reason">拒不整改，依法关停<' in html and 'id="withdrawal-form"' not in html
    assert not sites.policy_of(await sites.get_site(svc_of(client), "F1")).resumption_approved
    # twice: the precise words, nothing changes
    resp = await client.post(page + "/withdrawal", data={"csrf_token": admin, "confirm": "yes", "reason": "again"})
    assert resp.status == 409 and "此申请的复工批准已经撤销" in await resp.text()
    assert _state(await (await client.get(page + "?lang=en")).text()) == "Withdrawn"

    # the site's pages and the list: withdrawn, and the firm may apply again
    html = await (await client.get("/console/sites/F1/resumption")).text()
    assert "<strong>已撤销</strong>" in html and 'id="resumption-form"' in html and "拒不整改，依法关停" in html
    assert "<strong>已撤销</strong>" in await (await client.get("/console/sites/F1")).text()
    html = await (await client.get("/console/resumptions?state=withdrawn")).text()
    assert f'href="/console/resumptions/{found_id}"' in html and 'aria-current="page">已撤销<' in html
    resp = await client.post("/console/sites/F1/resumption", allow_redirects=False, data={
        "csrf_token": admin, **{f"item_{k}": "yes" for k in ITEMS}})
    assert resp.status == 303, await resp.text()


async def test_no_withdrawal_form_on_a_pending_application_and_no_withdrawal_either(client: TestClient,
                                                                                   admin: str) -> None:
    svc = svc_of(client)
    await sites.create_site(svc, {"code": "F2", "name": "工地", "kind": "construction_site",
                                  "policy": {"employers": ["E2"], "resumption_required": True}}, CLI)
    applied = await resumption.apply(svc, "F2", {"items": FIVE}, CLI)
    page = f"/console/resumptions/{applied.row.id}"
    html = await (await client.get(page)).text()
    assert 'id="withdrawal-form"' not in html and 'id="decision-form"' in html
    resp = await client.post(page + "/withdrawal", data={"csrf_token": admin, "confirm": "yes", "reason": "x"})
    html = await resp.text()
    assert resp.status == 409 and "只有已批准的申请才能撤销批准" in html and _state(html) == "待审批"
    assert (await client.post("/console/resumptions/999999/withdrawal",
                              data={"csrf_token": admin, "confirm": "yes", "reason": "x"})).status == 404
