"""Mapping a ledger's own columns to ours: names normalised once, known synonyms, remembered mappings.

- ``normalize_name`` is THE rule for names typed by people (sites, streets, members, headers): NFKC
  (full-width letters, digits and spaces become their plain forms) and every blank removed, so
  “唐闸锦园　住宅项目” (full-width space) is the site “唐闸锦园住宅项目”.
- ``suggest`` proposes, for each file column, one of the target sheet's columns by its header or a known
  synonym (日期/检查日期/督查日期 → 督查时间, 工地/项目名称 → 工地名称 …); the user corrects it in the page
  or with ``--map`` on the command line.
- A mapping that was imported is remembered in the database (``ImportMapping``) under a signature of the
  target and the file's normalised headers, so next month's ledger with the same headers maps itself.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.exchange.schema import SHEET_BY_NAME, Column
from gangwen_dash.models import ImportMapping

IGNORE = ""  # a file column that is not imported
# Sheets a ledger can be read into, the secretariat's usual ones first.
TARGETS = ("问题", "督查记录", "工地", "委员", "提案", "民生项目", "社情民意", "履职活动", "协商议事室")
DEFAULT_TARGET = "问题"

# Columns a ledger of problems may carry beyond the template's 问题 sheet: the inspection's way and the
# street (to place a site the system does not know yet at the street's centre).
EXTRA_COLUMNS: dict[str, tuple[Column, ...]] = {
    "问题": (Column("street", "所属街道", ref_sheet="街道", width=14),
             Column("kind", "督查方式", "choice", choices=domain.INSPECTION_KINDS, width=10)),
}
# In a ledger of problems these may be left out: derived from the others or given once for all rows.
LEDGER_OPTIONAL = {
    "问题": {"due_date": "按严重程度的默认期限", "status": "按交办、回复、销号时间推定"},
}
# Columns that may take one value for every row when the file has no such column (督查组, 严重程度 …).
FIXABLE_KINDS = ("choice",)
FIXABLE_KEYS = {"group", "street", "responsible_unit", "kind"}

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "问题": {
        "site": ("工地", "项目名称", "项目", "工程名称", "在建项目", "工地名", "督查点位", "点位"),
        "inspected_at": ("日期", "检查日期", "督查日期", "检查时间", "时间", "发现时间", "发现日期", "督查时间"),
        "group": ("组别", "检查组", "督查组别"),
        "category": ("类别", "问题类别", "问题类型", "问题分类"),
        "severity": ("程度", "问题等级", "等级", "严重性"),
        "description": ("问题", "存在问题", "主要问题", "发现问题", "问题内容", "问题描述"),
        "responsible_unit": ("责任部门", "整改单位", "交办单位", "责任主体"),
        "due_date": ("限期", "整改时限", "完成时限", "期限", "整改期限", "限期整改", "整改截止日期"),
        "status": ("整改状态", "办理状态"),
        "handed_over_at": ("交办日期",),
        "replied_at": ("回复时间", "回复日期", "整改回复日期"),
        "reply_text": ("整改情况", "整改措施", "回复情况"),
        "rechecked_at": ("复查日期",),
        "closed_at": ("销号日期", "整改完成时间", "完成时间", "完成日期"),
        "street": ("街道", "属地", "属地街道", "镇街", "所在街道"),
        "kind": ("方式", "检查方式", "督查类型"),
    },
    "督查记录": {
        "site": ("工地", "项目名称", "项目", "工程名称"),
        "inspected_at": ("日期", "检查日期", "督查日期", "检查时间", "时间"),
        "group": ("组别", "检查组"),
        "kind": ("方式", "检查方式"),
        "members": ("参加委员", "委员", "参与人员", "督查人员"),
        "notes": ("说明", "情况说明"),
    },
    "工地": {
        "name": ("工地", "项目名称", "项目", "工程名称"),
        "street": ("街道", "属地", "属地街道", "镇街"),
        "builder": ("建设方", "开发商", "建设单位名称"),
        "lat": ("纬度(WGS-84)", "lat"),
        "lon": ("经度(WGS-84)", "lon", "lng"),
    },
    "委员": {"name": ("委员姓名", "委员"), "group": ("组别",), "phone": ("联系电话", "手机", "手机号")},
    "提案": {"number": ("编号", "案号"), "title": ("提案标题", "案由", "题目"), "proposer": ("提案者", "领衔人"),
             "submitted_on": ("提交时间", "日期"), "handling_unit": ("主办单位", "承办部门")},
}

_PARENS = re.compile(r"[（(][^）)]*[）)]$")


def normalize_name(text: object) -> str:
    """NFKC, then every blank (ASCII, full-width, line breaks) removed: the form names are compared in."""
    return "".join(unicodedata.normalize("NFKC", "" if text is None else str(text)).split())


def _header_key(text: object) -> str:
    """A header as compared: normalised, without a trailing note in brackets or a required-mark *."""
    key = normalize_name(text).strip("*＊")
    return _PARENS.sub("", key) or key


def columns(target: str) -> tuple[Column, ...]:
    """The columns a ledger row can be mapped to for ``target`` (the sheet's, then the extras)."""
    return SHEET_BY_NAME[target].columns + EXTRA_COLUMNS.get(target, ())


def column(target: str, key: str) -> Column:
    return next(c for c in columns(target) if c.key == key)


def needs_value(target: str) -> list[Column]:
    """Columns every row needs: mapped to a file column, or (for the fixable ones) one value for all rows."""
    optional = LEDGER_OPTIONAL.get(target, {})
    return [c for c in SHEET_BY_NAME[target].columns if c.required and c.key not in optional]


def fixable(target: str) -> list[Column]:
    """Columns that may take one value for every row (督查组, 责任单位, 问题类别, 严重程度, 所属街道 …)."""
    return [c for c in columns(target) if c.kind in FIXABLE_KINDS or c.key in FIXABLE_KEYS]


def _names_for(target: str) -> dict[str, str]:
    """Normalised header or synonym → our column key."""
    out: dict[str, str] = {}
    for col in columns(target):
        out.setdefault(_header_key(col.header), col.key)
    for key, words in SYNONYMS.get(target, {}).items():
        for word in words:
            out.setdefault(_header_key(word), key)
    return out


def suggest(headers: list[str], target: str) -> dict[str, str]:
    """File header → our column key (``IGNORE`` when nothing matches); each of ours is used once."""
    names = _names_for(target)
    out: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = names.get(_header_key(header), IGNORE)
        if key and key in used:
            key = IGNORE
        used.add(key)
        out[header] = key
    return out


def score(headers: list[str], target: str) -> int:
    names = _names_for(target)
    return len({names[_header_key(h)] for h in headers if _header_key(h) in names})


def known_header_count(cells: list[object]) -> int:
    """How many cells of a row read as a column header of any target (to find the header row)."""
    return max(score([str(c) for c in cells if c not in (None, "")], t) for t in TARGETS)


def guess_target(headers: list[str]) -> str:
    best = max(TARGETS, key=lambda t: (score(headers, t), t == DEFAULT_TARGET))
    return best if score(headers, best) else DEFAULT_TARGET


def signature(target: str, headers: list[str]) -> str:
    text = json.dumps([target, [_header_key(h) for h in headers]], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Mapping:
    """What the user settled: the target sheet, file header → our key, fixed values, the ledger's year."""

    target: str
    columns: dict[str, str]
    fixed: dict[str, str] = field(default_factory=dict)
    year: int | None = None

    def problems(self) -> list[str]:
        """Chinese sentences for what keeps this mapping from being imported (empty: fine)."""
        out = []
        mapped = [k for k in self.columns.values() if k]
        for key in sorted({k for k in mapped if mapped.count(k) > 1}):
            heads = "、".join(f"“{h}”" for h, k in self.columns.items() if k == key)
            out.append(f"{heads}都对应到“{column(self.target, key).header}”，每一项只能对应一列")
        for col in needs_value(self.target):
            if col.key not in mapped and not self.fixed.get(col.key):
                how = "或指定统一值" if col in fixable(self.target) else ""
                out.append(f"“{col.header}”是必填项：请选择对应的列{how}")
        return out


def remembered(session: Session, target: str, headers: list[str]) -> ImportMapping | None:
    return session.get(ImportMapping, signature(target, headers))


def initial(session: Session, headers: list[str], target: str | None = None) -> tuple[Mapping, bool]:
    """The mapping to offer: the remembered one for these headers, else the suggestion. (mapping, remembered?)"""
    target = target or guess_target(headers)
    row = remembered(session, target, headers)
    if row is not None:
        cols = {h: row.mapping.get(h, IGNORE) for h in headers}
        return Mapping(target, cols, dict(row.fixed)), True
    return Mapping(target, suggest(headers, target)), False


def our_key(target: str, name: str) -> str | None:
    """One of our columns named by its header, a synonym or its key (``--map 日期=督查时间``)."""
    text = _header_key(name)
    for col in columns(target):
        if text in (_header_key(col.header), col.key):
            return col.key
    return _names_for(target).get(text)


def apply_overrides(chosen: Mapping, headers: list[str], pairs: list[str], fixed: list[str]) -> Mapping:
    """``--map '文件列=我们的列'`` (empty or 不导入: ignore that column) and ``--set '我们的列=值'``;
    ValueError with a Chinese sentence when a name is unknown."""
    cols, values = dict(chosen.columns), dict(chosen.fixed)
    by_key = {_header_key(h): h for h in headers}
    for pair in pairs:
        left, sep, right = pair.partition("=")
        header = by_key.get(_header_key(left))
        if not sep or header is None:
            raise ValueError(f"--map “{pair}”：文件中没有名为“{left.strip()}”的列（有：{'、'.join(headers)}）")
        if right.strip() in ("", "不导入"):
            cols[header] = IGNORE
            continue
        key = our_key(chosen.target, right)
        if key is None:
            names = "、".join(c.header for c in columns(chosen.target))
            raise ValueError(f"--map “{pair}”：没有名为“{right.strip()}”的列（可选：{names}）")
        cols = {h: (IGNORE if k == key else k) for h, k in cols.items()}  # each of ours maps once
        cols[header] = key
    for pair in fixed:
        left, sep, right = pair.partition("=")
        key = our_key(chosen.target, left) if sep else None
        if key is None:
            raise ValueError(f"--set “{pair}”：应为“列名=值”，如 督查组=第一督查组")
        values[key] = right.strip()
    return Mapping(chosen.target, cols, values, chosen.year)
