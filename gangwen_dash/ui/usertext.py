"""Showing user text: data typed or imported by people is never interpreted as Markdown or HTML.

Most Streamlit text APIs render GitHub-flavoured Markdown with Streamlit's directives: ``st.markdown``,
``st.caption``, ``st.write``, ``st.info/warning/error/success``, ``st.toast``, headings, every widget label,
``st.expander``/``st.tabs``/``st.metric`` labels, ``st.image`` captions and the options of ``st.pills``,
``st.segmented_control`` and ``st.radio``. A site named ``![x](http://host/b.png)`` would make every
intranet browser that shows it fetch an outside image; ``:red[…]`` colours text, ``[a](…)`` links.

- ``show(text)``: a block of user text (a description, a reply, notes) exactly as typed (``st.text``).
- ``md(text)``: user text inside a Markdown string (a heading, a caption, a label, an error message that
  quotes a value). Only ``st.text``, ``st.code``, ``st.dataframe`` cells and the options of
  ``st.selectbox``/``st.multiselect`` are plain text already.
"""

from __future__ import annotations

import re

import streamlit as st

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaped, none of them can
# start emphasis, a link or image, HTML, a directive (:red[…], :material/…:), an emoji code or LaTeX.
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
# GFM also links bare URLs, www. names and e-mail addresses found in the *text* (after escapes are
# resolved), so an invisible WORD JOINER goes where such a link would start: "http:⁠//", "www⁠.", "⁠@".
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=[wW]{3})(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def md(value) -> str:
    """``value`` as literal text for any Streamlit API that renders Markdown (pure; ``None`` → "")."""
    text = "" if value is None else str(value)
    return _MD_PUNCT.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, text))


def show(value, *, small: bool = False) -> None:
    """A block of user text as typed: ``st.text`` (line breaks kept), or a grey caption when ``small``."""
    text = "" if value is None else str(value)
    if small:
        st.caption(md(text))
    else:
        st.text(text)
