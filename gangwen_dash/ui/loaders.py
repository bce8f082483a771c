"""Reference reads every page's filters need (groups, streets, years with data, the latest data date)."""

from __future__ import annotations

from gangwen_dash.queries import inspections, kpis, reference
from gangwen_dash.ui.reads import cached

load_latest_data_date = cached(max_entries=8)(kpis.latest_data_date)
load_groups = cached(max_entries=8)(reference.groups)
load_streets = cached(max_entries=8)(reference.streets)
load_data_years = cached(max_entries=8)(inspections.years_with_data)  # newest first: the period picker offers each
