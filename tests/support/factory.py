"""Small builders for hand-made fixtures with known answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.models import Finding, Inspection, InspectionGroup, Member, Site, Street


class Factory:
    def __init__(self, session: Session) -> None:
        self.s = session
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def street(self, name: str | None = None, lat: float = 32.06, lon: float = 120.82) -> Street:
        obj = Street(name=name or f"街道{self._next()}", lat=lat, lon=lon)
        self.s.add(obj)
        self.s.flush()
        return obj

    def group(self, name: str | None = None) -> InspectionGroup:
        obj = InspectionGroup(name=name or f"督查组{self._next()}")
        self.s.add(obj)
        self.s.flush()
        return obj

    def member(self, group: InspectionGroup | None, name: str | None = None) -> Member:
        obj = Member(name=name or f"委员{self._next()}", sector="经济界", group_id=group.id if group else None)
        self.s.add(obj)
        self.s.flush()
        return obj

    def site(self, street: Street, name: str | None = None, lat: float = 32.06, lon: float = 120.82) -> Site:
        obj = Site(name=name or f"工地{self._next()}", street_id=street.id, lat=lat, lon=lon)
        self.s.add(obj)
        self.s.flush()
        return obj

    def inspection(self, site: Site, group: InspectionGroup, at: datetime, kind: str = domain.KIND_ROUTINE,
                   members: list[Member] | None = None) -> Inspection:
        obj = Inspection(site_id=site.id, group_id=group.id, kind=kind, inspected_at=at, members=members or [])
        self.s.add(obj)
        self.s.flush()
        return obj

    def finding(self, inspection: Inspection, *, due: date | None = None, category: str = "S2",
                severity: str = domain.SEV_MAJOR, replied: datetime | None = None,
                closed: datetime | None = None, recheck_failures: int = 0, first_due: date | None = None) -> Finding:
        due = due or (inspection.inspected_at.date() + timedelta(days=7))
        status = domain.ST_CLOSED if closed else (domain.ST_AWAITING_RECHECK if replied else domain.ST_RECTIFYING)
        obj = Finding(
            inspection_id=inspection.id, site_id=inspection.site_id, group_id=inspection.group_id,
            found_at=inspection.inspected_at, category=category, severity=severity, description="测试问题",
            responsible_unit="住建局", due_date=due, first_due_date=first_due or due, status=status,
            handed_over_at=inspection.inspected_at, replied_at=replied, rechecked_at=closed, closed_at=closed,
            recheck_failures=recheck_failures,
        )
        self.s.add(obj)
        self.s.flush()
        return obj
