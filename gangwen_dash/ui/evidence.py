"""Evidence photos on a page: before/after pictures of a problem with their on-site check."""

from __future__ import annotations

import streamlit as st

from gangwen_dash import photos


def show_photos(items: list[dict], kind: str) -> None:
    """The ``kind`` (整改前/整改后) photos of a problem, two a row, each with its check (存疑 flagged)."""
    shown = [p for p in items if p["kind"] == kind]
    if not shown:
        st.caption("（无）")
        return
    cols = st.columns(min(len(shown), 2))
    for i, p in enumerate(shown):
        path = photos.resolve(p["path"])
        with cols[i % len(cols)]:
            if path:
                st.image(str(path), width="stretch")
            flag = ":material/warning: " if p["check_result"] in photos.FLAGGED else (
                ":material/verified: " if p["check_result"] == photos.CHECK_OK else "")
            st.caption(f"{flag}{p['check_result']}")
