"""Text that goes into a map page: HTML-escaped user text and JSON safe inside a ``<script>`` block.

Every piece of user text is HTML-escaped in Python before it reaches the page, and the JSON embedded in
the page escapes ``<``, ``>`` and ``&``, so a ``<script>`` in a site name stays text.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np

_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def js_json(value) -> str:
    """JSON safe inside a <script> block: no raw < > & and no JS line separators; UTF-8 kept (compact).

    Jinja openers are broken up too: folium/branca re-compile each element's rendered script as a Jinja
    template, so a site named ``{{ … }}`` would otherwise be evaluated on the server (template injection).
    """
    return _script_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


def js_json_columns(columns: list[list]) -> str:
    """``js_json`` of a list of columns, encoded column by column (2-3x faster than one nested dump)."""
    return _script_safe("[" + ",".join(json.dumps(c, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
                                       for c in columns) + "]")


def _script_safe(text: str) -> str:
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    # A "{" followed by "{", "%" or "#" cannot be JSON structure (an object starts with a key string),
    # so it is inside a string: write it as \u007b and no Jinja delimiter can form.
    return _JINJA_OPEN.sub(r"\\u007b", text)


def esc(value) -> str:
    """HTML-escape user text for popups and tooltips (quotes too: it may land in attributes)."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)

