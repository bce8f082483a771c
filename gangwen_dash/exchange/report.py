"""What an import did or would do: errors per row and column, counts per sheet, every update as
"字段：旧 → 新", and a preview of the first rows as they will be stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

PREVIEW_ROWS = 20  # rows per sheet shown as they will be stored
CHANGES_IN_SUMMARY = 5

# What happens to a row.
NEW, UPDATE, SAME, INVALID = "新增", "更新", "不变", "有错"
EMPTY = "（空）"


class RowInvalid(Exception):
    """A row breaks a rule: (column header, Chinese reason) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    reason: str

    def text(self) -> str:
        return f"“{self.sheet}”表第 {self.row} 行【{self.column}】：{self.reason}"


def show(value: Any) -> str:
    """A stored value as the secretariat writes it."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}" if (value.hour, value.minute) != (0, 0) else f"{value:%Y-%m-%d}"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, list):
        return "、".join(map(str, value))
    if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and value[10] == "T":  # an ISO snapshot
        return show(datetime.fromisoformat(value))
    return str(value)


@dataclass(frozen=True)
class Change:
    """One row that updates a stored record: (field label, old, new) for each field that differs."""

    sheet: str
    row: int
    record: str  # e.g. 问题“裸土未覆盖防尘网”
    fields: tuple[tuple[str, Any, Any], ...]

    def text(self) -> str:
        return "；".join(f"{label}：{show(old)} → {show(new)}" for label, old, new in self.fields)


@dataclass
class PreviewRow:
    sheet: str
    row: int
    action: str  # NEW, UPDATE, SAME, INVALID
    values: dict[str, str]  # header → value as stored
    problems: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # present and unchanged
    changes: list[Change] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)
    # (entity, id) → version each updated record had when checked: the confirmed import must find it so.
    versions: dict[tuple[str, int], int] = field(default_factory=dict)
    located: list[str] = field(default_factory=list)  # sites placed at their street's centre (位置待核)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def summary(self) -> str:
        if self.errors:
            return f"发现 {len(self.errors)} 处错误，整个文件未导入（没有写入任何数据）。"
        verb = "将" if self.dry_run else "已"
        parts = [f"{name} {n} 条" for name, n in self.created.items() if n]
        text = f"{verb}新增：" + ("，".join(parts) if parts else "无")
        n_updated = sum(self.updated.values())
        if n_updated:
            shown = "；".join(f"第 {c.row} 行 {c.record}：{c.text()}" for c in self.changes[:CHANGES_IN_SUMMARY])
            more = f"；另有 {n_updated - CHANGES_IN_SUMMARY} 条" if n_updated > CHANGES_IN_SUMMARY else ""
            text += f"；{verb}更新 {n_updated} 条（{shown}{more}）"
        skipped = sum(self.skipped.values())
        if skipped:
            text += f"；已存在而跳过 {skipped} 条（内容没有变化）"
        if self.located:
            text += f"；{len(self.located)} 个工地没有坐标，暂按所属街道中心定位并标记“位置待核”"
        if self.dry_run:
            text += "（试导入，未写入）"
        return text
