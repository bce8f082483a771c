"""Shared filters (period, group, street): in the sidebar, kept across pages, mirrored in the URL.

URL: ``?period=2019-W46&group=1&street=3`` (see ``gangwen_dash.domain.periods`` for the period forms).
A link with these parameters reproduces exactly what the chair saw. The canonical state lives in
``st.session_state["filters.state"]`` (not in widget keys, which Streamlit drops on page switches);
widgets are re-seeded from it on every page.

Default period: the ISO week of the latest inspection (the demo is 2019), not today's week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from gangwen_dash.config import local_today
from gangwen_dash.domain import periods
from gangwen_dash.domain.dates import DateFormatError, iso_week_label
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.ui.loaders import load_data_years, load_groups, load_latest_data_date, load_streets
from gangwen_dash.ui.usertext import md

STATE = "filters.state"
URL_SEEN = "filters.url_seen"
URL_KEYS = ("period", "group", "street")
ALL = "全部"


@dataclass(frozen=True)
class FilterState:
    named: periods.NamedPeriod
    group_id: int | None
    street_id: int | None
    group_name: str = ALL
    street_name: str = ALL

    @property
    def period(self) -> Period:
        return self.named.period

    @property
    def filters(self) -> Filters:
        return Filters(self.group_id, self.street_id)

    def caption(self) -> str:
        """For st.caption (Markdown): the group and street names are escaped."""
        return f"{self.named.label} · 督查组：{md(self.group_name)} · 街道：{md(self.street_name)}"


def _anchor() -> date:
    return load_latest_data_date() or local_today()


def _url_state() -> dict | None:
    params = {k: st.query_params.get(k) for k in URL_KEYS if st.query_params.get(k)}
    return params or None


def _parse(params: dict, errors: list[str]) -> dict:
    state = {"period": None, "group": None, "street": None}
    if params.get("period"):
        try:
            state["period"] = periods.parse_token(params["period"]).token
        except DateFormatError as exc:
            errors.append(f"链接中的时期无效：{exc}")
    for key in ("group", "street"):
        value = params.get(key)
        if value:
            try:
                state[key] = int(value)
            except ValueError:
                errors.append(f"链接中的{'督查组' if key == 'group' else '街道'}参数无效：{value}")
    return state


def _remembered_day(named: periods.NamedPeriod, anchor: date) -> date:
    """The day a period is carried over by when the mode changes (2019-11 → a week of 2019-11, not the
    latest week): a week's Thursday (its ISO year), else the period's end, not after the latest data."""
    p = named.period
    if named.mode == "week":
        return p.start + timedelta(days=3)
    return max(p.start, min(p.end, anchor))


def _week_in_year(day: date) -> str:
    """The ISO week of ``day``, kept inside ``day``'s calendar year (31 Dec 2019 → 2019-W52, not 2020-W01)."""
    if day.isocalendar()[0] != day.year:
        day += timedelta(days=-7 if day.month == 12 else 7)
    return iso_week_label(day)


def _seed_period_widgets(named: periods.NamedPeriod, anchor: date) -> None:
    ss = st.session_state
    day = _remembered_day(named, anchor)
    ss["filters.week"] = named.token if named.mode == "week" else _week_in_year(day)
    ss["filters.month"] = named.token if named.mode == "month" else periods.month_of(day).token
    ss["filters.year"] = int(ss["filters.week"][:4]) if named.mode == "week" else day.year
    ss["filters.range"] = (named.period.start, named.period.end)


def _seed_widgets(named: periods.NamedPeriod, state: dict, anchor: date) -> None:
    ss = st.session_state
    ss["filters.mode"] = named.mode
    _seed_period_widgets(named, anchor)
    # 0 stands for 全部 in the widgets (a None value would show Streamlit's placeholder instead).
    ss["filters.group"] = state.get("group") or 0
    ss["filters.street"] = state.get("street") or 0


def filter_bar(*, show_street: bool = True) -> FilterState:
    """Draw the filters in the sidebar and return the selection (also written to the URL)."""
    ss = st.session_state
    errors: list[str] = []
    anchor = _anchor()
    url = _url_state()
    if url and url != ss.get(URL_SEEN):
        parsed = _parse(url, errors)
        ss[STATE] = {**ss.get(STATE, {}), **{k: v for k, v in parsed.items()}}
        ss.pop("filters.seeded_for", None)
    state = ss.setdefault(STATE, {"period": None, "group": None, "street": None})
    named = periods.parse_token(state["period"]) if state.get("period") else periods.week_of(anchor)

    # Re-seed widget values whenever the canonical state was not produced by these widgets, or on
    # another page (Streamlit does not carry widget values over a page switch).
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    page = ctx.page_script_hash if ctx else ""
    if ss.get("filters.seeded_for") != (named.token, state.get("group"), state.get("street")) \
            or ss.get("filters.page") != page:
        ss["filters.page"] = page
        _seed_widgets(named, state, anchor)
    elif ss.get("filters.mode") and ss.get("filters.mode") != named.mode:
        # The mode was just switched: carry the chosen year and month over to the new mode's pickers.
        _seed_period_widgets(named, anchor)

    groups, streets = load_groups(), load_streets()
    group_names = dict(zip(groups["id"], groups["name"], strict=True))
    street_names = dict(zip(streets["id"], streets["name"], strict=True))
    for key, names, label in (("group", group_names, "督查组"), ("street", street_names, "街道")):
        if ss.get(f"filters.{key}") not in names:
            if ss.get(f"filters.{key}"):  # a link naming a group/street that does not exist: say so
                errors.append(f"链接中的{label}（编号 {ss[f'filters.{key}']}）不存在，已显示全部{label}")
                state[key] = None
            ss[f"filters.{key}"] = 0

    with st.sidebar:
        st.subheader("筛选")
        mode = st.segmented_control("时期", list(periods.MODES), format_func=periods.MODES.get,
                                    key="filters.mode", width="stretch") or "week"
        if mode in ("week", "month", "year"):
            # Every year with data (and the one chosen, e.g. from a link), the same picker in all three modes.
            years = sorted({*load_data_years(), anchor.year, int(ss.get("filters.year") or anchor.year)},
                           reverse=True)
            year = st.selectbox("年份", years, key="filters.year")
        if mode == "week":
            weeks = _week_options(year, anchor)
            if ss.get("filters.week") not in weeks:
                ss["filters.week"] = weeks[0]
            token = st.selectbox("ISO 周", weeks, key="filters.week",
                                 format_func=lambda t: periods.parse_token(t).label)
            named = periods.parse_token(token)
        elif mode == "month":
            months = _month_options(year, anchor)
            if ss.get("filters.month") not in months:
                ss["filters.month"] = months[0]
            token = st.selectbox("月份", months, key="filters.month",
                                 format_func=lambda t: periods.parse_token(t).label)
            named = periods.parse_token(token)
        elif mode == "year":
            named = periods.year_of(date(year, 1, 1))
        else:
            picked = st.date_input("日期范围", key="filters.range", format="YYYY-MM-DD")
            if isinstance(picked, tuple | list) and len(picked) == 2:
                named = periods.custom(picked[0], picked[1])
            else:
                st.caption("请选择结束日期")
        group_id = st.selectbox("督查组", [0, *group_names], key="filters.group",
                                format_func=lambda i: group_names.get(i, ALL)) or None
        street_id = None
        if show_street:
            street_id = st.selectbox("街道", [0, *street_names], key="filters.street",
                                     format_func=lambda i: street_names.get(i, ALL)) or None
        for message in errors:
            st.warning(message)

    new_state = {"period": named.token, "group": group_id, "street": street_id}
    ss[STATE] = new_state
    ss["filters.seeded_for"] = (named.token, group_id, street_id)
    url_params = {"period": named.token}
    if group_id is not None:
        url_params["group"] = str(group_id)
    if street_id is not None:
        url_params["street"] = str(street_id)
    for key in URL_KEYS:
        if key in url_params:
            if st.query_params.get(key) != url_params[key]:
                st.query_params[key] = url_params[key]
        elif key in st.query_params:
            del st.query_params[key]
    ss[URL_SEEN] = url_params
    return FilterState(named, group_id, street_id, group_names.get(group_id, ALL), street_names.get(street_id, ALL))


def _week_options(year: int, anchor: date) -> list[str]:
    """The ISO weeks of ``year`` (ISO year), newest first; in the latest data's year up to its week."""
    day = date(year, 12, 28)  # always in the ISO year's last week
    if year == anchor.year:
        day = min(day, anchor)
    weeks = []
    while day.isocalendar()[0] == year:
        weeks.append(iso_week_label(day))
        day -= timedelta(days=7)
    return weeks or [iso_week_label(date(year, 1, 4))]  # 4 January is always in week 1


def _month_options(year: int, anchor: date) -> list[str]:
    """The months of ``year``, newest first; in the latest data's year up to its month."""
    last = anchor.month if year == anchor.year else 12
    return [f"{year}-{m:02d}" for m in range(last, 0, -1)]
