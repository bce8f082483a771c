"""Domain vocabulary (DESIGN.md §3): enumerations shared by models, services and UI.

The stored values are the Chinese terms the secretariat already uses in its Excel
ledgers, so an exported sheet reads naturally and an import needs no mapping.
"""

from __future__ import annotations

INSPECTION_KINDS = ("日常督查", "抽查暗访")
KIND_ROUTINE, KIND_SPOT = INSPECTION_KINDS
# Where an inspection's point comes from: the site's own coordinates, the tablet's position, a tap on the map.
LOCATION_SOURCES = ("工地坐标", "设备定位", "地图选点")
LOC_SITE, LOC_DEVICE, LOC_MAP = LOCATION_SOURCES

CHECKLIST_ITEMS = {
    "S1": "工地周边100%围挡",
    "S2": "物料堆放100%覆盖",
    "S3": "出入车辆100%冲洗",
    "S4": "施工现场地面100%硬化",
    "S5": "拆迁/土方开挖100%湿法作业",
    "S6": "渣土车辆100%密闭运输",
}
CHECKLIST_RESULTS = ("符合", "不符合", "不适用")
RESULT_PASS, RESULT_FAIL, RESULT_NA = CHECKLIST_RESULTS

# Finding categories: the six checklist items plus the further local items.
EXTRA_CATEGORIES = ("监测监控", "喷淋雾炮", "夜间施工", "公示牌台账", "其他")
FINDING_CATEGORIES = tuple(CHECKLIST_ITEMS) + EXTRA_CATEGORIES

SEVERITIES = ("一般", "较重", "严重")
SEV_MINOR, SEV_MAJOR, SEV_SEVERE = SEVERITIES

# Problem lifecycle; 逾期 (overdue) is derived from due_date and never stored.
FINDING_STATUSES = ("待交办", "整改中", "待复查", "已销号")
ST_NEW, ST_RECTIFYING, ST_AWAITING_RECHECK, ST_CLOSED = FINDING_STATUSES
OPEN_STATUSES = (ST_NEW, ST_RECTIFYING, ST_AWAITING_RECHECK)

FINDING_EVENTS = ("发现", "交办", "整改回复", "复查通过", "复查未通过", "申请延期", "同意延期", "驳回延期")
# A responsible unit may ask for more time; the group leader grants or refuses (issue 15).
EXTENSION_STATES = ("待审批", "已同意", "已驳回")
EXT_PENDING, EXT_GRANTED, EXT_REFUSED = EXTENSION_STATES
# 复查通过 without an after-photo only with one of these reasons, ticked by the group leader.
NO_AFTER_PHOTO_REASONS = ("现场复查已核实整改到位", "问题已随工程竣工或拆除消除", "整改后场地不宜拍摄")

RESPONSIBLE_UNITS = ("住建局", "生态环境局", "城管局", "属地街道", "建设单位")  # migration 0005 seeds ``units``
UNIT_KINDS = ("政府部门", "街道", "建设单位", "其他")

# Reminder outbox (issue 15): each message is pending until delivered, failed (retried later) or sent.
OUTBOX_STATES = ("待发送", "已发送", "发送失败")
OUT_PENDING, OUT_SENT, OUT_FAILED = OUTBOX_STATES
OUTBOX_CHANNELS = ("email", "webhook")
CHANNEL_LABELS = {"email": "邮件", "webhook": "群机器人"}
DIGEST_AUDIENCES = ("unit", "group")  # 责任单位日报 / 组长日报

SITE_STATUSES = ("在建", "停工", "竣工")

PHOTO_KINDS = ("整改前", "整改后")
PHOTO_BEFORE, PHOTO_AFTER = PHOTO_KINDS
PHOTO_CHECKS = ("现场核验", "位置不符", "时间不符", "无定位信息")

ROOM_KINDS = ("街道", "村社区", "企业")
PROJECT_STATUSES = ("推进中", "已解决")

PROPOSAL_STAGES = ("提交", "立案", "不立案", "交办", "办理中", "已答复", "办结")
RESULT_CODES = ("A", "B", "C")
RESULT_CODE_LABELS = {"A": "已解决或基本解决", "B": "正在解决/列入计划", "C": "受条件限制以后解决"}
SATISFACTION = ("满意", "基本满意", "不满意")

OPINION_STATUSES = ("收集", "编报", "采用", "批示")

ACTIVITY_KINDS = ("常委会集体学习", "机关学习", "界别学习研讨", "协商", "界别活动")

ROLES = ("chair", "inspector", "group_leader", "secretariat", "unit")
ROLE_LABELS = {
    "chair": "主席/副主席",
    "inspector": "督查组成员",
    "group_leader": "督查组组长",
    "secretariat": "机关",
    "unit": "责任单位",
}
