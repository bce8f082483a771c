"""Evidence photos on a page: before/after pictures of a problem with their on-site check."""

from __future__ import annotations

import streamlit as st

from gangwen_dash import photos
from gangwen_dash.ui.usertext import md, show


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


def problem_card(detail, caption: str) -> None:
    """A problem as both sides of the loop see it: site · category (severity), the description, ``caption``
    (status and deadlines, as the page needs), and its photos before and after."""
    with st.container(border=True):
        st.markdown(f"**#{detail.finding_id} {md(detail.site)} · {md(detail.label)}（{detail.severity}）**")
        show(detail.description)
        st.caption(caption)
        before, after = st.columns(2)
        with before:
            st.markdown("整改前")
            show_photos(detail.photos, "整改前")
        with after:
            st.markdown("整改后")
            show_photos(detail.photos, "整改后")
