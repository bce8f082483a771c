"""One problem row of a ledger (the template's 问题 sheet, or the secretariat's own ledger): new, updated
or unchanged, under the rules every door shares (no future dates, deadline not before the inspection,
status consistent with its times, a responsible unit from the configured list).

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
from gangwen_dash.models import Finding, FindingEvent, Inspection
from gangwen_dash.queries.audit import FIELD_LABELS
from gangwen_dash.services import findings as finding_service
from gangwen_dash.services import records
from gangwen_dash.services.base import StaleEdit, audit, snapshot
from gangwen_dash.services.inspections import default_due_date

if TYPE_CHECKING:
    from gangwen_dash.exchange.importer import _Importer

TIMES = (("handed_over_at", "交办时间"), ("replied_at", "整改回复时间"), ("rechecked_at", "复查时间"),
         ("closed_at", "销号时间"))


def _invalid(errors: list[tuple[str, str]]) -> Exception:
    return RowInvalid(errors)


def _site_id(imp: _Importer, v: dict[str, Any]) -> int:
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


def _check(imp: _Importer, m: dict[str, Any], found_at) -> None:
    """The whole-record rules on the values as they will be stored (``m``)."""
    errors: list[tuple[str, str]] = []
    if m["responsible_unit"] not in imp.units:
        errors.append(("责任单位", f"“{m['responsible_unit']}”不是可选值（可选：{'/'.join(imp.units)}）"))
    if m["due_date"] < found_at.date():
        errors.append(("整改期限", f"整改期限 {m['due_date']} 早于督查日期 {found_at.date()}"))
    if m["first_due_date"] is not None and m["first_due_date"] < found_at.date():
        errors.append(("首次整改期限", f"首次整改期限 {m['first_due_date']} 早于督查日期 {found_at.date()}"))
    for key, header in TIMES:
        t = m[key]
        if t is None:
            continue
        if t.date() > imp.today:
            errors.append((header, f"{t.date()} 晚于今天（{imp.today}），不能是将来的日期"))
        elif t < found_at:
            errors.append((header, f"{header} {t:%Y-%m-%d %H:%M} 早于督查时间 {found_at:%Y-%m-%d %H:%M}"))
    status = m["status"]
    if status == domain.ST_CLOSED and m["closed_at"] is None:
        errors.append(("销号时间", "状态为已销号时须填写销号时间"))
    if status != domain.ST_CLOSED and m["closed_at"] is not None:
        errors.append(("状态", f"填写了销号时间，状态应为已销号（现为{status}）"))
    if status == domain.ST_AWAITING_RECHECK and m["replied_at"] is None:
        errors.append(("整改回复时间", "状态为待复查时须填写整改回复时间"))
    if status != domain.ST_NEW and m["handed_over_at"] is None:
        errors.append(("交办时间", f"状态为{status}时须填写交办时间"))
    if (m["recheck_failures"] or 0) < 0:
        errors.append(("复查未通过次数", "不能为负数"))
    if len(m["description"]) > 5000:
        errors.append(("问题描述", "不能超过 5000 字"))
    if errors:
        raise _invalid(errors)


def import_row(imp: _Importer, sheet, v: dict[str, Any]) -> str:
    site_id = _site_id(imp, v)
    group_id = imp.ref("group", v["group"], "督查组", "督查组")
    inspection_id = imp.exists(select(Inspection.id).where(
        Inspection.site_id == site_id, Inspection.inspected_at == v["inspected_at"], Inspection.group_id == group_id))
    if inspection_id is None:
        if not imp.ledger:
            raise _invalid([("督查时间", f"找不到对应的督查记录（工地“{v['site']}”、{v['inspected_at']:%Y-%m-%d %H:%M}、"
                                     f"“{v['group']}”），请先在“督查记录”表中登记这次督查")])
        imp.not_future(v["inspected_at"], "督查时间")
        inspection_id = imp.add_inspection(site_id, group_id, {**v, "notes": "Excel台账导入", "lat": None,
                                                               "lon": None}, [])
    found = imp.exists(select(Finding.id).where(Finding.inspection_id == inspection_id,
                                                Finding.category == v["category"],
                                                Finding.description == v["description"]))
    current = imp.s.get(Finding, found) if found else None
    if imp.ledger:
        v = _derive(v, current)
    found_at = v["inspected_at"]
    if current is None:
        m = dict(v)
        m["first_due_date"] = v["first_due_date"] or v["due_date"]
        imp.stored = m
        _check(imp, {**m, "first_due_date": v["first_due_date"]}, found_at)
        _create(imp, inspection_id, site_id, group_id, m)
        return NEW
    given = {k: v[k] for k in finding_service.IMPORT_FIELDS if v.get(k) is not None}
    merged = {k: getattr(current, k) for k in finding_service.IMPORT_FIELDS} | given | {"description": v["description"]}
    _check(imp, merged, found_at)
    imp.versions[("finding", found)] = current.version
    try:
        changes = finding_service.correct_from_import(imp.s, imp.actor, found, given,
                                                      imp.expected.get(("finding", found), current.version))
    except StaleEdit as exc:
        raise _invalid([("（整行）", str(exc))]) from None
    imp.change = [(FIELD_LABELS.get(k, k), old, new) for k, (old, new) in changes.items()]
    return UPDATE if changes else SAME


def _create(imp: _Importer, inspection_id: int, site_id: int, group_id: int, v: dict[str, Any]) -> None:
    found_at = v["inspected_at"]
    obj = Finding(
        inspection_id=inspection_id, site_id=site_id, group_id=group_id, found_at=found_at,
        category=v["category"], severity=v["severity"], description=v["description"],
        responsible_unit=v["responsible_unit"], due_date=v["due_date"], first_due_date=v["first_due_date"],
        status=v["status"], handed_over_at=v["handed_over_at"], replied_at=v["replied_at"],
        rechecked_at=v["rechecked_at"], closed_at=v["closed_at"], recheck_failures=v["recheck_failures"] or 0,
        reply_text=v["reply_text"] or "", verified_on_site=bool(v["verified_on_site"]), version=1,
    )
    user = imp.actor.user_id
    obj.events.append(FindingEvent(action="发现", at=found_at, note=v["description"], user_id=user))
    if v["handed_over_at"]:
        obj.events.append(FindingEvent(action="交办", at=v["handed_over_at"], responsible_unit=obj.responsible_unit,
                                       due_date=obj.first_due_date, note="Excel导入", user_id=user))
    if v["replied_at"]:
        obj.events.append(FindingEvent(action="整改回复", at=v["replied_at"], note=obj.reply_text, user_id=user))
    if v["closed_at"]:
        obj.events.append(FindingEvent(action="复查通过", at=v["closed_at"], note="Excel导入", user_id=user))
    imp.s.add(obj)
    imp.s.flush()
    audit(imp.s, imp.actor, "finding.import", "finding", obj.id, None, snapshot(obj))
