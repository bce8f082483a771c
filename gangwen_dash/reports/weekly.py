"""The weekly meeting pack's content for one ISO week, gathered into a ``WeeklyPack`` (no rendering here).

Every figure comes from the shared query layer (``queries.kpis``, ``queries.findings``,
``queries.inspections``) with the week as the ``Period``, so the pack shows exactly what the cockpit
shows for that week and what ``python -m gangwen_dash kpis --from <Mon> --to <Sun>`` prints.
环比 compares with the previous ISO week. Nothing depends on the clock: the same week and the same
data always give the same pack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from gangwen_dash.config import Settings, get_settings
from gangwen_dash.domain.dates import iso_week_label, parse_iso_week
from gangwen_dash.domain.labels import KPI_LABELS, KPI_UNITS
from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.queries import findings as finding_queries
from gangwen_dash.queries import inspections as inspection_queries
from gangwen_dash.queries import weekly as weekly_queries
from gangwen_dash.queries.kpis import kpis

TITLE = "港闻区政协扬尘管控民主监督工作周报"
OVERDUE_SHOWN = 8  # rows of the 逾期清单 on the page; the xlsx has them all
TREND_WEEKS = 8
DISTRIBUTION_SHOWN = 8

# Tiles: key, whether "more" is good (True), bad (False) or neutral (None).
TILE_KEYS: tuple[tuple[str, bool | None], ...] = (
    ("inspections", True),
    ("findings", None),
    ("findings_closed", True),
    ("findings_overdue", False),
    ("rectification_rate", True),
    ("on_time_rate", True),
)


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    unit: str
    delta: str  # 环比 text, e.g. "+2", "−1", "持平", "+12.5 个百分点", "—"
    tone: str  # good / bad / flat / neutral


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    closed: int
    overdue: int
    share: float  # value / the largest value shown, for bar widths


@dataclass(frozen=True)
class WeeklyPack:
    iso_week: str
    issue_no: int
    period: Period
    org_name: str
    has_data: bool
    figures: dict
    previous: dict
    tiles: list[Tile]
    summary: str
    categories: list[Bar]
    streets: list[Bar]
    overdue_rows: list[dict]
    overdue_total: int
    trend: list[dict]
    groups: list[dict]
    pairs: list[weekly_queries.PhotoPair]
    red: list[weekly_queries.HonourEntry]
    black: list[weekly_queries.HonourEntry]
    next_week_plan: str
    title: str = TITLE
    honour_rule: str = weekly_queries.HONOUR_RULE
    notes: list[str] = field(default_factory=list)

    @property
    def date_range(self) -> str:
        s, e = self.period.start, self.period.end
        end = f"{e.month}月{e.day}日" if e.year == s.year else f"{e.year}年{e.month}月{e.day}日"
        return f"{s.year}年{s.month}月{s.day}日—{end}"

    @property
    def file_stem(self) -> str:
        return f"weekly-{self.iso_week}"


def issue_number(monday: date, settings: Settings | None = None) -> int:
    """第N期: the ISO week number plus the configured offset."""
    settings = settings or get_settings()
    return monday.isocalendar()[1] + settings.weekly_issue_offset


def week_period(iso_week: str) -> Period:
    """Parse '2019-W46' (raises ``DateFormatError`` with a Chinese message)."""
    monday, sunday = parse_iso_week(iso_week)
    return Period(monday, sunday)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _shown(key: str, value) -> str:
    if isinstance(value, float) or key.endswith("_rate"):
        return _pct(value)
    return str(value)


def _delta(key: str, now, before, more_is_good: bool | None) -> tuple[str, str]:
    if now is None or before is None:
        return "—", "neutral"
    diff = now - before
    if key.endswith("_rate"):
        points = round(diff * 100, 1)
        text = "持平" if points == 0 else f"{points:+.1f} 个百分点".replace("-", "−")
        diff = points
    else:
        text = "持平" if diff == 0 else f"{diff:+d}".replace("-", "−")
    if diff == 0:
        tone = "flat"
    elif more_is_good is None:
        tone = "neutral"
    else:
        tone = "good" if (diff > 0) == more_is_good else "bad"
    return text, tone


def _bars(df, label_col: str) -> list[Bar]:
    if df is None or df.empty:
        return []
    rows = df.head(DISTRIBUTION_SHOWN)
    top = max(int(rows["findings"].max()), 1)
    return [Bar(str(r[label_col]), int(r["findings"]), int(r["closed"]), int(r["overdue"]),
                round(int(r["findings"]) / top, 4)) for _, r in rows.iterrows()]


def _summary(period: Period, k: dict, prev: dict, groups: list[dict]) -> str:
    span = f"{period.start.month}月{period.start.day}日—{period.end.month}月{period.end.day}日"
    overdue_change = k["findings_overdue"] - prev["findings_overdue"]
    change = ("与上周持平" if overdue_change == 0
              else f"较上周{'增加' if overdue_change > 0 else '减少'} {abs(overdue_change)} 个")
    backlog = f"截至本周末，逾期未整改问题 {k['findings_overdue']} 个，{change}。"
    if k["inspections"] == 0 and k["findings"] == 0:
        return f"本周（{span}）无督查记录：开展督查 0 次，发现问题 0 个。{backlog}"
    active = [g for g in groups if g["inspections"]]
    by_group = "，".join(f"{g['group']} {g['inspections']} 次" for g in active)
    text = (f"本周（{span}），督查组共开展督查 {k['inspections']} 次"
            f"（日常督查 {k['routine_inspections']} 次、抽查暗访 {k['spot_checks']} 次"
            f"{'；' + by_group if by_group else ''}），检查工地 {k['sites_inspected']} 个，"
            f"参与委员 {k['member_participations']} 人次；发现问题 {k['findings']} 个，"
            f"截至周末已销号 {k['findings_closed']} 个，整改完成率 {_pct(k['rectification_rate'])}，"
            f"按期整改率 {_pct(k['on_time_rate'])}。{backlog}")
    return text


def _records(df, limit: int | None = None) -> list[dict]:
    if df is None or df.empty:
        return []
    rows = df if limit is None else df.head(limit)
    return [{k: _plain(v) for k, v in row.items()} for row in rows.to_dict(orient="records")]


def _plain(value):
    """numpy scalars → Python; NaN → None (JSON- and template-friendly)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def build_pack(session: Session, iso_week: str, settings: Settings | None = None) -> WeeklyPack:
    """Everything the pack shows for ``iso_week`` ('2019-W46'); raises DateFormatError for a bad week."""
    settings = settings or get_settings()
    period = week_period(iso_week)
    label = iso_week_label(period.start)
    previous = period.previous()
    no_filter = Filters()
    k = kpis(session, period, no_filter).as_dict()
    prev = kpis(session, previous, no_filter).as_dict()

    tiles = []
    for key, good in TILE_KEYS:
        delta, tone = _delta(key, k[key], prev[key], good)
        tiles.append(Tile(key, KPI_LABELS[key], _shown(key, k[key]), KPI_UNITS.get(key, ""), delta, tone))

    groups = _records(inspection_queries.group_comparison(session, period))
    trend_period = Period(period.start - timedelta(weeks=TREND_WEEKS - 1), period.end)
    trend = _records(inspection_queries.weekly_trend(session, trend_period, no_filter))
    overdue = finding_queries.overdue_list(session, period.end, no_filter, limit=OVERDUE_SHOWN)
    overdue_total = finding_queries.overdue_count(session, period.end, no_filter)
    red, black = weekly_queries.honour_lists(session, period)
    note = weekly_queries.weekly_note(session, label)
    has_data = bool(k["inspections"] or k["findings"])
    notes = []
    if not has_data:
        notes.append("本周无督查记录、无新发现问题；以下逾期清单与红黑榜为截至本周末的累计情况。")
    return WeeklyPack(
        iso_week=label,
        issue_no=issue_number(period.start, settings),
        period=period,
        org_name=settings.org_name,
        has_data=has_data,
        figures=k,
        previous=prev,
        tiles=tiles,
        summary=_summary(period, k, prev, groups),
        categories=_bars(finding_queries.by_category(session, period, no_filter), "label"),
        streets=_bars(finding_queries.by_street(session, period, no_filter), "street"),
        overdue_rows=_records(overdue),
        overdue_total=overdue_total,
        trend=trend,
        groups=groups,
        pairs=weekly_queries.typical_pairs(session, period),
        red=red,
        black=black,
        next_week_plan=note.text,
        notes=notes,
    )
