"""驾驶舱 KPI cards: 环比 deltas with colours that mean the right thing, 年累计, and a red/yellow/green
status against the configurable targets (``config.Settings.targets``). Pure functions, no Streamlit.

Targets (``[gangwen.targets]`` in secrets.toml overrides any of them):
- ``inspections_per_month`` (default 3): scaled to the period's length (a week needs 3 × 7 / 30.44 ≈ 0.7,
  so at least one inspection); green at or above the target, yellow at or above ``yellow_band`` (0.8) of it.
- ``on_time_rate`` (0.90) and ``rectification_rate`` (0.80): green at or above, yellow within
  ``rate_yellow_margin`` (0.10) below, red further below. No rate (nothing due / nothing found): no status.
- ``max_overdue`` (0): green at or below, yellow up to ``overdue_yellow`` (5) more, red beyond.
"""

from __future__ import annotations

from dataclasses import dataclass

from gangwen_dash.domain.labels import KPI_LABELS, KPI_UNITS
from gangwen_dash.domain.periods import Period

DAYS_PER_MONTH = 365.25 / 12

GREEN, YELLOW, RED = "green", "yellow", "red"
STATUS_LABELS = {GREEN: "达标", YELLOW: "接近目标", RED: "未达标"}
# Streamlit markdown colours for the status dot (no emoji: intranet PCs often lack an emoji font).
STATUS_COLORS = {GREEN: "green", YELLOW: "orange", RED: "red"}

# (key, delta colour): "normal" = up is good, "inverse" = up is bad (more overdue shows red),
# "off" = neither (more findings may mean worse sites or more thorough inspections).
CARDS = (
    ("inspections", "normal"),
    ("member_participations", "normal"),
    ("findings", "off"),
    ("findings_closed", "normal"),
    ("findings_overdue", "inverse"),
    ("rectification_rate", "normal"),
    ("on_time_rate", "normal"),
)
RATES = {"rectification_rate", "on_time_rate"}


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: str
    delta: str | None
    delta_color: str
    status: str | None
    status_text: str
    target_text: str
    ytd_text: str


def fmt(key: str, value) -> str:
    if value is None:
        return "—"
    if key in RATES:
        return f"{value:.1%}"
    return f"{value} {KPI_UNITS.get(key, '')}".strip()


def delta(key: str, current, previous) -> tuple[str | None, bool]:
    """(text for st.metric's delta, whether it is zero). Rates change in 个百分点."""
    if current is None or previous is None:
        return None, False
    diff = current - previous
    if key in RATES:
        points = round(diff * 100, 1)
        return f"{points:+.1f} 个百分点", points == 0
    return f"{diff:+d}", diff == 0


def inspections_target(period: Period, per_month: float) -> float:
    return per_month * period.days / DAYS_PER_MONTH


def status(key: str, value, period: Period, targets: dict) -> tuple[str | None, str]:
    """(green/yellow/red or None, the target in words)."""
    if key == "inspections":
        target = inspections_target(period, float(targets.get("inspections_per_month", 3)))
        band = float(targets.get("yellow_band", 0.8))
        words = f"目标 ≥ {target:.1f} 次（每月 {float(targets.get('inspections_per_month', 3)):g} 次）"
        if value >= target:
            return GREEN, words
        return (YELLOW if value >= band * target else RED), words
    if key in RATES:
        target = float(targets.get(key, 0.9 if key == "on_time_rate" else 0.8))
        words = f"目标 ≥ {target:.0%}"
        if value is None:
            return None, words
        if value >= target:
            return GREEN, words
        return (YELLOW if value >= target - float(targets.get("rate_yellow_margin", 0.10)) else RED), words
    if key == "findings_overdue":
        limit = int(targets.get("max_overdue", 0))
        words = f"目标 ≤ {limit} 个"
        if value <= limit:
            return GREEN, words
        return (YELLOW if value <= limit + int(targets.get("overdue_yellow", 5)) else RED), words
    return None, ""


def cards(current: dict, previous: dict, ytd: dict, period: Period, targets: dict) -> list[Card]:
    out = []
    for key, colour in CARDS:
        text, zero = delta(key, current[key], previous[key])
        st_, target_words = status(key, current[key], period, targets)
        if key == "findings_overdue":
            ytd_text = f"截至 {period.end:%Y-%m-%d} 的积压（不论何时发现）"
        else:
            ytd_text = f"年累计：{fmt(key, ytd[key])}"
        out.append(Card(
            key=key, label=KPI_LABELS[key], value=fmt(key, current[key]), delta=text,
            delta_color="off" if zero else colour, status=st_,
            status_text=STATUS_LABELS.get(st_, ""), target_text=target_words, ytd_text=ytd_text,
        ))
    return out
