"""AppTest helpers: scripts are resolved from the project root."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from gangwen_dash.config import PROJECT_ROOT
from gangwen_dash.ui.usertext import WORD_JOINER

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def app_test(script: str = "app.py", timeout: float = 60) -> AppTest:
    return AppTest.from_file(str(PROJECT_ROOT / script), default_timeout=timeout)


def as_read(markdown: str) -> str:
    """A Markdown body as the reader sees it: the escapes of ``ui.usertext.md`` undone."""
    return _ESCAPED.sub(r"\1", markdown).replace(WORD_JOINER, "")


def record_picker(at):
    """记录管理's record picker (its key carries its labels, so it is found by its label)."""
    return next(sb for sb in at.selectbox if sb.label == "新建，或选择要修改的记录")
