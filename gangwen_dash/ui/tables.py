"""Tables without blanks: st.dataframe draws a missing value as the English word "None" (or an empty
cell), so every table the app shows fills them with one Chinese-neutral mark first."""

from __future__ import annotations

import pandas as pd

EMPTY = "—"


def _text(value) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def fill_empty(df: pd.DataFrame, *, skip: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy where missing values and blank strings read ``—`` (columns in ``skip`` untouched)."""
    out = df.copy()
    for col in out.columns:
        if col in skip:
            continue
        values = out[col]
        empty = values.isna()
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            empty = empty | values.map(lambda v: isinstance(v, str) and not v.strip())
        if empty.any():
            out[col] = [EMPTY if e else _text(v) for v, e in zip(values, empty, strict=True)]
    return out


def data_table(data: pd.DataFrame, **kwargs):
    """``st.dataframe`` for every table the app shows: blanks read ``—``, never "None"."""
    import streamlit as st

    return st.dataframe(fill_empty(data), **kwargs)
