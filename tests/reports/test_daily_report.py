"""A known day built through the real API; every figure of the report, the zero report and the CSV."""

from __future__ import annotations

from typing import Any

from report_helpers import Client, Gate, bearer, by_site, issue, make_site, register, report, report_csv

from gateway.appkeys import db_key
from gateway.auth import create_token

from gateway.reports import CITY, CSV_COLUMNS, DENY_REASONS, OTHER, REASON_GROUPS

DAY = "2020-02-14"
GROUPS = [*REASON_GROUPS, OTHER]
REASONS = [*DENY_REASONS, OTHER]


def denials(**nonzero: int) -> dict[str, int]:
    return {g: nonzero.get(g, 0) for g in GROUPS}


def reasons(**nonzero: int) -> dict[str, int]:
    return {r: nonzero.get(r, 0) for r in REASONS}


async def build_day(client: Client, admin: dict[str, str], registrar: dict[str, str]) -> dict[str, Any]:
    """Five sites on 14 Feb 2020; the school's gate is offline and uploads later (returned, not sent)."""
    await make_site(client, admin, "S1", "community", communities=["C1"])
    await make_site(client, admin, "S2", "factory", employers=["E1"])
    await make_site(client, admin, "S3", "school", schools=["SC1"])
    await make_site(client, admin, "S4", "checkpoint")  # nothing happens here at all
    await make_site(client, admin, "S5", "checkpoint", timezone="Asia/Urumqi")  # UTC+6

    await register(client, registrar, 1, "李一", community="C1")
    p2 = await register(client, registrar, 2, "赵二", community="C1", employer="E1")
    # a Hubei returnee in quarantine 5 Feb .. 18 Feb; another whose 14 days end on the 14th
    p3 = await register(client, registrar, 3, "孙三", community="C1", origin="420100",
                        left_origin_on="2020-02-04", arrived_on="2020-02-05")
    # the daily health check of the 14th finds her feverish (每日健康监测); the 13th's was normal
    for at, temperature in (("2020-02-13T09:00:00+08:00", 36.6), ("2020-02-14T09:00:00+08:00", 38.0)):
        resp = await client.post(f"/api/v1/people/{p3}/health-checks", headers=registrar,
                                 json={"temperature": temperature, "symptoms": [], "checked_at": at})
        assert resp.status == 201, await resp.text()
    await register(client, registrar, 4, "周四", community="C9", employer="E1", origin="420100",
                   left_origin_on="2020-01-30", arrived_on="2020-01-31")
    p5 = await register(client, registrar, 5, "王小明", community="C1")
    # community C9 (no site admits it): a returnee in quarantine nobody checked on the 14th, and a close
    # contact under observation (yellow) checked normal that day; C1's 孙三 is the third monitored
    await register(client, registrar, 6, "钱六", community="C9", origin="420100",
                   left_origin_on="2020-02-09", arrived_on="2020-02-10")
    p7 = await register(client, registrar, 7, "吴七", community="C9", status="yellow", reason="close contact")
    resp = await client.post(f"/api/v1/people/{p7}/health-checks", headers=registrar,
                             json={"temperature": 36.5, "symptoms": [], "checked_at": "2020-02-14T10:00:00+08:00"})
    assert resp.status == 201, await resp.text()
    shared, feverish = await issue(client, registrar, p2), await issue(client, registrar, p5)

    a = await Gate.enrol(client, admin, "S1", "community north gate")
    a.scan("2020-02-13T23:59:00+08:00")                      # the day before
    a.scan("2020-02-14T00:01:00+08:00", temperature=None)    # a gate that does not require a reading
    a.scan("2020-02-14T08:00:00+08:00", serial=shared)
    a.scan("2020-02-14T08:05:00+08:00", reason="quarantine")
    a.scan("2020-02-14T09:00:00+08:00", reason="revoked")
    a.scan("2020-02-14T09:10:00+08:00", reason="unreadable")
    a.scan("2020-02-14T10:00:00+08:00", reason="status_red")
    a.scan("2020-02-14T11:00:00+08:00", reason="fever", serial=feverish, temperature=38.2)
    a.scan("2020-02-14T23:59:00+08:00")
    a.scan("2020-02-15T00:01:00+08:00")                      # the day after
    await a.upload()

    b = await Gate.enrol(client, admin, "S2", "factory gate")
    b.scan("2020-02-14T08:10:00+08:00", serial=shared)       # 10 minutes after S1: a shared pass
    b.scan("2020-02-14T12:00:00+08:00", reason="wrong_site")
    b.scan("2020-02-14T13:00:00+08:00", reason="site_closed")
    b.scan("2020-02-14T14:00:00+08:00", reason="stale_data")
    b.scan("2020-02-14T15:00:00+08:00", reason="duplicate")
    assert [al["kind"] for al in (await b.upload())["alerts"]] == ["shared_pass"]

    await Gate.enrol(client, admin, "S4", "checkpoint gate")
    e = await Gate.enrol(client, admin, "S5", "far west gate")
    e.scan("2020-02-14T01:30:00+08:00")                      # 23:30 on the 13th in Urumqi
    e.scan("2020-02-14T23:30:00+08:00")
    e.scan("2020-02-15T01:30:00+08:00")                      # 23:30 on the 14th in Urumqi
    await e.upload()

    c = await Gate.enrol(client, admin, "S3", "school gate (offline)")
    c.scan("2020-02-14T07:30:00+08:00")
    c.scan("2020-02-14T07:40:00+08:00", reason="not_cleared")
    c.scan("2020-02-14T07:50:00+08:00", reason="status_yellow")
    return {"offline": c, "fever_serial": feverish, "fever_person": p5}


async def test_every_figure_of_a_known_day_and_the_late_upload(client: Client, tokens: dict[str, Any]) -> None:
    built = await build_day(client, tokens["admin"], tokens["registrar"])
    first = await report(client, tokens["viewer"], DAY)
    assert first["date"] == DAY and first["site"] is None
    assert [s["site"] for s in first["sites"]] == ["S1", "S2", "S3", "S4", "S5"]
    s = by_site(first)

    s1 = s["S1"]
    assert s1["name"] == "场所 S1" and s1["kind"] == "community" and s1["timezone"] == "Asia/Shanghai"
    assert s1["day_start"] == "2020-02-14T00:00:00+08:00" and s1["day_end"] == "2020-02-15T00:00:00+08:00"
    # every entry of the day was uploaded after it ended: the gateway counts it where it happened
    assert s1["entries"] == {"total": 8, "allowed": 3, "denied": 5, "late_uploads": 8}
    assert s1["denials"] == denials(quarantine=1, revoked=1, no_valid_pass=1, health_status=1, fever=1)
    assert s1["denial_reasons"] == reasons(quarantine=1, revoked=1, unreadable=1, status_red=1, fever=1)
    assert s1["fevers"] == [{
        "site": "S1", "device_id": s1["fevers"][0]["device_id"], "scanned_at": "2020-02-14T11:00:00+08:00",
        "temperature": 38.2, "serial": built["fever_serial"], "person_id": built["fever_person"],
        "name": "王**", "document": "4201**********005" + s1["fevers"][0]["document"][-1]}]
    assert s1["fevers"][0]["device_id"].startswith("dev_")
    assert s1["people"] == {"in_quarantine": 1, "quarantine_ending": 0, "newly_registered": 0}
    assert s1["temperatures"] == {"taken": 7, "fevers": 1}
    assert s1["directions"] == {"in": 0, "out": 0, "both": 8}  # these gates were enrolled for both ways
    assert s1["silent_devices"] == []  # the gates were enrolled years later: not in service that day
    assert s1["alerts"]["total"] == 1 and s1["alerts"]["by_kind"] == {"fever": 1, "shared_pass": 0,
                                                                       "broken_chain": 0, "health_check": 0}
    assert s1["alerts"]["items"][0]["happened_at"] == "2020-02-14T11:00:00+08:00"
    assert s1["zero_report"] is False
    assert s1["summary"] == {"zh": "有异常情况：拒绝通行 5 人次，发热 1 人次，警报 1 条",
                             "en": "To report: 5 denied, 1 fever(s), 1 alert(s)"}

    s2 = s["S2"]
    assert s2["entries"] == {"total": 5, "allowed": 1, "denied": 4, "late_uploads": 5}
    assert s2["denials"] == denials(wrong_site=1, site_closed=1, cannot_verify=1, duplicate=1)
    assert s2["denial_reasons"] == reasons(wrong_site=1, site_closed=1, stale_data=1, duplicate=1)
    assert s2["fevers"] == []
    assert s2["people"] == {"in_quarantine": 0, "quarantine_ending": 1, "newly_registered": 0}
    assert s2["alerts"]["by_kind"] == {"fever": 0, "shared_pass": 1, "broken_chain": 0, "health_check": 0}
    assert s2["alerts"]["items"][0]["happened_at"] == "2020-02-14T08:10:00+08:00"
    assert s2["zero_report"] is False

    zero_line = {"zh": "无异常情况（零报告）", "en": "Nothing to report (zero report)"}
    for code in ("S3", "S4"):  # the school's gate has not uploaded yet; the checkpoint saw nobody
        assert s[code]["entries"] == {"total": 0, "allowed": 0, "denied": 0, "late_uploads": 0}
        assert s[code]["denials"] == denials() and s[code]["denial_reasons"] == reasons()
        assert s[code]["fevers"] == [] and s[code]["alerts"]["total"] == 0
        assert s[code]["people"] == {"in_quarantine": 0, "quarantine_ending": 0, "newly_registered": 0}
        assert s[code]["zero_report"] is True and s[code]["summary"] == zero_line

    s5 = s["S5"]  # its own day: 00:00 to 24:00 in Urumqi (UTC+6)
    assert s5["timezone"] == "Asia/Urumqi" and s5["day_start"] == "2020-02-14T00:00:00+06:00"
    assert s5["entries"] == {"total": 2, "allowed": 2, "denied": 0, "late_uploads": 2}
    assert s5["zero_report"] is True and s5["summary"] == zero_line  # traffic, but nothing to report

    city = first["city"]
    assert city["entries"] == {"total": 15, "allowed": 6, "denied": 9, "late_uploads": 15}
    assert city["denials"] == denials(quarantine=1, revoked=1, no_valid_pass=1, health_status=1, fever=1,
                                      wrong_site=1, site_closed=1, cannot_verify=1, duplicate=1)
    assert city["fevers"] == s1["fevers"]
    assert city["people"] == {"in_quarantine": 2, "quarantine_ending": 1, "newly_registered": 0}
    assert city["alerts"]["by_kind"] == {"fever": 1, "shared_pass": 1, "broken_chain": 0, "health_check": 0}
    assert city["sites"] == 5 and city["zero_report_sites"] == 3 and city["zero_report"] is False
    assert city["temperatures"] == {"taken": 14, "fevers": 1}
    # 孙三 (C1, in quarantine, checked once, feverish), 钱六 (C9, in quarantine, not checked), 吴七 (C9,
    # under observation, checked normal); 周四's quarantine ended that morning, 李一 needs no check
    health = first["health_monitoring"]
    assert {k: health[k] for k in ("monitored", "checked", "not_checked", "abnormal")} == {
        "monitored": 3, "checked": 2, "not_checked": 1, "abnormal": 1}
    assert health["communities"] == [
        {"community": "C1", "monitored": 1, "checked": 1, "not_checked": 0, "abnormal": 1, "not_checked_people": []},
        {"community": "C9", "monitored": 2, "checked": 1, "not_checked": 1, "abnormal": 0,
         "not_checked_people": [{"person_id": health["communities"][1]["not_checked_people"][0]["person_id"],
                                 "name": "钱*"}]}]
    assert [(c["name"], c["checked_at"], c["temperature"]) for c in health["abnormal_checks"]] == [
        ("孙*", "2020-02-14T09:00:00+08:00", 38.0)]

    # a finished day: this first report is remembered, and unchanged by definition
    for figs in [*first["sites"], city]:
        assert figs["changed_since_first_produced"] is False
        assert figs["first_produced"]["fingerprint"] == figs["fingerprint"]

    # the offline school gate comes back: its entries count on the day they happened
    await built["offline"].upload()
    second = await report(client, tokens["admin"], DAY)
    s3 = by_site(second)["S3"]
    assert s3["entries"] == {"total": 3, "allowed": 1, "denied": 2, "late_uploads": 3}
    assert s3["denials"] == denials(not_cleared=1, health_status=1)
    assert s3["zero_report"] is False
    assert s3["changed_since_first_produced"] is True
    assert s3["first_produced"]["fingerprint"] == s["S3"]["fingerprint"] != s3["fingerprint"]
    assert s3["first_produced"]["at"] == s["S3"]["first_produced"]["at"]
    assert second["city"]["changed_since_first_produced"] is True
    assert second["city"]["entries"]["total"] == 18 and second["city"]["zero_report_sites"] == 2
    for code in ("S1", "S2", "S4", "S5"):
        assert by_site(second)[code]["changed_since_first_produced"] is False
        assert by_site(second)[code]["fingerprint"] == s[code]["fingerprint"]
    third = await report(client, tokens["admin"], DAY)  # the first report stays the reference
    assert by_site(third)["S3"]["first_produced"] == s3["first_produced"]

    rows = await report_csv(client, tokens["viewer"], DAY)
    assert list(rows[0]) == CSV_COLUMNS
    assert [r["site"] for r in rows] == ["S1", "S2", "S3", "S4", "S5", CITY]
    for row, figs in zip(rows, [*second["sites"], second["city"]], strict=True):
        assert row["date"] == DAY and row["timezone"] == figs["timezone"]
        assert row["zero_report"] == str(figs["zero_report"]).lower()
        assert int(row["allowed"]) == figs["entries"]["allowed"]
        assert int(row["denied"]) == figs["entries"]["denied"]
        assert int(row["late_uploads"]) == figs["entries"]["late_uploads"]
        assert {g: int(row[f"denied_{g}"]) for g in GROUPS} == figs["denials"]
        assert {r: int(row[f"reason_{r}"]) for r in REASONS} == figs["denial_reasons"]
        assert int(row["fevers"]) == len(figs["fevers"])
        assert int(row["temperatures_taken"]) == figs["temperatures"]["taken"]
        assert int(row["entries_both"]) == figs["directions"]["both"]
        assert int(row["in_quarantine"]) == figs["people"]["in_quarantine"]
        assert int(row["quarantine_ending"]) == figs["people"]["quarantine_ending"]
        assert int(row["alerts_shared_pass"]) == figs["alerts"]["by_kind"]["shared_pass"]
        assert row["summary_zh"] == figs["summary"]["zh"] and row["fingerprint"] == figs["fingerprint"]
    assert rows[3]["summary_zh"] == "无异常情况（零报告）" and rows[3]["entries_total"] == "0"
    assert rows[5]["name"] == "全市合计 City total" and rows[5]["entries_total"] == "18"
    assert rows[2]["changed_since_first_produced"] == "true"


async def test_one_site_and_the_days_either_side(client: Client, tokens: dict[str, Any]) -> None:
    await build_day(client, tokens["admin"], tokens["registrar"])
    only = await report(client, tokens["admin"], DAY, site="S1")
    assert only["site"] == "S1" and only["city"] is None and [s["site"] for s in only["sites"]] == ["S1"]
    assert only["sites"][0]["entries"]["allowed"] == 3
    before = by_site(await report(client, tokens["admin"], "2020-02-13"))
    after = by_site(await report(client, tokens["admin"], "2020-02-15"))
    # 23:59 on the 13th and 00:01 on the 15th, Shanghai time, fall on those days and no other
    assert before["S1"]["entries"]["allowed"] == 1 and after["S1"]["entries"]["allowed"] == 1
    assert before["S1"]["zero_report"] is True and after["S1"]["zero_report"] is True
    # the two Urumqi entries outside the 14th, by its own clock
    assert before["S5"]["entries"]["allowed"] == 1 and after["S5"]["entries"]["allowed"] == 0
    assert before["S2"]["entries"]["total"] == 0 and after["S2"]["entries"]["total"] == 0
    assert after["S2"]["people"]["quarantine_ending"] == 0
    rows = await report_csv(client, tokens["admin"], DAY, site="S2")
    assert [r["site"] for r in rows] == ["S2"] and rows[0]["denied_wrong_site"] == "1"


async def test_health_monitoring_follows_the_callers_scope(client: Client, tokens: dict[str, Any]) -> None:
    await build_day(client, tokens["admin"], tokens["registrar"])
    # an admin's one-site report has no health figures: they are the city's or a scoped caller's own
    assert (await report(client, tokens["admin"], DAY, site="S1"))["health_monitoring"] is None
    db = client.app[db_key]
    worker = bearer(await create_token(db, role="viewer", label="c1 worker", scope="community:C1"))
    mine = (await report(client, worker, DAY, site="S1"))["health_monitoring"]
    assert {k: mine[k] for k in ("monitored", "checked", "not_checked", "abnormal")} == {
        "monitored": 1, "checked": 1, "not_checked": 0, "abnormal": 1}
    assert [c["community"] for c in mine["communities"]] == ["C1"]
    assert [a["name"] for a in mine["abnormal_checks"]] == ["孙*"]
    # a worker of C9 and of S1's community sees both, and nobody else's
    both = bearer(await create_token(db, role="registrar", label="two", scope="community:C1,community:C9"))
    theirs = (await report(client, both, DAY, site="S1"))["health_monitoring"]
    assert [(c["community"], c["not_checked"]) for c in theirs["communities"]] == [("C1", 0), ("C9", 1)]
