"""AppTest helpers: scripts are resolved from the project root."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from gangwen_dash.config import PROJECT_ROOT


def app_test(script: str = "app.py", timeout: float = 60) -> AppTest:
    return AppTest.from_file(str(PROJECT_ROOT / script), default_timeout=timeout)
