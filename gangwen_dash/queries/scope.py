"""The group / street scope of a read, shared by the query modules, and the ratio every rate uses."""

from __future__ import annotations

from sqlalchemy import select

from gangwen_dash.domain.periods import Filters
from gangwen_dash.models import Finding, Site
from gangwen_dash.queries.sqlfuncs import no_index


def scoped(stmt, model, filters: Filters):
    """Apply group/street filters to a statement over Inspection or Finding."""
    if filters.group_id is not None:
        stmt = stmt.where(model.group_id == filters.group_id)
    if filters.street_id is not None:
        stmt = stmt.where(model.site_id.in_(select(Site.id).where(Site.street_id == filters.street_id)))
    return stmt


def findings_off_index(stmt, filters: Filters):
    """Group / street filters on a statement over findings (the site's street looked up by key), kept
    off the group and site indexes: the statements here read a found_at range or the unsettled index."""
    if filters.group_id is not None:
        stmt = stmt.where(no_index(Finding.group_id) == filters.group_id)
    if filters.street_id is not None:
        stmt = stmt.where(no_index(Finding.site_id).in_(select(Site.id).where(Site.street_id == filters.street_id)))
    return stmt


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None
