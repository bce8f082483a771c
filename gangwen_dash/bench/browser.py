"""Driving the app as its users do, for benches and browser tests: a live ``streamlit run`` and Chromium.

``AppProcess`` starts ``streamlit run serve.py`` on a free loopback port with extra environment (the
database, the photo folder, the tiles) and waits until it is healthy; ``stop()`` ends it. ``sign_in``,
``sidebar_link`` and ``wait_idle`` are the steps a person takes (tests/e2e/conftest.py uses them too).
Chromium is Debian's (``reports.render.CHROMIUM``), never Playwright's download.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from gangwen_dash.config import PROJECT_ROOT
from gangwen_dash.pgcluster import free_port

IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


class AppProcess:
    """``streamlit run serve.py`` on a free port; its output goes to ``log_dir/streamlit-<port>.log``
    (a temporary file when ``log_dir`` is None)."""

    def __init__(self, env: dict[str, str], log_dir: Path | None = None, timeout_s: float = 90) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_dir / f"streamlit-{self.port}.log", "w") if log_dir else tempfile.TemporaryFile("w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"应用 {timeout_s:.0f} 秒内未启动（streamlit 未报告健康）")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished the current script run (as Streamlit's own e2e suite does)."""
    page.wait_for_selector(IDLE, timeout=timeout)


def sign_in(page, base_url: str, username: str, password: str) -> None:
    """Open the app and fill in the real login form (the caller waits for what should follow)."""
    page.goto(f"{base_url}/")
    wait_idle(page)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    wait_idle(page)


def sidebar_link(page, title: str):
    """The sidebar link to a page, visible: on a narrow screen the (collapsed) sidebar is opened first."""
    link = page.get_by_role("link", name=title, exact=True).first
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    if expand.count() and expand.first.is_visible():
        expand.first.click()
        link.wait_for(state="visible", timeout=10_000)
        page.wait_for_timeout(300)  # the sidebar slides in
    return link
