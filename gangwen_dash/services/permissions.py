"""Who may do what: the permission matrix, enforced by every write service via ``base.require``.

Roles (DESIGN.md §2, issue 5):
- chair (主席/副主席): reads everything, writes nothing;
- inspector (督查组成员): records inspections and acts on problems of their OWN group;
- group_leader (组长): as inspector, and also re-checks and closes (复查/销号);
- secretariat (机关): manages users, members, groups, sites, rooms, projects, proposals, activities,
  imports/exports and the weekly pack. The secretariat may also act on any group's problems
  (it supports both groups), but does not re-check: that is the group's own judgement on site.
"""

from __future__ import annotations

from gangwen_dash.domain import ROLE_LABELS

GROUP_SCOPED = "group"  # allowed, but only on records of the actor's own group
ANY = "any"

# action -> {role: scope}
MATRIX: dict[str, dict[str, str]] = {
    "inspection.record": {"inspector": GROUP_SCOPED, "group_leader": GROUP_SCOPED, "secretariat": ANY},
    "site.register": {"inspector": ANY, "group_leader": ANY, "secretariat": ANY},
    "finding.hand_over": {"inspector": GROUP_SCOPED, "group_leader": GROUP_SCOPED, "secretariat": ANY},
    "finding.reply": {"inspector": GROUP_SCOPED, "group_leader": GROUP_SCOPED, "secretariat": ANY},
    "finding.recheck": {"group_leader": GROUP_SCOPED},
    "draft.save": {"inspector": ANY, "group_leader": ANY, "secretariat": ANY},
    "weekly_note.save": {"secretariat": ANY},
}

ACTION_LABELS = {
    "inspection.record": "录入督查记录",
    "site.register": "登记工地",
    "finding.hand_over": "交办问题",
    "finding.reply": "登记整改回复",
    "finding.recheck": "复查销号",
    "draft.save": "保存草稿",
    "weekly_note.save": "编辑周报下周安排",
}


def can(role: str, action: str, *, actor_group_id: int | None = None,
        record_group_id: int | None = None) -> tuple[bool, str]:
    """(allowed, Chinese reason when not)."""
    label = ACTION_LABELS.get(action, action)
    scope = MATRIX.get(action, {}).get(role)
    if scope is None:
        return False, f"{ROLE_LABELS.get(role, role)}无权{label}"
    if scope == GROUP_SCOPED and record_group_id is not None and record_group_id != actor_group_id:
        return False, f"只能{label}本督查组的记录"
    return True, ""
