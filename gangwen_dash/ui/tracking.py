"""Reads for the 整改跟踪 page: open problems, one problem's detail, a site's history."""

from __future__ import annotations

import pandas as pd

from gangwen_dash.queries import open_findings as open_queries
from gangwen_dash.queries import timeline
from gangwen_dash.ui.reads import cached

load_finding_detail = cached(max_entries=64)(open_queries.finding_detail)


@cached(max_entries=64)
def load_open_findings(session, as_of, group_id: int | None, street_id: int | None, statuses: tuple[str, ...],
                       severities: tuple[str, ...]) -> pd.DataFrame:
    return open_queries.open_findings(session, as_of, group_id=group_id, street_id=street_id,
                                      statuses=tuple(statuses) or None, severities=tuple(severities) or None)


@cached(max_entries=32)
def load_site_history(session, site_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(site timeline, the site's photos)."""
    return timeline.site_timeline(session, int(site_id)), open_queries.site_photos(session, int(site_id))
