"""The words for every code the console shows, in zh-CN and en, and times in local, human form.

One vocabulary: the codes come from where they are owned (keys.Reason, keys.SiteKind,
gateway.registry, gateway.access); only their words live here. The API keeps the codes and
ISO 8601 times; pages, cards and exports show these words and `2020-02-16 09:30`.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from gateway import regions as gb2260
from gateway.registry import LOCAL_TZ
from keys import SiteKind
from keys.reasons import LABELS as REASON_LABELS

LANGS = ("zh-CN", "en")
DEFAULT = "zh-CN"
HUMAN = "%Y-%m-%d %H:%M"

_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "document_type": {"resident_id": ("居民身份证", "Resident ID"), "passport": ("护照", "Passport"),
                      "residence_permit": ("居住证", "Residence permit"),
                      "work_permit": ("工作许可", "Work permit")},
    "status": {"green": ("绿码", "Green"), "yellow": ("黄码", "Yellow"), "red": ("红码", "Red")},
    "quarantine_kind": {"home": ("居家隔离", "Home quarantine"), "central": ("集中隔离", "Central quarantine")},
    "pass_state": {"live": ("有效", "Valid"), "revoked": ("已作废", "Revoked"), "lapsed": ("已过期", "Expired")},
    "site_kind": {SiteKind.COMMUNITY.value: ("社区", "Community"), SiteKind.FACTORY.value: ("工厂", "Factory"),
                  SiteKind.CONSTRUCTION_SITE.value: ("工地", "Construction site"),
                  SiteKind.SCHOOL.value: ("学校", "School"), SiteKind.CHECKPOINT.value: ("检查站", "Checkpoint")},
    "decision": {"allow": ("放行", "Allowed"), "deny": ("拒绝", "Denied")},
    "alert_kind": {"fever": ("发热", "Fever"), "shared_pass": ("疑似共用通行码", "Shared pass"),
                   "broken_chain": ("记录链断裂", "Broken log chain"),
                   "health_check": ("健康检查异常", "Abnormal health check")},
    "major_event_rule": {"school_fever": ("学校门口发热", "Fever at a school gate"),
                         "checkpoint_key_area": ("卡口发现重点地区人员", "Key-area person found at a checkpoint"),
                         "checkpoint_fever": ("卡口发现发热人员", "Fever at a checkpoint"),
                         "broken_chain": ("门岗记录链断裂", "Gate log chain broken"),
                         "shared_pass": ("疑似共用通行码", "Shared pass")},
    "handover_kind": {"handover": ("重点地区人员移交", "Key-area hand-over"),
                      "referral": ("发热人员转诊", "Fever referral")},
    "handover_state": {"open": ("待签收", "Open"), "acknowledged": ("已签收", "Acknowledged"),
                       "transferred": ("已接转", "Transferred"), "closed": ("已办结", "Closed")},
    "handover_step": {"acknowledge": ("签收", "Acknowledge"), "transfer": ("接转", "Transfer"),
                      "close": ("办结", "Close")},
    "handover_overdue": {"acknowledge": ("超时未签收", "Overdue: not acknowledged"),
                         "close": ("超时未办结", "Overdue: not closed")},
    "transport": {"own_car": ("原车隔离", "Isolated in own car"), "ambulance_120": ("120专车送发热门诊", "120 ambulance to the fever clinic")},
    "vehicle_kind": {"car": ("小客车", "Car"), "van": ("面包车", "Van"), "bus": ("客车", "Bus"),
                     "truck": ("货车", "Truck"), "motorcycle": ("摩托车", "Motorcycle"), "other": ("其他车辆", "Other vehicle"),
                     "none": ("步行", "On foot")},
    "key_area_link": {"origin": ("来自重点地区", "Comes from a key area"),
                      "document": ("证件属重点地区", "Document from a key area"),
                      "plate": ("重点地区车牌", "Plate of a key area")},
    "role": {"admin": ("管理员", "Admin"), "registrar": ("登记员", "Registrar"), "viewer": ("查看员", "Viewer"),
             "approver": ("行业主管部门审批员", "Approver (industry authority)")},
    # 五个到位 (directive §一 item 4)
    "resumption_item": {"conditions": ("复工条件到位", "Conditions for resuming in place"),
                        "entry_control": ("进出车辆、人员登记和消杀防疫措施到位",
                                          "Vehicles and people registered and disinfected at the entrance"),
                        "notices": ("疫情防控公告、提示张贴和发放到位", "Notices and reminders posted and handed out"),
                        "briefings": ("以车间、班组为单位的防控知识宣讲到位", "Briefings held per workshop and team"),
                        "commitment": ("企业、职工联防联控承诺到位",
                                       "The firm's and staff's commitment to joint local control")},
    "resumption_state": {"pending": ("待审批", "Pending"), "approved": ("已批准复工", "Approved"),
                         "refused": ("未批准", "Refused"), "none": ("未申请", "Not applied"),
                         "not_required": ("无需审批", "No approval required")},
    "resumption_decision": {"approve": ("批准复工", "Approve"), "refuse": ("不予批准", "Refuse")},
    # family passes: who gave the dependant's consent, and how (gateway/guardianships.py)
    "consent_by": {"dependant": ("本人", "The dependant"), "legal_guardian": ("法定监护人", "Their legal guardian")},
    "consent_how": {"in_person": ("当面", "In person"), "signed_paper": ("书面签字", "Signed paper"),
                    "phone": ("电话", "By phone")},
    "scope_kind": {"community": ("社区", "Community"), "employer": ("单位", "Employer"),
                   "school": ("学校", "School"), "site": ("场所", "Site"), "city": ("全市", "Whole city")},
    "reason": {r.value: words for r, words in REASON_LABELS.items()},
    "people_filter": {"": ("全部", "All"), "quarantine": ("隔离中", "In quarantine"),
                      "ends_today": ("今天解除隔离", "Quarantine ends today"), "red": ("红码", "Red status"),
                      "no_pass": ("无通行证", "No pass")},
    # the audit log's actions (gateway code that records them: grep 'audit.record')
    "audit_action": {
        "account.create": ("创建账号", "Account created"), "account.disable": ("停用账号", "Account disabled"),
        "account.enable": ("启用账号", "Account enabled"), "account.login": ("登录", "Logged in"),
        "account.login_failed": ("登录失败", "Login failed"), "account.passwd": ("修改密码", "Password changed"),
        "alert.handle": ("警报已处理", "Alert handled"), "cards.reprint": ("重印纸质通行证", "Cards reprinted"),
        "cards.print": ("批量打印通行证卡", "Cards printed in bulk"),
        "device.disable": ("停用设备", "Device disabled"), "device.enroll": ("设备注册", "Device enrolled"),
        "device.enrolment": ("生成设备注册码", "Enrolment code made"),
        "device.update_problem": ("设备无法更新", "Gate cannot update"),
        "device.update_ok": ("设备恢复更新", "Gate updates again"), "entries.purge": ("清除过期记录", "Old entries purged"),
        "guardianship.add": ("登记家人代持通行证", "Family pass holder recorded"),
        "guardianship.end": ("结束家人代持", "Family pass holder ended"),
        "holder.reissue": ("换发手机通行码", "Phone pass reissued"), "holder.renew": ("续期手机通行码", "Phone pass renewed"),
        "holder.reset": ("重置手机绑定", "Phone binding reset"), "key_area.remove": ("移除重点地区", "Key area removed"),
        "key_area.set": ("设定重点地区", "Key area set"), "pass.issue": ("签发通行证", "Pass issued"),
        "pass.reissue": ("换发通行证", "Pass reissued"), "pass.revoke": ("作废通行证", "Pass revoked"),
        "people.import": ("导入户籍名单", "Household list imported"), "person.clear": ("解除医学观察", "Cleared"),
        "person.health_check": ("记录健康检查", "Health check recorded"),
        "person.quarantine_end": ("提前结束隔离", "Quarantine ended early"),
        "person.quarantine_shorten": ("缩短隔离", "Quarantine shortened"), "person.register": ("登记人员", "Person registered"),
        "person.resident_link_rotate": ("更换居民链接", "Resident link replaced"),
        "person.reveal": ("查看完整号码", "Full number revealed"),
        "person.status_health": ("因健康检查改变状态", "Status changed by a health check"),
        "person.update": ("修改人员信息", "Person updated"), "reissue.finish": ("批量换发完成", "Bulk reissue finished"),
        "reissue.start": ("开始批量换发", "Bulk reissue started"), "site.create": ("创建场所", "Site created"),
        "site.update": ("修改场所", "Site updated"), "token.create": ("创建令牌", "Token created"),
        "token.revoke": ("吊销令牌", "Token revoked"), "keys.init": ("生成签发密钥", "Issuer key made"),
        "keys.rotate": ("轮换签发密钥", "Issuer key rotated"), "keys.withdraw": ("停用签发密钥", "Issuer key withdrawn"),
        "root.init": ("生成根密钥", "Root key made"), "keyset.publish": ("发布密钥集", "Key set published"),
    },
    "flash": {"registered": ("已登记", "Registered"), "saved": ("已保存", "Saved"),
              "applied": ("已提交复工申请", "Resumption application sent"),
              "decided": ("已作出审批决定", "Decision recorded"),
              "issued": ("已签发通行证", "Pass issued"), "revoked": ("已作废", "Pass revoked"),
              "reissued": ("已换发", "Pass reissued"), "checked": ("已记录健康检查", "Health check recorded"),
              "site": ("已创建场所", "Site created"), "disabled": ("已停用设备", "Device disabled"),
              "cleared": ("已解除医学观察", "Cleared"), "ended": ("已提前结束隔离", "Quarantine ended"),
              "holder_reset": ("已重置手机绑定", "Phone binding reset"),
              "guardian_added": ("已登记代持人", "Guardian recorded"),
              "guardian_ended": ("已结束代持", "Guardianship ended"),
              "lang": ("已切换语言", "Language changed"), "imported": ("已导入", "Imported"),
              "handled": ("已标记为已处理", "Marked handled"), "rotated": ("已更换居民链接", "Resident link replaced"),
              "handover_step": ("已记录处置步骤", "Step recorded"),
              "no_cards": ("所选人员中没有持有效通行证的人", "Nobody in this selection holds a valid pass"),
              "too_many_cards": ("一次最多打印 5000 张卡，请缩小筛选范围（如按社区）",
                                 "At most 5000 cards a PDF: narrow the selection (one community at a time)")},
    "import_field": {"name": ("姓名", "Name"), "document_type": ("证件类型", "Document type"),
                     "document_number": ("证件号码", "Document number"), "phone": ("电话", "Phone"),
                     "address": ("住址", "Address"), "community": ("社区", "Community"),
                     "employer": ("单位", "Employer"), "school": ("学校", "School"), "origin": ("来自地区", "Origin"),
                     "left_origin_on": ("离开日期", "Left on"), "arrived_on": ("抵达日期", "Arrived on"),
                     "status": ("健康状态", "Status"), "quarantine_kind": ("隔离方式", "Quarantine"),
                     "_row": ("整行", "Row")},
    "policy_field": {"kind": ("类型", "Kind"), "site": ("场所", "Site"), "communities": ("社区", "Communities"),
                     "employers": ("单位", "Employers"), "schools": ("学校", "Schools"),
                     "visitors": ("允许访客", "Visitors allowed"), "open_from": ("开放时间", "Opening time"),
                     "require_cleared": ("须解除医学观察", "Require cleared"),
                     "fever_threshold": ("发热阈值 °C", "Fever threshold °C"),
                     "max_data_age": ("数据最长有效（秒）", "Longest data age (s)"),
                     "timezone": ("时区", "Time zone"), "allow_reentry": ("允许重复进入", "Re-entry allowed"),
                     "passback_minutes": ("防共用间隔（分钟）", "Anti-passback (minutes)"),
                     "holder_binding": ("持有人绑定", "Holder binding"),
                     "code_max_age": ("动态码最长时效（秒）", "Rotating code max age (s)"),
                     "code_max_ahead": ("动态码最多超前（秒）", "Rotating code max ahead (s)"),
                     "require_temperature": ("每人必测体温", "Temperature required"),
                     "fever_hold_minutes": ("发热后复测期（分钟）", "Fever hold (minutes)"),
                     "resumption_required": ("须复工审批", "Resumption approval required"),
                     "resumption_approved": ("已批准复工", "Resumption approved")},
    "holder_binding": {"off": ("不要求", "Off"), "preferred": ("优先", "Preferred"), "required": ("必须", "Required")},
    "yes_no": {"True": ("是", "Yes"), "False": ("否", "No")},
    "detail": {"temperature": ("体温", "Temperature"), "threshold": ("阈值", "Threshold"),
               "other_entry": ("另一条记录", "Other entry"), "other_site": ("另一场所", "Other site"),
               "other_scanned_at": ("另一次扫码", "Other scan"), "minutes": ("相隔分钟", "Minutes apart"),
               "seq": ("序号", "Sequence"), "expected": ("应为", "Expected"), "got": ("实为", "Got"),
               "role": ("角色", "Role"), "label": ("用途", "Label"), "expires_at": ("有效至", "Expires"),
               "scope": ("范围", "Scope"), "serial": ("编号", "Serial"), "document": ("证件", "Document"),
               "status": ("状态", "Status"), "changed": ("修改项", "Changed"), "replaces": ("替换", "Replaces"),
               "revocation_seq": ("作废序号", "Revocation number"), "fields": ("字段", "Fields"),
               "check": ("检查", "Check"), "ip": ("地址", "Address"), "code": ("代码", "Code"),
               "kind": ("类型", "Kind"), "site": ("场所", "Site"), "device": ("设备", "Device"),
               "sessions_ended": ("结束的会话", "Sessions ended"), "planned_end": ("原定结束", "Planned end"),
               "ended": ("结束", "Ended"), "name": ("名称", "Name"), "policy": ("规则", "Policy"),
               "old": ("原值", "Old"), "new": ("新值", "New"), "resumption": ("复工申请", "Application"),
               "open_from": ("开放时间", "Opening time"), "items": ("五个到位", "Five in place")},
}

def pick(lang: str | None) -> str:
    """A supported language; anything else is zh-CN."""
    return "en" if lang in ("en", "en-US", "en-GB") else DEFAULT


def label(kind: str, code: object, lang: str = DEFAULT) -> str:
    """The word for a code in `lang`; a code we have no word for is shown as it is (never blank)."""
    if code is None or code == "":
        return "—"
    pair = _WORDS.get(kind, {}).get(str(code))
    if pair is None:
        return str(code)
    return pair[1] if pick(lang) == "en" else pair[0]


def codes(kind: str) -> list[str]:
    return list(_WORDS[kind])


def options(kind: str, lang: str = DEFAULT, *, blank: str | None = None) -> list[tuple[str, str]]:
    """(code, word) pairs for a <select>; `blank` adds an empty first choice with that word."""
    found = [(code, label(kind, code, lang)) for code in codes(kind)]
    return ([("", blank)] if blank is not None else []) + found


def regions(lang: str = DEFAULT) -> list[tuple[str, str]]:
    """(code, name) of every province and prefecture in use, for the origin field's suggestions."""
    return [(_six(p), region(_six(p), lang)) for p in gb2260.prefixes()]


def region_prefixes(lang: str = DEFAULT) -> list[tuple[str, str]]:
    """(prefix, name) of every province (42) and prefecture (4201) in use: the key areas to choose from."""
    return [(p, region_name(p, lang)) for p in gb2260.prefixes()]


def _six(prefix: str) -> str:
    return prefix + "0" * (6 - len(prefix))


def region_name(code: str, lang: str = DEFAULT) -> str:
    """`湖北省 武汉市` / `Wuhan, Hubei` (gateway/regions.py, the GB/T 2260 list); the code when unknown."""
    en = pick(lang) == "en"
    names = gb2260.parts(code, "en" if en else "zh")
    if en:
        names.reverse()  # Wuchang, Wuhan, Hubei
    return (", " if en else " ").join(names) or code


def region(code: str | None, lang: str = DEFAULT) -> str:
    """`湖北省 武汉市 (420100)`: the region's name, with the code kept for the record."""
    if not code:
        return "—"
    named = region_name(code, lang)
    return f"{named} ({code})" if named != code else code


def local(value: str | datetime | None, tz: ZoneInfo = LOCAL_TZ) -> str:
    """An ISO 8601 time as `2020-02-16 09:30` in the city's time zone; a date stays a date."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value)
        if len(text) == 10:
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                return text
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))  # the gateway stores UTC
    return moment.astimezone(tz).strftime(HUMAN)


_VALUE_KINDS = {"status": "status", "kind": "site_kind", "role": "role", "decision": "decision",
                "reason": "reason", "state": "pass_state"}


def describe(details: dict[str, object], lang: str = DEFAULT) -> str:
    """An audit entry's details in words: `状态: 绿码 · 过期: 2020-03-16 09:30`; codes and times shown
    as everywhere else, nested values flattened."""
    parts = []
    for key, value in details.items():
        if isinstance(value, dict):
            shown = describe(value, lang)
        elif isinstance(value, list):
            shown = "，".join(str(v) for v in value)
        elif isinstance(value, str) and key in _VALUE_KINDS:
            shown = label(_VALUE_KINDS[key], value, lang)
        elif isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
            shown = local(value)
        elif isinstance(value, str) and key == "policy":
            shown = value
        else:
            shown = "—" if value is None else str(value)
        parts.append(f"{label('detail', key, lang)}: {shown}")
    return " · ".join(parts)
