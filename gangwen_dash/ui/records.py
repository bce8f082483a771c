"""Streamlit helpers for the secretariat's records page: cached lists, a form drawn from an
``EntitySpec`` and the history table. Lists are cached reads (``ui.reads``); edits and histories read fresh.

User text is only ever shown through ``st.dataframe``/widgets (inert) or as plain text — never
through HTML, so markup typed into a record stays text.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from gangwen_dash.queries import audit as audit_queries
from gangwen_dash.queries import records as record_queries
from gangwen_dash.services.record_kinds import EntitySpec, Field
from gangwen_dash.ui.reads import cached, read
from gangwen_dash.ui.usertext import md

DEFAULT_ENTITY = "site"  # the kind the secretariat edits most: the records page opens on it

load_listing = cached(max_entries=64)(record_queries.listing)


@cached(max_entries=32)
def load_options(session, ref: str) -> dict[int, str]:
    return dict(record_queries.options(session, ref))


def pick_key(entity: str, titles: dict[int, str], pending: int | None = None) -> str:
    """The record picker's widget key for these labels, with the record picked before (or ``pending``, a
    record just created) carried over when the labels change."""
    sig = hashlib.sha256(repr(sorted(titles.items())).encode()).hexdigest()[:10]
    key = f"records.pick.{entity}.{sig}"
    previous = pending if pending is not None else st.session_state.get(f"records.picked.{entity}")
    if (pending is not None or key not in st.session_state) and previous in (0, *titles):
        st.session_state[key] = previous
    return key


def load_for_edit(entity: str, record_id: int) -> dict[str, Any]:
    """Not cached: an edit form starts from the record as it is now (its version included)."""
    return read(record_queries.load_for_edit, entity, record_id)


def load_history(entity: str, entity_id: int) -> pd.DataFrame:
    """Not cached: a history must show the latest change at once."""
    return read(audit_queries.history, entity, entity_id)


def load_recent(limit: int = 100) -> pd.DataFrame:
    return read(audit_queries.recent, limit)


def _parse_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def draw_field(f: Field, value: Any, key: str, errors: dict[str, str]) -> Any:
    """One widget for field ``f`` prefilled with ``value``; shows its error message beneath."""
    label = f.label + ("" if f.required or f.kind == "bool" else "（选填）")
    if f.kind == "text":
        out = st.text_input(label, value="" if value is None else str(value), key=key)
    elif f.kind == "longtext":
        out = st.text_area(label, value="" if value is None else str(value), key=key, height=100)
    elif f.kind == "int":
        out = st.number_input(label, value=int(value or 0), step=1, key=key)
    elif f.kind == "float":
        out = st.number_input(label, value=float(value) if value is not None else None, format="%.6f", key=key)
    elif f.kind == "date":
        out = st.date_input(label, value=_parse_date(value), key=key, min_value=date(2000, 1, 1),
                            max_value=date(2100, 12, 31), format="YYYY-MM-DD")
    elif f.kind == "bool":
        out = st.checkbox(label, value=bool(value) if value is not None else f.name == "is_active", key=key)
    elif f.kind == "choice":
        options = list(f.choices) if f.required else ["", *f.choices]
        index = options.index(value) if value in options else 0
        out = st.selectbox(label, options, index=index, key=key) or None
    elif f.kind == "ref":
        names = load_options(f.ref)
        options = list(names) if f.required else [None, *names]
        index = options.index(value) if value in options else (0 if options else None)
        out = st.selectbox(label, options, index=index, key=key,
                           format_func=lambda i, n=names: "（无）" if i is None else n.get(i, str(i)))
    elif f.kind == "refs":
        names = load_options(f.ref)
        out = st.multiselect(label, list(names), default=[i for i in (value or []) if i in names], key=key,
                             format_func=lambda i, n=names: n.get(i, str(i)))
    else:
        raise AssertionError(f.kind)
    if f.name in errors:
        st.error(md(errors[f.name]))
    return out


def draw_form(spec: EntitySpec, values: dict[str, Any], prefix: str, errors: dict[str, str]) -> dict[str, Any]:
    """All fields of ``spec`` in two columns; returns the entered data."""
    data: dict[str, Any] = {}
    cols = st.columns(2)
    for i, f in enumerate(spec.fields):
        with cols[i % 2] if f.kind not in ("longtext", "refs") else st.container():
            data[f.name] = draw_field(f, values.get(f.name), f"{prefix}.{f.name}", errors)
    return data
