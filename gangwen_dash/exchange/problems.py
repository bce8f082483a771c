"""One problem row of a ledger (the template's 问题 sheet, or the secretariat's own ledger): new, updated
or unchanged. The row is mapped here; the rules every door shares (the app's limits and messages, no
future dates, deadline not before the inspection, status consistent with its times, a responsible unit
from the list) and the writing are the import commands' (``services.imports``).

From a ledger of the secretariat's own, a row also implies what the template spells out: the
inspection (site + time + group; created when missing), the site (created at its street's centre and
flagged 位置待核 when the system does not know it), the deadline (by severity) and the status (from the
交办/回复/销号 times; a row with a unit and a deadline has been handed over).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from gangwen_dash import domain
from gangwen_dash.exchange.mapping import normalize_name
from gangwen_dash.exchange.report import NEW, SAME, UPDATE, RowInvalid
from gangwen_dash.exchange.schema import SHEET_BY_NAME
from gangwen_dash.models import Finding, Inspection
from gangwen_dash.services import imports, records
from gangwen_dash.services.base import StaleEdit
from gangwen_dash.services.inspections import default_due_date

if TYPE_CHECKING:
    from gangwen_dash.exchange.rows import Importer

def _invalid(errors: list[tuple[str, str]]) -> Exception:
    return RowInvalid(errors)


def _site_id(imp: Importer, v: dict[str, Any]) -> int:
    """The row's site; from a ledger, an unknown site is created at its street's centre (位置待核)."""
    found = imp.known("site", v["site"])
    if found is not None or not imp.ledger:
        return imp.ref("site", v["site"], "工地名称", "工地")
    if not v.get("street"):
        raise _invalid([("工地名称", f"工地“{v['site']}”不存在；请在“所属街道”列填写街道（或指定统一的街道），"
                                 "系统将按街道中心定位新建该工地并标记“位置待核”")])
    street_id = imp.ref("street", v["street"], "所属街道", "街道")
    lat, lon = imp.street_centre(street_id)
    cmd = imp.command(SHEET_BY_NAME["工地"], "site", {"name": v["site"], "street_id": street_id, "lat": lat, "lon": lon})
    obj = records.create_in(imp.s, imp.actor, "site", cmd, action="site.import", extra={"location_unverified": True})
    imp.ids["site"][normalize_name(v["site"])] = obj.id
    imp.located.append(v["site"])
    return obj.id


def _derive(v: dict[str, Any], current: Finding | None) -> dict[str, Any]:
    """A ledger row's deadline, status and hand-over time where the ledger leaves them out."""
    v = dict(v)
    found_at = v["inspected_at"]
    if v["due_date"] is None and current is None:
        v["due_date"] = default_due_date(v["severity"], found_at.date())
    if v["status"] is None:
        closed = v["closed_at"] or (current.closed_at if current else None)
        replied = v["replied_at"] or (current.replied_at if current else None)
        if closed:
            v["status"] = domain.ST_CLOSED
        elif replied:
            v["status"] = domain.ST_AWAITING_RECHECK
        elif current is None:
            v["status"] = domain.ST_RECTIFYING  # a ledger row names the unit and the deadline: handed over
    if v["status"] not in (None, domain.ST_NEW) and v["handed_over_at"] is None and (
            current is None or current.handed_over_at is None):
        v["handed_over_at"] = found_at
    return v


# The row's values the import commands take (the rest are the natural key and names already resolved).
_FIELDS = ("category", "severity", "description", "responsible_unit", "due_date", "first_due_date", "status",
           "handed_over_at", "replied_at", "reply_text", "rechecked_at", "closed_at", "recheck_failures",
           "verified_on_site")


def import_row(imp: Importer, sheet, v: dict[str, Any]) -> str:
    site_id = _site_id(imp, v)
    group_id = imp.ref("group", v["group"], "督查组", "督查组")
    inspection_id = imp.exists(select(Inspection.id).where(
        Inspection.site_id == site_id, Inspection.inspected_at == v["inspected_at"], Inspection.group_id == group_id))
    if inspection_id is None:
        if not imp.ledger:
            raise _invalid([("督查时间", f"找不到对应的督查记录（工地“{v['site']}”、{v['inspected_at']:%Y-%m-%d %H:%M}、"
                                     f"“{v['group']}”），请先在“督查记录”表中登记这次督查")])
        inspection_id = imp.call(sheet, imports.import_inspection, {
            "site_id": site_id, "group_id": group_id, "inspected_at": v["inspected_at"], "notes": "Excel台账导入"}, today=imp.today)
    found = imp.exists(select(Finding.id).where(Finding.inspection_id == inspection_id,
                                                Finding.category == v["category"],
                                                Finding.description == v["description"]))
    current = imp.s.get(Finding, found) if found else None
    if imp.ledger:
        v = _derive(v, current)
    if current is None:
        imp.stored = {**v, "first_due_date": v["first_due_date"] or v["due_date"]}
        given = {k: v[k] for k in _FIELDS if v[k] is not None}
        imp.call(sheet, imports.import_finding, imp.s.get(Inspection, inspection_id), given, today=imp.today,
                 units=imp.units)
        return NEW
    imp.versions[("finding", found)] = current.version
    given = {k: v[k] for k in imports.CORRECTABLE if v.get(k) is not None}
    try:
        changes = imp.call(sheet, imports.correct_finding, found, given,
                           imp.expected.get(("finding", found), current.version), today=imp.today,
                           units=imp.units)
    except StaleEdit as exc:
        raise _invalid([("（整行）", str(exc))]) from None
    imp.change = imports.change_labels(changes)
    return UPDATE if changes else SAME
