"""The day's digests: per unit (due within 2 days, overdue, newly handed over) and per group (replies
waiting for 复查, overdue in the group, extension requests to decide). Plain text: user text is never
rendered as markup anywhere a digest goes (mail body, robot ``text`` message)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.models import ExtensionRequest, Finding, InspectionGroup, Site, Unit
from gangwen_dash.queries.findings import category_label

DUE_SOON_DAYS = 2


@dataclass
class Digest:
    audience: str  # unit | group
    audience_id: int
    name: str
    email: str
    webhook_url: str
    sections: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(lines for _, lines in self.sections)

    def subject(self, day: date) -> str:
        counts = "，".join(f"{title} {len(lines)} 项" for title, lines in self.sections if lines)
        return f"【督查提醒】{self.name} {day:%Y-%m-%d}：{counts}"

    def body(self, day: date) -> str:
        out = [f"{self.name}：", f"港闻区政协督查看板 {day:%Y年%m月%d日} 提醒如下。", ""]
        for title, lines in self.sections:
            if lines:
                out.append(f"【{title}】{len(lines)} 项")
                out.extend(f"  {line}" for line in lines)
                out.append("")
        out.append("请登录督查看板查看详情并办理。")
        return "\n".join(out)


def _line(fid, site, category, due, day: date, extra: str = "") -> str:
    late = f"，已逾期 {(day - due).days} 天" if due < day else ""
    return f"#{fid} {site} · {category_label(category)} · 期限 {due:%Y-%m-%d}{late}{extra}"


def _rows(session: Session, *conditions):
    return session.execute(
        select(Finding.id, Site.name, Finding.category, Finding.due_date, Finding.responsible_unit, Finding.group_id)
        .join(Site, Site.id == Finding.site_id).where(*conditions).order_by(Finding.due_date, Finding.id)).all()


def build_digests(session: Session, day: date) -> list[Digest]:
    """Every non-empty digest for ``day`` whose audience has an address (e-mail or webhook)."""
    start = datetime.combine(day, time.min)
    out: list[Digest] = []
    for unit in session.execute(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.id)).scalars():
        if not (unit.notify_email or unit.webhook_url):
            continue
        mine = (Finding.responsible_unit == unit.name, Finding.handed_over_at.is_not(None))
        rectifying = (*mine, Finding.status == domain.ST_RECTIFYING)
        d = Digest("unit", unit.id, unit.name, unit.notify_email, unit.webhook_url)
        d.sections.append(("已逾期", [_line(r[0], r[1], r[2], r[3], day) for r in _rows(
            session, *rectifying, Finding.due_date < day)]))
        d.sections.append((f"{DUE_SOON_DAYS} 天内到期", [_line(r[0], r[1], r[2], r[3], day) for r in _rows(
            session, *rectifying, Finding.due_date >= day, Finding.due_date <= day + timedelta(days=DUE_SOON_DAYS))]))
        d.sections.append(("新交办", [_line(r[0], r[1], r[2], r[3], day) for r in _rows(
            session, *mine, Finding.handed_over_at >= start - timedelta(days=1), Finding.handed_over_at < start)]))
        if not d.empty:
            out.append(d)
    for group in session.execute(select(InspectionGroup).order_by(InspectionGroup.sort_order, InspectionGroup.id)
                                 ).scalars():
        if not (group.notify_email or group.webhook_url):
            continue
        d = Digest("group", group.id, group.name, group.notify_email, group.webhook_url)
        d.sections.append(("待复查", [_line(r[0], r[1], r[2], r[3], day, f" · {r[4]}已回复") for r in _rows(
            session, Finding.group_id == group.id, Finding.status == domain.ST_AWAITING_RECHECK)]))
        d.sections.append(("本组逾期", [_line(r[0], r[1], r[2], r[3], day, f" · {r[4]}") for r in _rows(
            session, Finding.group_id == group.id, Finding.status == domain.ST_RECTIFYING, Finding.due_date < day)]))
        ext = session.execute(
            select(ExtensionRequest.finding_id, Site.name, Finding.responsible_unit, ExtensionRequest.requested_due)
            .join(Finding, Finding.id == ExtensionRequest.finding_id).join(Site, Site.id == Finding.site_id)
            .where(and_(Finding.group_id == group.id, ExtensionRequest.state == domain.EXT_PENDING))
            .order_by(ExtensionRequest.id)).all()
        d.sections.append(("延期申请待审批", [f"#{fid} {site} · {unit} 申请延期至 {due:%Y-%m-%d}"
                                        for fid, site, unit, due in ext]))
        if not d.empty:
            out.append(d)
    return out
