"""The site timeline: inspections, findings and their lifecycle steps, in order (both engines)."""

from datetime import date, datetime

import pandas as pd

from gangwen_dash.db import read_session, write_session
from gangwen_dash.models import FindingEvent
from gangwen_dash.queries.timeline import COLUMNS, site_timeline
from tests.support.factory import Factory


def test_timeline_orders_inspections_findings_and_events(engine):
    with write_session(engine) as s:
        f = Factory(s)
        street = f.street()
        group = f.group("一组")
        site, other = f.site(street), f.site(street)
        first = f.inspection(site, group, datetime(2019, 11, 1, 9, 0))
        finding = f.finding(first, category="S2", severity="较重", due=date(2019, 11, 8))
        s.add_all([
            FindingEvent(finding_id=finding.id, action="发现", at=datetime(2019, 11, 1, 9, 0), note="dup"),
            FindingEvent(finding_id=finding.id, action="交办", at=datetime(2019, 11, 1, 15, 0),
                         responsible_unit="住建局", due_date=date(2019, 11, 8), note="限期"),
            FindingEvent(finding_id=finding.id, action="整改回复", at=datetime(2019, 11, 6, 10, 0), note="已覆盖"),
        ])
        second = f.inspection(site, group, datetime(2019, 11, 20, 9, 0))
        f.inspection(other, group, datetime(2019, 11, 2, 9, 0))  # another site: not in the timeline
        site_id, ids = site.id, (first.id, finding.id, second.id)

    with read_session(engine) as s:
        tl = site_timeline(s, site_id)
    assert list(tl.columns) == COLUMNS
    assert list(tl["kind"]) == ["督查", "发现", "交办", "整改回复", "督查"]
    assert tl["at"].is_monotonic_increasing
    assert tl.loc[1, "title"].startswith("S2") and "较重" in tl.loc[1, "title"]
    assert tl.loc[1, "finding_id"] == ids[1] and tl.loc[1, "inspection_id"] == ids[0]
    assert "住建局" in tl.loc[2, "detail"] and "2019-11-08" in tl.loc[2, "detail"]
    assert tl.loc[4, "inspection_id"] == ids[2] and tl.loc[4, "finding_id"] is pd.NA
    assert "一组" in tl.loc[0, "detail"]


def test_timeline_of_site_without_history_is_empty_with_columns(engine):
    with write_session(engine) as s:
        f = Factory(s)
        site_id = f.site(f.street()).id
    with read_session(engine) as s:
        tl = site_timeline(s, site_id)
    assert tl.empty and list(tl.columns) == COLUMNS
