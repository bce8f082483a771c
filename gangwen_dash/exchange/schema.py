"""The Excel ledger format (台账): one sheet per kind, Chinese headers, enum lists, natural keys.

The same definitions drive the template, the export and the import, so what is exported can be
imported again. Sheets are listed in dependency order (a sheet only refers to sheets before it).
"""

from __future__ import annotations

from dataclasses import dataclass

from gangwen_dash import domain

INSTRUCTIONS_SHEET = "说明"
BOOL_CHOICES = ("是", "否")
NAME_SEPARATOR = "、"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text, longtext, int, float, date, datetime, bool, choice, names
    required: bool = False
    choices: tuple[str, ...] = ()
    # For references by name: the sheet whose first column lists the allowed names (drop-down).
    ref_sheet: str | None = None
    width: int = 14
    note: str = ""


@dataclass(frozen=True)
class Sheet:
    name: str
    entity: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key: a row whose key exists already is skipped on import
    note: str

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _checklist_columns() -> tuple[Column, ...]:
    return tuple(Column(f"check_{code}", f"{code} {label}", "choice", choices=domain.CHECKLIST_RESULTS, width=12)
                 for code, label in domain.CHECKLIST_ITEMS.items())


SHEETS: tuple[Sheet, ...] = (
    Sheet("街道", "street", (
        Column("name", "街道名称", required=True, width=18),
        Column("lat", "纬度", "float", required=True, width=11, note="WGS-84"),
        Column("lon", "经度", "float", required=True, width=11, note="WGS-84"),
    ), ("name",), "街道/园区及其大致中心坐标（WGS-84）。"),
    Sheet("督查组", "group", (
        Column("name", "督查组名称", required=True, width=16),
        Column("sort_order", "排序", "int", width=8),
    ), ("name",), "督查组名单。"),
    Sheet("委员", "member", (
        Column("name", "姓名", required=True, width=12),
        Column("sector", "界别", required=True, width=14),
        Column("group", "督查组", ref_sheet="督查组", width=14, note="不参加督查组的委员留空"),
        Column("phone", "电话", width=15),
        Column("is_active", "在职", "bool", choices=BOOL_CHOICES, width=8, note="留空视为“是”"),
    ), ("name",), "委员名册；姓名唯一。"),
    Sheet("工地", "site", (
        Column("name", "工地名称", required=True, width=28),
        Column("street", "所属街道", required=True, ref_sheet="街道", width=16),
        Column("address", "地址", width=28),
        Column("lat", "纬度", "float", width=11, note="WGS-84；留空则按所属街道中心定位，并标记“位置待核”"),
        Column("lon", "经度", "float", width=11, note="WGS-84"),
        Column("builder", "建设单位", width=18),
        Column("status", "状态", "choice", choices=domain.SITE_STATUSES, width=8, note="留空视为“在建”"),
    ), ("name",), "扬尘管控在监工地；工地名称唯一。"),
    Sheet("督查记录", "inspection", (
        Column("site", "工地名称", required=True, ref_sheet="工地", width=28),
        Column("inspected_at", "督查时间", "datetime", required=True, width=17),
        Column("group", "督查组", required=True, ref_sheet="督查组", width=14),
        Column("kind", "督查方式", "choice", required=True, choices=domain.INSPECTION_KINDS, width=10),
        Column("members", "参与委员", "names", width=30, note=f"多人用“{NAME_SEPARATOR}”分隔"),
        Column("lat", "纬度", "float", width=11, note="留空用工地坐标"),
        Column("lon", "经度", "float", width=11),
        Column("location_source", "定位来源", "choice", choices=domain.LOCATION_SOURCES, width=10),
        Column("notes", "备注", "longtext", width=24),
        *_checklist_columns(),
    ), ("site", "inspected_at", "group"), "每次日常督查或抽查暗访一行；同一工地、同一时间、同一督查组视为同一次督查。"),
    Sheet("问题", "finding", (
        Column("site", "工地名称", required=True, ref_sheet="工地", width=28),
        Column("inspected_at", "督查时间", "datetime", required=True, width=17,
               note="与“督查记录”表中的督查时间一致"),
        Column("group", "督查组", required=True, ref_sheet="督查组", width=14),
        Column("category", "问题类别", "choice", required=True, choices=domain.FINDING_CATEGORIES, width=10),
        Column("severity", "严重程度", "choice", required=True, choices=domain.SEVERITIES, width=9),
        Column("description", "问题描述", "longtext", required=True, width=26),
        Column("responsible_unit", "责任单位", required=True, width=12),
        Column("due_date", "整改期限", "date", required=True, width=12, note="现行期限"),
        Column("first_due_date", "首次整改期限", "date", width=12, note="留空同整改期限"),
        Column("status", "状态", "choice", required=True, choices=domain.FINDING_STATUSES, width=9),
        Column("handed_over_at", "交办时间", "datetime", width=17),
        Column("replied_at", "整改回复时间", "datetime", width=17),
        Column("reply_text", "回复内容", "longtext", width=20),
        Column("rechecked_at", "复查时间", "datetime", width=17),
        Column("closed_at", "销号时间", "datetime", width=17),
        Column("recheck_failures", "复查未通过次数", "int", width=8),
        Column("verified_on_site", "现场核验", "bool", choices=BOOL_CHOICES, width=8),
    ), ("site", "inspected_at", "group", "category", "description"),
        "督查发现的问题及整改情况；工地名称 + 督查时间 + 督查组 指向“督查记录”中的一次督查。"),
    Sheet("协商议事室", "room", (
        Column("name", "名称", required=True, width=28),
        Column("street", "所属街道", required=True, ref_sheet="街道", width=16),
        Column("kind", "类型", "choice", required=True, choices=domain.ROOM_KINDS, width=8),
        Column("lat", "纬度", "float", required=True, width=11),
        Column("lon", "经度", "float", required=True, width=11),
        Column("established_on", "设立日期", "date", required=True, width=12),
        Column("is_pilot", "首批试点", "bool", choices=BOOL_CHOICES, width=8),
    ), ("name",), "“有事好商量”协商议事室；名称唯一。"),
    Sheet("民生项目", "project", (
        Column("title", "项目名称", required=True, width=32),
        Column("room", "协商议事室", required=True, ref_sheet="协商议事室", width=28),
        Column("status", "状态", "choice", required=True, choices=domain.PROJECT_STATUSES, width=9),
        Column("raised_on", "提出日期", "date", required=True, width=12),
        Column("solved_on", "解决日期", "date", width=12, note="已解决时必填"),
    ), ("room", "title"), "协商议事室推动的民生项目。"),
    Sheet("提案", "proposal", (
        Column("number", "提案编号", required=True, width=11),
        Column("title", "标题", required=True, width=34),
        Column("proposer", "提案人", required=True, width=14),
        Column("submitted_on", "提交日期", "date", required=True, width=12),
        Column("stage", "办理阶段", "choice", required=True, choices=domain.PROPOSAL_STAGES, width=9),
        Column("handling_unit", "承办单位", width=14),
        Column("assigned_on", "交办日期", "date", width=12),
        Column("replied_on", "答复日期", "date", width=12),
        Column("result_code", "办理结果", "choice", choices=domain.RESULT_CODES, width=8,
               note="A 已解决或基本解决 / B 正在解决 / C 以后解决"),
        Column("satisfaction", "满意度", "choice", choices=domain.SATISFACTION, width=9),
        Column("is_key", "重点提案", "bool", choices=BOOL_CHOICES, width=8),
        Column("is_excellent", "优秀提案", "bool", choices=BOOL_CHOICES, width=8),
        Column("lead_chair", "领衔主席", width=14, note="重点提案必填"),
        Column("progress", "办理进展", "longtext", width=24),
    ), ("number",), "提案办理台账；提案编号唯一。"),
    Sheet("社情民意", "opinion", (
        Column("title", "标题", required=True, width=34),
        Column("collector", "收集人", required=True, width=14),
        Column("submitted_on", "报送日期", "date", required=True, width=12),
        Column("status", "状态", "choice", required=True, choices=domain.OPINION_STATUSES, width=8),
        Column("instructed", "领导批示", "bool", choices=BOOL_CHOICES, width=8),
    ), ("title", "submitted_on"), "民意监督员收集的社情民意信息。"),
    Sheet("履职活动", "activity", (
        Column("title", "活动名称", required=True, width=34),
        Column("kind", "类型", "choice", required=True, choices=domain.ACTIVITY_KINDS, width=14),
        Column("held_on", "日期", "date", required=True, width=12),
        Column("members", "参加委员", "names", width=40, note=f"多人用“{NAME_SEPARATOR}”分隔"),
    ), ("title", "held_on"), "学习、协商、界别活动等履职活动。"),
)

SHEET_BY_NAME = {s.name: s for s in SHEETS}
# The kinds the issue names, in the order the secretariat knows them (others are reference sheets).
MAIN_SHEETS = ("委员", "工地", "督查记录", "问题", "民生项目", "提案", "社情民意", "履职活动")

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a text cell inert in Excel/WPS: text starting with = + - @ (or a tab/CR) gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unneutralise(value):
    """The inverse on import: an exported "'=…" cell comes back as the stored "=…"."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value
