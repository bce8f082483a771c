"""Who may do what: the permission matrix, enforced by every write service via ``base.require``.

Roles (DESIGN.md §2, issue 5):
- chair (主席/副主席): reads everything, writes nothing;
- inspector (督查组成员): records inspections and acts on problems of their OWN group;
- group_leader (组长): as inspector, and also re-checks and closes (复查/销号);
- secretariat (机关): manages users, members, groups, sites, rooms, projects, proposals, activities,
  imports/exports and the weekly pack. The secretariat may also act on any group's problems
  (it supports both groups), but does not re-check: that is the group's own judgement on site;
- unit (责任单位, issue 15): an account of one responsible unit; replies to and asks for more time on the
  problems handed to ITS unit, nothing else. The group leader grants or refuses the extension.
"""

from __future__ import annotations

from gangwen_dash.domain import ROLE_LABELS

GROUP_SCOPED = "group"  # allowed, but only on records of the actor's own group
ANY = "any"
UNIT_SCOPED = "unit"  # allowed, but only on problems handed to the actor's own unit

# action -> {role: scope}
MATRIX: dict[str, dict[str, str]] = {
    "inspection.record": {"inspector": GROUP_SCOPED, "group_leader": GROUP_SCOPED, "secretariat": ANY},
    "site.register": {"inspector": ANY, "group_leader": ANY, "secretariat": ANY},
    "finding.hand_over": {"inspector": GROUP_SCOPED, "group_leader": GROUP_SCOPED, "secretariat": ANY},
    "finding.reply": {"inspector": GROUP_SCOPED, "group_leader": GROUP_SCOPED, "secretariat": ANY,
                      "unit": UNIT_SCOPED},
    "finding.recheck": {"group_leader": GROUP_SCOPED},
    "finding.request_extension": {"unit": UNIT_SCOPED},
    "finding.decide_extension": {"group_leader": GROUP_SCOPED},
    "letter.issue": {"group_leader": GROUP_SCOPED, "secretariat": ANY},
    "unit.manage": {"secretariat": ANY},
    "draft.save": {"inspector": ANY, "group_leader": ANY, "secretariat": ANY},
    "weekly_note.save": {"secretariat": ANY},
    # Secretariat management (services/records.py, services/users.py) and Excel exchange (exchange/).
    "user.manage": {"secretariat": ANY},
    "group.manage": {"secretariat": ANY},
    "member.manage": {"secretariat": ANY},
    "site.manage": {"secretariat": ANY},
    "room.manage": {"secretariat": ANY},
    "project.manage": {"secretariat": ANY},
    "proposal.manage": {"secretariat": ANY},
    "opinion.manage": {"secretariat": ANY},
    "activity.manage": {"secretariat": ANY},
    "data.import": {"secretariat": ANY},
    "data.export": {"secretariat": ANY},
}

ACTION_LABELS = {
    "inspection.record": "录入督查记录",
    "site.register": "登记工地",
    "finding.hand_over": "交办问题",
    "finding.reply": "登记整改回复",
    "finding.recheck": "复查销号",
    "finding.request_extension": "申请延期",
    "finding.decide_extension": "审批延期申请",
    "letter.issue": "出具交办单",
    "unit.manage": "管理责任单位",
    "draft.save": "保存草稿",
    "weekly_note.save": "编辑周报下周安排",
    "user.manage": "管理用户账号",
    "group.manage": "管理督查组",
    "member.manage": "管理委员信息",
    "site.manage": "编辑工地信息",
    "room.manage": "管理协商议事室",
    "project.manage": "管理民生项目",
    "proposal.manage": "管理提案",
    "opinion.manage": "管理社情民意",
    "activity.manage": "管理履职活动",
    "data.import": "导入Excel台账",
    "data.export": "导出Excel台账",
}


def can(role: str, action: str, *, actor_group_id: int | None = None, record_group_id: int | None = None,
        actor_unit_id: int | None = None, record_unit_id: int | None = None) -> tuple[bool, str]:
    """(allowed, Chinese reason when not). A unit-scoped action checked without a record (the service's
    first gate) passes; with a record (``record_unit_id``, 0 when the record names no known unit) it must
    be the actor's own unit."""
    label = ACTION_LABELS.get(action, action)
    scope = MATRIX.get(action, {}).get(role)
    if scope is None:
        return False, f"{ROLE_LABELS.get(role, role)}无权{label}"
    if scope == GROUP_SCOPED and record_group_id is not None and record_group_id != actor_group_id:
        return False, f"只能{label}本督查组的记录"
    if scope == UNIT_SCOPED and record_unit_id is not None and (actor_unit_id is None
                                                                 or record_unit_id != actor_unit_id):
        return False, f"只能{label}交办给本单位的问题"
    return True, ""


# The CPPCC's own roles; a 责任单位 (``unit``) account sees only the pages that list it.
CPPCC_ROLES = ("chair", "inspector", "group_leader", "secretariat")

# page (its url path) -> the roles that see it in the navigation and may open it
PAGES: dict[str, tuple[str, ...]] = {
    "dashboard": CPPCC_ROLES,
    "rectification": CPPCC_ROLES,
    "projects": ("chair", "secretariat", "group_leader"),
    "activities": ("chair", "secretariat", "group_leader"),
    "map": CPPCC_ROLES,
    "entry": ("inspector", "group_leader", "secretariat"),
    "tracking": ("inspector", "group_leader", "secretariat"),
    "letters": ("group_leader", "secretariat"),
    "unit": ("unit",),
    "weekly": ("secretariat", "chair"),
    "records": ("secretariat",),
    "exchange": ("secretariat",),
    "outbox": ("secretariat",),
}


def can_open(role: str | None, page: str) -> bool:
    """May ``role`` open the page at url path ``page``? ``None``: no sign-in configured yet, every page."""
    return role is None or role in PAGES.get(page, ())

