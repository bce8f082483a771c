"""Optimistic concurrency, page side: an editor keeps the version (and values) it was opened with.

A page opens an editor with ``open_editor(key, identity, load)``: ``load()`` runs once, when the user
first shows that record (``identity``), and its ``Opened`` snapshot stays in ``st.session_state`` until
the save succeeds, the user picks another record or reloads deliberately. The form is drawn from the
snapshot and submits ``snapshot.version`` as the expected version — never a fresh read: another user's
write clears the read caches, so a re-read on the submit rerun would carry the new version and the
service's check could never fire.

A refused save (``StaleEdit``) is kept with ``refuse``; ``show_refusal`` shows it under the form with a
"载入最新版本" button. The widgets keep what the user typed until that button is pressed. State a page
keeps under ``key + "."`` (the refusal, field errors) belongs to the open record and goes with it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from gangwen_dash.ui.usertext import md


@dataclass(frozen=True)
class Opened:
    identity: Hashable
    version: int
    values: Any


def open_editor(key: str, identity: Hashable, load: Callable[[], tuple[int, Any]]) -> Opened:
    """The snapshot the editor ``key`` was opened with for ``identity``; ``load()`` → (version, values)
    runs only when it was not open yet for that identity."""
    opened = st.session_state.get(key)
    if not isinstance(opened, Opened) or opened.identity != identity:
        version, values = load()
        _forget(f"{key}.")
        opened = Opened(identity, version, values)
        st.session_state[key] = opened
    return opened


def _forget(*prefixes: str) -> None:
    for k in [k for k in st.session_state if str(k).startswith(prefixes)]:
        del st.session_state[k]


def opened(key: str) -> Opened | None:
    value = st.session_state.get(key)
    return value if isinstance(value, Opened) else None


def refuse(key: str, exc: Exception) -> None:
    """Keep a stale-edit refusal until the user reloads (survives the reruns of other widgets)."""
    st.session_state[f"{key}.stale"] = str(exc)


def refusal(key: str) -> str | None:
    return st.session_state.get(f"{key}.stale")


def close_editor(key: str, *widget_prefixes: str) -> None:
    """Forget the snapshot, the state kept under it and the widgets starting with ``widget_prefixes``:
    the next run opens the record afresh."""
    st.session_state.pop(key, None)
    _forget(f"{key}.", *widget_prefixes)


def show_refusal(key: str, *widget_prefixes: str, button_key: str) -> None:
    """The kept refusal (if any) and a button that drops the user's edits and opens the latest version."""
    message = refusal(key)
    if not message:
        return
    st.error(md(message), icon=":material/sync_problem:")  # it quotes the values that changed
    if st.button("载入最新版本", key=button_key, help="放弃表单中未保存的修改，显示他人保存后的最新内容"):
        close_editor(key, *widget_prefixes)
        st.rerun()
