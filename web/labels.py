"""The words for every code the console shows, in zh-CN and en, and times in local, human form.

One vocabulary: the codes come from where they are owned (keys.Reason, keys.SiteKind,
gateway.registry, gateway.access); only their words live here. The API keeps the codes and
ISO 8601 times; pages, cards and exports show these words and `2020-02-16 09:30`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from gateway import regions as gb2260
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
    "deny_group": {"quarantine": ("隔离中", "In quarantine"), "revoked": ("已作废", "Revoked"),
                   "no_valid_pass": ("无有效通行证", "No valid pass"), "health_status": ("健康状态", "Health status"),
                   "wrong_site": ("非本场所", "Wrong site"), "site_closed": ("场所未开放", "Site closed"),
                   "fever": ("发热", "Fever"), "temperature_required": ("须测体温", "Temperature required"),
                   "not_cleared": ("未解除观察", "Not cleared"), "cannot_verify": ("无法核验", "Cannot verify"),
                   "duplicate": ("重复使用", "Used twice"), "other": ("其他", "Other")},
    "report_column": {"date": ("日期", "Date"), "site": ("场所代码", "Site"), "name": ("名称", "Name"),
                      "timezone": ("时区", "Time zone"), "zero_report": ("零报告", "Zero report"),
                      "entries_total": ("通行总数", "Entries"), "allowed": ("放行", "Allowed"),
                      "denied": ("拒绝", "Denied"), "late_uploads": ("迟传", "Late uploads"),
                      "fevers": ("发热人数", "Fevers"), "temperatures_taken": ("测温人次", "Temperatures taken"),
                      "entries_in": ("进", "In"), "entries_out": ("出", "Out"),
                      "entries_both": ("未分进出", "Either way"), "in_quarantine": ("隔离人数", "In quarantine"),
                      "quarantine_ending": ("隔离将满", "Quarantine ending"),
                      "newly_registered": ("新登记", "Newly registered"),
                      "silent_devices": ("未同步设备", "Silent devices"), "alerts": ("警报", "Alerts"),
                      "summary_zh": ("摘要（中文）", "Summary (Chinese)"), "summary_en": ("摘要（英文）", "Summary (English)"),
                      "changed_since_first_produced": ("首次生成后有变化", "Changed since first produced"),
                      "fingerprint": ("指纹", "Fingerprint"),
                      "checkpoint_vehicles": ("卡口：车辆", "Checkpoint: vehicles"),
                      "checkpoint_people": ("卡口：人员", "Checkpoint: people"),
                      "checkpoint_denied": ("卡口：拒绝", "Checkpoint: denied"),
                      "checkpoint_no_document": ("卡口：无证件", "Checkpoint: no document"),
                      "checkpoint_fevers": ("卡口：发热", "Checkpoint: fevers"),
                      "checkpoint_key_area_people": ("卡口：重点地区人员", "Checkpoint: key-area people"),
                      "checkpoint_handovers": ("卡口：移交", "Checkpoint: hand-overs"),
                      "checkpoint_referrals": ("卡口：转诊", "Checkpoint: referrals"),
                      "major_events": ("重大事项报告", "Major-event reports"),
                      "major_events_open": ("重大事项：未签收", "Major events: not acknowledged"),
                      "health_monitored": ("健康监测：应测人数", "Health checks: people monitored"),
                      "health_checked": ("健康监测：已测", "Health checks: checked"),
                      "health_not_checked": ("健康监测：未测", "Health checks: not checked"),
                      "health_abnormal": ("健康监测：异常", "Health checks: abnormal")},
    "alert_state": {"open": ("未处理", "Open"), "handled": ("已处理", "Handled"), "all": ("全部", "All")},
    "alert_kind": {"fever": ("发热", "Fever"), "shared_pass": ("疑似共用通行码", "Shared pass"),
                   "broken_chain": ("记录链断裂", "Broken log chain"),
                   "health_check": ("健康检查异常", "Abnormal health check")},
    "major_event_rule": {"school_fever": ("学校门口发热", "Fever at a school gate"),
                         "checkpoint_key_area": ("卡口发现重点地区人员", "Key-area person found at a checkpoint"),
                         "checkpoint_fever": ("卡口发现发热人员", "Fever at a checkpoint"),
                         "broken_chain": ("门岗记录链断裂", "Gate log chain broken"),
                         "shared_pass": ("疑似共用通行码", "Shared pass")},
    "key_state": {"active": ("在用", "Active"), "retired": ("已轮换（仍受信任）", "Retired (still trusted)"),
                  "withdrawn": ("已停用", "Withdrawn")},
    "audit_target": {"account": ("账号", "Account"), "alert": ("警报", "Alert"), "device": ("设备", "Device"),
                     "handover": ("交接", "Hand-over"), "key": ("密钥", "Key"), "key_area": ("重点疫区", "Key area"),
                     "major_event": ("重大事件", "Major event"), "person": ("人员", "Person"), "site": ("场所", "Site"),
                     "token": ("令牌", "Token"), "webhook": ("推送", "Webhook"),
                     "webhook_delivery": ("推送记录", "Webhook delivery"), "resumption": ("复工申请", "Application"),
                     "guardianship": ("代持", "Guardianship"), "reissue": ("换发任务", "Reissue job"),
                     "pass": ("通行证", "Pass")},
    "reissue_state": {"running": ("进行中", "Running"), "done": ("已完成", "Done")},
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
             "approver": ("行业主管部门审批员", "Approver (industry authority)"),
             "teacher": ("班主任", "Class teacher"), "desk": ("服务台人员", "Desk staff")},
    # 五个必清 (directive §四 item 18) and the school file (一校一档)
    "five_item": {"name": ("人员姓名", "Name"), "contact": ("联系方式", "Contact"), "address": ("居住地址", "Address"),
                  "health": ("健康状况", "Health"), "travel": ("出行动向", "Travel")},
    "five_state": {"clear": ("已清", "Clear"), "missing": ("缺", "Missing"), "alert": ("异常", "Alert")},
    "five_reason": {"ok": ("已登记", "On file"), "no_phone": ("无联系电话", "No phone number"),
                    "no_address": ("无居住地址", "No address"),
                    "no_check_today": ("今日未测体温", "No temperature check today"),
                    "checked": ("今日已测体温", "Temperature checked today"),
                    "fever": ("今日体温异常", "Fever or abnormal check today"),
                    "told_by_contact": ("今日联系时了解", "Told in today's contact"),
                    "no_contact_today": ("尚未返昆，今日未联系", "Not back yet, not contacted today"),
                    "no_origin": ("出行来源未登记", "Origin not recorded"),
                    "not_back_contacted": ("尚未返昆，今日已联系", "Not back yet, contacted today"),
                    "key_area_arrival": ("重点地区返昆", "Back from a key area"),
                    "back": ("已返昆", "Back"), "stayed": ("未离昆", "Stayed in the city")},
    "school_member": {"student": ("学生", "Student"), "staff": ("教职员工", "Staff")},
    "contact_channel": {"phone": ("电话", "Phone"), "wechat": ("微信", "WeChat"), "visit": ("上门", "Visit"),
                        "other": ("其他", "Other")},
    # 五个到位 (directive §一 item 4)
    "resumption_item": {"conditions": ("复工条件到位", "Conditions for resuming in place"),
                        "entry_control": ("进出车辆、人员登记和消杀防疫措施到位",
                                          "Vehicles and people registered and disinfected at the entrance"),
                        "notices": ("疫情防控公告、提示张贴和发放到位", "Notices and reminders posted and handed out"),
                        "briefings": ("以车间、班组为单位的防控知识宣讲到位", "Briefings held per workshop and team"),
                        "commitment": ("企业、职工联防联控承诺到位",
                                       "The firm's and staff's commitment to joint local control")},
    "resumption_state": {"pending": ("待审批", "Pending"), "approved": ("已批准复工", "Approved"),
                         "refused": ("未批准", "Refused"), "withdrawn": ("已撤销", "Withdrawn"),
                         "none": ("未申请", "Not applied"),
                         "not_required": ("无需审批", "No approval required")},
    "resumption_decision": {"approve": ("批准复工", "Approve"), "refuse": ("不予批准", "Refuse")},
    # family passes: who gave the dependant's consent, and how (gateway/guardianships.py)
    "consent_by": {"dependant": ("本人", "The dependant"), "legal_guardian": ("法定监护人", "Their legal guardian")},
    "consent_how": {"in_person": ("当面", "In person"), "signed_paper": ("书面签字", "Signed paper"),
                    "phone": ("电话", "By phone")},
    "scope_kind": {"community": ("社区", "Community"), "employer": ("单位", "Employer"),
                   "school": ("学校", "School"), "site": ("场所", "Site"), "class": ("班级", "Class"),
                   "city": ("全市", "Whole city")},
    "reason": {r.value: words for r, words in REASON_LABELS.items()},
    "people_filter": {"": ("全部", "All"), "quarantine": ("隔离中", "In quarantine"),
                      "ends_today": ("今天解除隔离", "Quarantine ends today"), "red": ("红码", "Red status"),
                      "no_pass": ("无通行证", "No pass")},
    # the audit log's actions (gateway code that records them: grep 'audit.record')
    "audit_action": {
        "handover.open": ("卡口移交", "Hand-over opened"), "handover.acknowledge": ("签收交接", "Hand-over acknowledged"),
        "handover.transfer": ("接转", "Hand-over transferred"), "handover.close": ("办结交接", "Hand-over closed"),
        "checkpoint.redact": ("卡口记录脱敏", "Checkpoint records redacted"),
        "contact.redact": ("联系记录内容过期删除", "Contact log contents removed after retention"),
        "site.edit": ("修改场所设置", "Site settings changed"),
        "major_event.acknowledge": ("确认重大事件", "Major event acknowledged"),
        "person.quarantine_start": ("开始隔离", "Quarantine started"),
        "resumption.apply": ("申请复工", "Resumption applied for"), "resumption.approve": ("批准复工", "Resumption approved"),
        "resumption.refuse": ("不批准复工", "Resumption refused"),
        "resumption.withdraw": ("撤销复工批准", "Resumption approval withdrawn"),
        "webhook.set": ("设置推送", "Webhook set"), "webhook.retry": ("重新推送", "Webhook sent again"),
        "holder.bind": ("绑定手机", "Phone bound"), "holder.rebind": ("重新绑定手机", "Phone bound again"),
        "pass.reissue_revoked": ("重新签发已作废的通行证", "Revoked pass reissued"),
        "account.create": ("创建账号", "Account created"), "account.disable": ("停用账号", "Account disabled"),
        "account.enable": ("启用账号", "Account enabled"), "account.login": ("登录", "Logged in"),
        "account.login_failed": ("登录失败", "Login failed"), "account.passwd": ("修改密码", "Password changed"),
        "alert.handle": ("警报已处理", "Alert handled"), "cards.reprint": ("重印纸质通行证", "Cards reprinted"),
        "cards.print": ("批量打印通行证卡", "Cards printed in bulk"),
        "desk.lookup": ("服务台查询证件", "Desk look-up by document"),
        "desk.throttled": ("服务台查询过于频繁，已暂停", "Desk look-ups paused: too many"),
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
        "person.class": ("调整班级", "Class changed"), "person.contact": ("记录每日联系", "Daily contact recorded"),
        "school.class_create": ("创建班级", "Class created"), "school.class_update": ("修改班级", "Class changed"),
        "school.file_export": ("导出一校一档", "School file exported"),
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
              "withdrawn": ("已撤销复工批准：各门岗下次同步后拒绝入场", "Approval withdrawn: the gates deny entry from their next sync"),
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
              "class_created": ("已创建班级", "Class created"), "class_set": ("已调整班级", "Class changed"),
              "contacted": ("已记录联系", "Contact recorded"),
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
    # the forms' own fields: their labels, and the words an error about one of them uses
    "site_field": {"code": ("场所代码", "Site code"), "name": ("场所名称", "Site name"), "kind": ("场所类型", "Site kind")},
    "class_field": {"code": ("班级代码", "Class code"), "name": ("班级名称", "Class name"), "grade": ("年级", "Grade"),
                    "teacher": ("班主任账号", "Class teacher account")},
    "policy_field": {"kind": ("类型", "Kind"), "site": ("场所代码", "Site code"), "communities": ("社区", "Communities"),
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
               "open_from": ("开放时间", "Opening time"), "items": ("五个到位", "Five in place"),
               "grade": ("年级", "Grade"), "teacher": ("班主任", "Class teacher"), "school": ("学校", "School"),
               "member": ("身份", "Member"), "caller": ("联系人", "Caller"), "channel": ("方式", "Channel"),
               "contact": ("联系记录", "Contact"), "taken_by": ("测温人", "Taken by"),
               "abnormal": ("异常", "Abnormal"), "format": ("格式", "Format"), "people": ("人数", "People"),
               "community": ("社区", "Community"), "links": ("关联", "Linked by"), "person": ("人员", "Person"),
               "record": ("卡口记录", "Checkpoint record"), "transport": ("转运方式", "Transport"),
               "quarantine_kind": ("隔离方式", "Quarantine"), "place": ("地点", "Place"), "note": ("备注", "Note"),
               "count": ("数量", "Count"), "rule": ("规则", "Rule"), "township": ("乡镇", "Township")},
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


def local(value: str | datetime | None, tz: ZoneInfo) -> str:
    """An ISO 8601 time as `2020-02-16 09:30` in the time zone `tz` (the city's); a date stays a date."""
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


_VALUE_KINDS = {"status": ("status",), "kind": ("site_kind", "handover_kind", "quarantine_kind"), "role": ("role",),
                "decision": ("decision",), "reason": ("reason",), "state": ("pass_state", "handover_state"),
                "transport": ("transport",), "quarantine_kind": ("quarantine_kind",)}

# reasons the gateway itself writes (audit rows, pass revocations, status history): words, not English
_SYSTEM_REASONS = {
    "registered at a road checkpoint": ("在道路卡口登记", "registered at a road checkpoint"),
    "linked to a key area at a road checkpoint": ("道路卡口发现与重点疫区有关", "linked to a key area at a road checkpoint"),
    "quarantine from a road checkpoint": ("道路卡口转入隔离", "quarantine from a road checkpoint"),
    "new cards after a key withdrawal": ("密钥停用后重印纸质通行证", "new cards after a key withdrawal"),
    "cleared by medical observation": ("医学观察期满解除", "cleared by medical observation"),
    "key areas changed": ("重点疫区已变更", "key areas changed"),
    "person data changed": ("人员信息已修改", "person data changed"),
    "quarantine ended early": ("提前结束隔离", "quarantine ended early"),
    "expired": ("已过期", "expired"),
    "sent again from the console": ("从控制台重新发送", "sent again from the console"),
}


def report_column(column: str, lang: str = DEFAULT) -> str:
    """A daily-report CSV column (gateway/reports.py CSV_COLUMNS) as a worker's spreadsheet heads it."""
    for prefix, kind, lead in (("denied_", "deny_group", ("拒绝：", "Denied: ")),
                               ("reason_", "reason", ("原因：", "Reason: ")),
                               ("alerts_", "alert_kind", ("警报：", "Alerts: ")),
                               ("major_events_", "major_event_rule", ("重大事项：", "Major events: "))):
        code = column.removeprefix(prefix)
        if column.startswith(prefix) and (code in _WORDS[kind] or code == "other"):
            words = label("deny_group", "other", lang) if code == "other" else label(kind, code, lang)
            return lead[0 if pick(lang) == "zh-CN" else 1] + words
    return label("report_column", column, lang)


def target_text(target: str | None, lang: str = DEFAULT) -> str:
    """An audit target `handover:12` as `交接 12`; a kind without words stays as written."""
    kind, sep, what = (target or "").partition(":")
    if not sep or kind not in _WORDS["audit_target"]:
        return target or ""
    return f"{label('audit_target', kind, lang)} {what}"


def reason_text(reason: str | None, lang: str = DEFAULT) -> str:
    """A reason as written: a person's words as they are, the gateway's own reasons in the page's language."""
    if not reason:
        return ""
    pair = _SYSTEM_REASONS.get(reason)
    return reason if pair is None else pair[0 if pick(lang) == "zh-CN" else 1]


def _link_words(link: str, lang: str) -> str:
    how, _, what = link.partition(":")
    if how in ("origin", "document", "plate") and what.isdigit():
        what = region(what.ljust(6, "0"), lang)
    return f"{label('key_area_link', how, lang)} {what}".strip()


def _value_label(key: str, value: str, lang: str) -> str:
    for kind in _VALUE_KINDS[key]:
        if value in _WORDS.get(kind, {}):
            return label(kind, value, lang)
    return value


def describe(details: dict[str, object], tz: ZoneInfo, lang: str = DEFAULT) -> str:
    """An audit entry's details in words: `状态: 绿码 · 过期: 2020-03-16 09:30`; codes and times shown
    as everywhere else, nested values flattened."""
    if _is_change(details):
        return _describe_change(details, tz, lang)
    parts = []
    for key, value in details.items():
        if isinstance(value, dict):
            shown = describe(value, tz, lang)
        elif isinstance(value, list) and key == "links":  # origin:420100, document:420102, plate:42
            shown = "，".join(_link_words(str(v), lang) for v in value)
        elif isinstance(value, list):
            shown = "，".join(str(v) for v in value)
        elif isinstance(value, str) and key in _VALUE_KINDS:
            shown = _value_label(key, value, lang)
        elif isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
            shown = local(value, tz)
        elif isinstance(value, str) and key == "policy":
            shown = value
        else:
            shown = "—" if value is None else str(value)
        parts.append(f"{label('detail', key, lang)}: {shown}")
    return " · ".join(parts)


def _is_change(details: dict[str, object]) -> bool:
    """A site's change (gateway/sites.py `_change_details`): the changed fields, each one's old and new."""
    return set(details) == {"changed", "old", "new"} and isinstance(details["changed"], list) \
        and isinstance(details["old"], dict) and isinstance(details["new"], dict)


def _change_value(key: str, value: object, tz: ZoneInfo, lang: str) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return label("yes_no", str(value), lang)
    if isinstance(value, list):
        return "，".join(str(v) for v in value)
    if key == "kind":
        return label("site_kind", value, lang)
    if key == "holder_binding":
        return label("holder_binding", value, lang)
    if key == "open_from" and isinstance(value, str):
        return local(value, tz)
    return str(value)


def _describe_change(details: dict[str, object], tz: ZoneInfo, lang: str) -> str:
    """`开放时间: 2020-02-10 00:00 → 2020-02-17 08:00 · 名称: 东厂 → 东方精密`: each changed field, old → new."""
    old, new = details["old"], details["new"]
    assert isinstance(old, dict) and isinstance(new, dict) and isinstance(details["changed"], list)
    parts = []
    for key in map(str, details["changed"]):
        word = label("policy_field", key, lang) if key in _WORDS["policy_field"] else label("detail", key, lang)
        parts.append(f"{word}: {_change_value(key, old.get(key), tz, lang)} → "
                     f"{_change_value(key, new.get(key), tz, lang)}")
    return " · ".join(parts) or label("detail", "changed", lang) + ": —"


# --- the gateway's error messages in Chinese -------------------------------------------------------
# The gateway speaks precise English (the API's `message`); a zh console page shows the same error in
# Chinese: the message is matched against the gateway's message shapes, the field named by its label.
# An unmatched message keeps its English after a Chinese lead, so nothing precise is lost.

_EXTRA_FIELDS = {"reason": "原因", "temperature": "体温", "symptoms": "症状", "checked_at": "检查时间",
                 "quarantine_place": "隔离地点", "from": "开始日期", "until": "结束日期", "prefix": "地区",
                 "code": "场所代码", "serial": "通行证编号", "username": "用户名", "password": "密码",
                 "kid": "密钥编号", "step": "处置步骤", "note": "备注", "file": "文件", "date": "日期",
                 "open_from": "开放时间", "decision": "决定", "url": "地址", "secret": "密钥", "township": "乡镇",
                 "place": "地点", "items": "五个到位", "state": "状态", "token": "口令",
                 "guardian_id": "代持人", "guardian_document_type": "代持人证件类型",
                 "guardian_document_number": "代持人证件号码", "consent_by": "同意人", "consent_how": "同意方式",
                 "consent_at": "同意时间", "school_class": "班级", "teacher": "班主任", "caller": "联系人",
                 "channel": "联系方式", "health": "身体状况", "plans": "行程动态", "contacted_at": "联系时间",
                 "taken_by": "测温人", "member": "身份", "grade": "年级", "policy": "场所设置"}


def field_word(field: str | None, form: str | None = None) -> str:
    """A field's Chinese label: the form's own words first (`form`, a kind such as "site_field"), then
    `policy.x` by the policy's words; an unknown field is '此项'."""
    if not field:
        return "此项"
    name = field.removeprefix("policy.")
    for kind in (*((form,) if form else ()), "import_field", "policy_field"):
        pair = _WORDS.get(kind, {}).get(name)
        if pair is not None:
            return pair[0]
    return _EXTRA_FIELDS.get(name, "此项")


def _bare(word: str) -> str:
    """A label without its unit (`发热阈值 °C` → `发热阈值`), for a sentence that states the unit itself."""
    return re.sub(r"\s*(?:°C|（[^（）]*）)$", "", word)


_F = r"(?P<f>[\w.]+)"
# keys/policy.py's sentences, as gateway/sites.py `policy_invalid` says them (`policy.open_from: must be …`;
# an approval's opening time says `open_from: …`); {u} is the field's label without its unit
_P = r"^(?P<f>(?:policy\.)?\w+): "
_POLICY_ERRORS = (
    (rf"{_P}must be a JSON object$", "{f}须为 JSON 对象"),
    (r"^policy\.(?P<k>.*): is not a policy field$", "不认识的场所设置：{k}"),
    (rf"{_P}must be one of .+$", "{f}须为所列选项之一"),
    (rf"{_P}must be a non-empty code of at most (?P<n>\d+) printable characters$",
     "{f}：每个代码须为 1–{n} 个字符，不能为空，不能含换行等控制字符"),
    (rf"{_P}must be an IANA time zone name$", "{f}须为时区名称，如 Asia/Shanghai"),
    (rf"{_P}unknown time zone (?P<z>.+)$", "不认识的{f}：{z}（请填写时区名称，如 Asia/Shanghai）"),
    (rf"{_P}must be an ISO 8601 date or date-time$", "{f}须为日期或日期加时间，如 2020-02-16 或 2020-02-16 08:00"),
    (rf"{_P}must be a temperature between (?P<a>[\d.]+) and (?P<b>[\d.]+) °C$", "{u}须为 {a}–{b} °C 之间的温度"),
    (rf"{_P}must be whole seconds between (?P<a>\d+) and (?P<b>\d+)$", "{u}须为 {a} 到 {b} 秒之间的整数"),
    (rf"{_P}must be whole minutes between (?P<a>\d+) and (?P<b>\d+)$", "{u}须为 {a} 到 {b} 分钟之间的整数"),
    (rf"{_P}must be a list of at most (?P<n>\d+) codes$", "{f}最多 {n} 个代码，用逗号分隔"),
    (rf"{_P}must be true or false$", "{f}须为是或否"),
)
# in English the field is named by the form's words too: `Opening time: must be …`
_POLICY_LEAD = re.compile(r"^(?:policy\.)?(?P<f>\w+): (?P<rest>.+)$", re.S)
_ERRORS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), zh) for p, zh in (
    *_POLICY_ERRORS,
    (rf"^{_F} must be a string$", "{f}必须是文字"),
    (rf"^{_F} must be 1\.\.(?P<b>\d+) characters$", "请填写{f}（最多 {b} 个字）"),
    (rf"^{_F} must be (?P<a>\d+)\.\.(?P<b>\d+) characters$", "{f}须为 {a}–{b} 个字"),
    (rf"^{_F} must not contain control characters$", "{f}不能包含控制字符"),
    (rf"^{_F} must be one of .+$", "{f}须为所列选项之一"),
    (rf"^{_F} must be a whole number between (?P<a>\S+) and (?P<b>\S+)$", "{f}须为 {a} 到 {b} 之间的整数"),
    (rf"^{_F} must be a whole number$", "{f}须为整数"),
    (rf"^{_F} must be a number between (?P<a>\S+) and (?P<b>\S+)$", "{f}须为 {a} 到 {b} 之间的数"),
    (rf"^{_F} must be true or false$", "{f}须为是或否"),
    (rf"^{_F} must be 1 or 0$", "{f}须为是或否"),
    (rf"^{_F} must be an ISO date", "{f}须为日期，如 2020-02-16"),
    (rf"^{_F} must be an ISO 8601 time", "{f}须为带时区的时间"),
    (rf"^{_F} must carry a UTC offset", "{f}须为带时区的时间"),
    (rf"^{_F} is out of range$", "{f}超出范围"),
    (rf"^{_F} is required$", "请填写{f}"),
    (rf"^{_F} must be a list of (?P<a>\d+)\.\.(?P<b>\d+) items$", "{f}须为 {a}–{b} 项"),
    (rf"^{_F} must be a code of letters", "{f}只能由字母、数字、“_”、“.”、“-”组成（最多 64 个）"),
    (rf"^{_F} is longer than (?P<n>\d+) characters$", "{f}超过 {n} 个字"),
    (r"^a resident ID number is 17 digits", "居民身份证号码应为 17 位数字加 1 位数字或 X"),
    (r"^the resident ID number does not start with a GB/T 2260", "身份证号码的前 6 位不是行政区划代码（GB/T 2260，1981 年以来）"),
    (r"^the birth date inside the resident ID number is not a date", "身份证号码中的出生日期不是有效日期"),
    (r"^the birth date inside the resident ID number is not plausible", "身份证号码中的出生日期不合理（早于 1870 年或在未来）"),
    (r"check digit \(GB 11643\) is wrong", "身份证号码的校验位不对（GB 11643）"),
    (r"^document_number must be 5\.\.30 letters and digits", "证件号码应为 5–30 位字母或数字"),
    (r"^document_number is too long", "证件号码太长"),
    (r"^phone must be 6\.\.20 digits", "电话号码应为 6–20 位数字，可以 + 开头"),
    (r"^origin must be a 6-digit GB/T 2260", "来自地区须为 6 位行政区划代码"),
    (r"^origin (?P<c>\d+) is not a GB/T 2260 region code in use since (?P<y>\d+)", "{c} 不是 {y} 年以来使用的行政区划代码"),
    (r"^origin (?P<c>\d+) \((?P<w>[^)]*)\) is a key epidemic area: arrived_on is required, the (?P<d>\d+)-day",
     "{w}（{c}）是重点疫区：必须填写抵达日期，{d} 天隔离从这天算起"),
    (r"^document_type and document_number change together", "证件类型和证件号码须一起修改"),
    (r"^left_origin_on must not be after arrived_on", "离开日期不能晚于抵达日期"),
    (r"outside your scope", "此人的社区、单位或学校不在您的负责范围内"),
    (r"^a person with this document is already registered", "持此证件的人已经登记过"),
    (r"^no person \d+$", "找不到此人"),
    (r"^a change of status needs a reason", "修改健康状态需要填写原因"),
    (r"^this change would shorten or end a quarantine", "此修改会缩短或结束隔离：只有管理员可以这样做，并须填写原因"),
    (r"^shortening or ending a quarantine needs a reason", "缩短或结束隔离需要填写原因"),
    (r"^this person is not in quarantine", "此人不在隔离中"),
    (r"^this person is already cleared", "此人已解除医学观察"),
    (r"^checked_at is in the future", "检查时间在未来：请记录实际检查的时间"),
    (r"^symptoms must be a list", "症状最多 20 项，每项是一段文字"),
    (r"^unknown community (?P<c>.+): no site admits it", "未知社区 {c}：没有场所接纳这个社区"),
    (r"^the same document as line (?P<n>\d+)", "与第 {n} 行的证件相同"),
    (r"^(?P<a>\d+) of (?P<b>\d+) rows have errors: nothing was imported", "{b} 行中有 {a} 行有错：未导入任何人"),
    (r"^person \d+ already has live pass \w+", "此人已有有效通行证：请换发"),
    (r"^pass \w+ is already (?P<s>\w+)$", "此通行证已经是“{s}”状态"),
    (r"^pass \w+ was revoked by an admin", "此通行证由管理员作废：只有管理员可以重新签发"),
    (r"^pass \w+ was replaced by \w+", "此通行证已被换发：请换发新的那张"),
    (r"^person \d+ has no resident link yet", "此人还没有居民链接：请先签发通行证"),
    (r"^the pass would not fit", "通行证内容太长，二维码放不下：社区、单位和学校代码合起来太长"),
    (r"^this person's pass is too long for a phone code", "此人的通行证太长，无法生成手机通行码：请用纸质通行证"),
    (r"^person \d+ has no phone binding", "此人没有绑定手机"),
    (r"^no pass \w+$", "找不到此通行证"),
    (r"^no site .+$", "找不到此场所"),
    (r"^no open alert \d+$", "找不到此警报，或已处理"),
    (rf"^{_F} must be 2\.\.6 digits of a GB/T 2260 region code", "{f}须为行政区划代码的前 2–6 位"),
    (rf"^{_F} does not start with a GB/T 2260 province code", "{f}不是以省级行政区划代码开头"),
    (rf"^{_F} \d+ is the start of no GB/T 2260 region code", "没有以此开头的行政区划代码"),
    (r"^no GB/T 2260 region in use is called '(?P<n>.*)'", "没有名为“{n}”的行政区划：请按列表写名称（如 湖北省、湖北省武汉市）或代码"),
    (r"^several regions are called '(?P<n>.*)' \((?P<o>.*)\)", "有几个地区都叫“{n}”（{o}）：请写全称或代码"),
    (r"^from is required", "请填写开始日期（计入的第一个抵达日）"),
    (r"^until must not be before from", "结束日期不能早于开始日期"),
    (r"^(?P<p>\d+) is not a key area", "{p} 不是重点疫区"),
    (r"^key \w+ is already withdrawn", "此密钥已经停用"),
    (r"^the file is neither UTF-8 nor GBK text", "文件既不是 UTF-8 也不是 GBK 文本：请另存为 CSV（UTF-8）或 XLSX"),
    (r"^the file holds binary data", "文件含有二进制数据：请另存为 CSV（UTF-8）或 XLSX"),
    (r"^the CSV cannot be read", "无法读取此 CSV 文件：请从 Excel 或 WPS 重新保存"),
    (r"^the XLSX file cannot be read", "无法读取此 XLSX 文件：请从 Excel 或 WPS 重新保存，或另存为 CSV"),
    (r"^the sheet has merged cells \((?P<c>[^)]*)\)", "表格有合并单元格（{c}）：请取消合并，每人一行"),
    (r"^the (?:sheet|file) has (?P<n>\d+) rows: at most (?P<m>\d+)", "文件有 {n} 行：每次最多 {m} 行，请分成几个文件"),
    (r"^cell (?P<c>\w+) holds a formula", "单元格 {c} 是公式：请只粘贴数值"),
    (r"^the file is empty", "文件是空的"),
    (r"^the file has no rows", "文件中没有任何行"),
    (r"^unknown columns: (?P<c>.*) \(use the template", "不认识的列：{c}（请用模板中的列名或 API 字段名）"),
    (r"^the first row must name the columns; missing: (?P<c>.*)$", "第一行须为列名；缺少：{c}"),
    (r"^the file has a header but no people", "文件只有列名，没有人员"),
    (r"^items\.\w+ must be in place before the firm applies", "五个到位：每一项都到位后才能申请"),
    (r"^items must be an object with the five items", "请填写五个到位的每一项"),
    (r"^site '[^']*' is a \w+: only a factory or a construction site", "只有工厂或工地可以申请复工"),
    (r"^site '[^']*' is already approved to resume", "此场所已获批复工"),
    (r"^site '[^']*' has an application waiting for a decision", "此场所已有一份待审批的申请"),
    (r"^open_from is for an approval", "开放时间只在批准时填写"),
    (r"^no resumption application \d+$", "找不到此复工申请"),
    (r"^application \d+ is already withdrawn", "此申请的复工批准已经撤销"),
    (r"^application \d+ is already (?P<s>\w+)", "此申请已经处理过"),
    (r"^application \d+ is \w+: only an approval can be withdrawn", "只有已批准的申请才能撤销批准"),
    (r"^site '[^']*' is not approved to resume now", "此场所目前未获批复工，没有可撤销的批准"),
    (r"^application \d+ was followed by a later approval", "此场所之后又有一次批准：请撤销最新的那一份"),
    (r"^application \d+ was withdrawn meanwhile", "此申请的批准刚刚已由别人撤销"),
    (r"^application \d+ was decided meanwhile", "此申请刚刚已由别人处理"),
    (r"^url must be an http\(s\) URL", "地址须为 http(s) 网址，带主机名，不含用户名或密码"),
    (r"^no webhook delivery \d+$", "找不到此推送"),
    (r"^delivery \d+ is \w+: only a dead one is sent again", "只有已放弃的推送才能重新发送"),
    (r"^no hand-over \d+$", "找不到此交接"),
    (r"^place is required: the central observation point", "请填写地点：此人被送往的集中观察点"),
    (r"^hand-over \d+ is \w+: it cannot be \w+ now", "此交接当前状态下不能执行这一步"),
    (r"^policy\.\w+ is the site's identity", "场所类型和代码不能在此修改"),
    (r"^policy\.\w+ is set by a resumption approval", "此项由复工审批设定，不能直接修改"),
    (r"^unknown policy field", "不认识的场所设置"),
    (r"^site '[^']*' exists", "此场所代码已存在"),
    (r"^the enrolment token is unknown, used or expired", "登记口令不存在、已用过或已过期"),
    (r"^no device .+$", "找不到此设备"),
    (r"^no major event \d+$", "找不到此重大事件"),
    (r"^major event \d+ was already acknowledged", "此重大事件已经确认过"),
    (r"^the (?P<r>\w+) role may not do this", "“{r}”角色不能执行此操作"),
    (r"^account '[^']*' exists", "此用户名已存在"),
    (r"^no account '[^']*'", "找不到此账号"),
    (r"^account '[^']*' is already (?P<s>\w+)", "此账号已经是这个状态"),
    (r"^an admin reaches the whole city", "管理员负责全市：不填范围，或填 city"),
    (r"^looking people up by document or phone needs", "按证件号或电话查人需要登记员或管理员角色"),
    (r"^only an admin may see full document and phone numbers", "只有管理员可以查看完整的证件号和电话"),
    (r"^document_type is required with document_number", "填写证件号码时须同时填写证件类型"),
    (r"^date is required", "请填写日期（年-月-日）"),
    (r"^site is required: your scope", "请选择场所：您的负责范围只包括部分场所"),
    (r"^there is no site '[^']*'", "找不到此场所"),
    (r"^policy\.kind must match kind", "设置中的场所类型须与场所类型一致"),
    (r"^policy\.site must match code", "设置中的场所代码须与场所代码一致"),
    (r"^no such resident link", "找不到此居民链接"),
    (r"^this pass was bound to a phone (?P<n>\d+) times in (?P<d>\d+) days", "此通行证 {d} 天内已绑定手机 {n} 次：请工作人员重置"),
    (r"^this person has no live pass", "此人没有有效通行证：请联系登记员"),
    (r"^no key \S+$", "找不到此密钥"),
    (r"^key \S+ still signs: withdraw it before reissuing", "此密钥仍在签发：请先停用，再换发它签发的通行证"),
    (r"^no reissue job \d+$", "找不到此换发任务"),
    (r"^no token \d+$", "找不到此令牌"),
    (r"^token \d+ is already revoked", "此令牌已经作废"),
    (r"^this device has been disabled", "此设备已停用"),
    (r"^give the guardian by guardian_id, or by", "请按证件类型和证件号码指定代持人"),
    (r"^guardian_document_type and guardian_document_number go together", "代持人的证件类型和证件号码须一起填写"),
    (r"^no person with this document in your scope: register the guardian first",
     "您负责的范围内没有持此证件的人：请先登记代持人"),
    (r"^consent_at is in the future", "同意时间在未来：请填写实际同意的时间"),
    (r"^no guardianship \d+$", "找不到此代持关系"),
    (r"^a person cannot be their own dependant", "不能代持自己的通行证"),
    (r"^(?P<n>.+) already holds this person's pass", "{n} 已经代持此人的通行证"),
    (r"^(?P<n>.+) already holds (?P<m>\d+) people's passes, the most one guardian may hold",
     "{n} 已代持 {m} 人的通行证，已达上限：请先结束一个，或另选代持人"),
    (r"^guardianship \d+ has already ended", "此代持关系已经结束"),
    # the school file (gateway/schools.py)
    (r"^a class teacher reaches their classes only", "班主任只能管理自己的班级：范围请填 class:学校代码/班级代码"),
    (r"^a class scope \(class:SCHOOL/CLASS\) is a class teacher's", "班级范围（class:学校/班级）只用于班主任角色"),
    (r"^no class '(?P<k>[^']*)' in school '(?P<s>[^']*)'", "学校 {s} 没有班级 {k}"),
    (r"^school (?P<s>\S+) has no class (?P<k>\S+)$", "学校 {s} 没有班级 {k}"),
    (r"^school (?P<s>\S+) already has a class (?P<k>\S+)$", "学校 {s} 已有班级 {k}"),
    (r"^no active console account '(?P<n>[^']*)'", "没有可用的控制台账号 {n}"),
    (r"^account '(?P<n>[^']*)' is not a teacher scoped to class:(?P<c>\S+)$",
     "账号 {n} 不是此班级（{c}）的班主任账号：须为班主任角色，范围为此班级"),
    (r"^contacted_at is in the future", "联系时间在未来：请填写实际联系的时间"),
    (r"^this person has no school", "此人尚未登记学校：请先填写学校"),
    (r"^this person is back \(or has no origin\)", "此人已返昆（或未登记来源地）：请记录每日体温检测，而非联系记录"),
    (r"^school (?P<s>\S+) is outside your scope", "学校 {s} 不在您的管理范围内"),
    (r"^class (?P<c>\S+) is outside your scope", "班级 {c} 不在您的管理范围内"),
    (r"^unknown field", "不认识的字段"),
    (r"^unknown query parameter", "不认识的查询参数"),  # the API's query() (gateway/api/spec.py)
    (r"^(?P<f>[\w.]+) is given more than once$", "{f}只能给一次"),
    (rf"^{_F} must be .+$", "{f}的格式不对"),
)]
_KIND_LEAD = {"InvalidInput": "输入有误", "Conflict": "与现有数据冲突", "Forbidden": "无权执行此操作",
              "NotFound": "找不到"}


def error_text(message: str, field: str | None = None, lang: str = DEFAULT, kind: str | None = None,
               form: str | None = None) -> str:
    """A gateway error message in the page's language (English stays as the gateway wrote it, but a
    policy field is named by its label); `form` names the form's own field words (e.g. "class_field")."""
    if pick(lang) == "en":
        lead = _POLICY_LEAD.match(message)
        if lead and lead["f"] in _WORDS["policy_field"]:
            return f"{label('policy_field', lead['f'], 'en')}: {lead['rest']}"
        return message
    for pattern, zh in _ERRORS:
        found = pattern.search(message)
        if found:
            groups = {k: v for k, v in found.groupdict().items() if v is not None}
            if "f" in groups:
                groups["f"] = field_word(field or groups["f"], form)
                groups["u"] = _bare(groups["f"])
            if "s" in groups:
                groups["s"] = label("pass_state", groups["s"], lang)
            if "r" in groups:
                groups["r"] = label("role", groups["r"], lang)
            return zh.format_map(groups)
    return f"{_KIND_LEAD.get(kind or '', '操作未完成')}：{message}"
