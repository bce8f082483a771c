"""Real-browser fixtures: a live `streamlit run` server and Playwright driving Debian's Chromium.

Chromium is /usr/bin/chromium (installed by `make test` through apt); Playwright's own browser
download is never used. Screenshots go to tests/artifacts/ (kept by CI as artefacts).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gangwen_dash.config import PROJECT_ROOT
from gangwen_dash.pgcluster import free_port

CHROMIUM = os.environ.get("GANGWEN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test in tests/e2e is a browser test: ``pytest -m "not e2e"`` is the fast loop."""
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


class AppServer:
    def __init__(self, db_path: Path | None, photo_dir: Path, *, db_url: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = db_url or f"sqlite:///{db_path}"
        self.photo_dir = photo_dir
        env = {**os.environ, "GANGWEN_DATABASE_URL": self.db_url, "GANGWEN_PHOTO_DIR": str(photo_dir),
               "GANGWEN_SEED_DEMO": "0"}
        self.log = open(ARTIFACTS / f"streamlit-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not become healthy in 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def app_server(_templates, tmp_path_factory):
    """A live app on a private copy of the demo database (SQLite)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    work = tmp_path_factory.mktemp("e2e")
    db_path = work / "demo.db"
    shutil.copyfile(_templates("sqlite", "demo"), db_path)
    server = AppServer(db_path, work / "photos")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def requests_seen():
    return []


@pytest.fixture
def page(browser, requests_seen):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    pg = context.new_page()
    pg.on("request", lambda req: requests_seen.append(req.url))
    yield pg
    context.close()


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished the current script run (as Streamlit's own e2e suite does)."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout)
    page.wait_for_timeout(150)


def login(page, base_url: str, username: str = "chair", password: str = "gangwen-2019") -> None:
    """Open the app and sign in through the real login form (demo accounts, see README)."""
    page.goto(f"{base_url}/")
    wait_for_app(page)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    wait_for_app(page)
    page.get_by_text("退出登录").first.wait_for(timeout=30_000)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_page(page, title: str) -> None:
    """Choose a page in the sidebar as a user does: on a narrow screen open the (collapsed) sidebar first."""
    link = page.get_by_role("link", name=title, exact=True).first
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    if expand.count() and expand.first.is_visible():
        expand.first.click()
        link.wait_for(state="visible", timeout=10_000)
        page.wait_for_timeout(300)  # the sidebar slides in
    link.click()
    wait_for_app(page)


# The text a person sees: text nodes that take up space, not in Material icon ligatures ("upload"
# draws an icon), not shrunk to nothing (Streamlit strings replaced by Chinese through CSS), not hidden.
VISIBLE_TEXT_JS = """
(root) => {
  const base = root ? document.querySelector(root) : document.body;
  if (!base) return '';
  const walker = document.createTreeWalker(base, NodeFilter.SHOW_TEXT);
  const out = [];
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest('[data-testid=stIconMaterial], [translate=no], script, style, noscript')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || parseFloat(style.fontSize) < 1 || parseFloat(style.opacity) === 0) continue;
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || r.right <= 0 || r.bottom <= 0) continue;  // off-screen "skip to content"
    let hidden = false;  // screen-reader-only text (clipped to 1 px)
    for (let a = el, i = 0; a && i < 5 && !hidden; a = a.parentElement, i++) {
      const cs = getComputedStyle(a);
      hidden = (cs.clip && cs.clip !== 'auto' && cs.position === 'absolute') || cs.clipPath.startsWith('inset(50%')
        || (a.getBoundingClientRect().width <= 1 && cs.overflow === 'hidden');
    }
    if (hidden) continue;
    out.push(text);
  }
  return out.join('\\n');
}
"""


def visible_text(page, root: str | None = None) -> str:
    return page.evaluate(VISIBLE_TEXT_JS, root)


# Table cells st.dataframe draws empty in its accessible grid: on the canvas such a cell reads "None".
EMPTY_CELLS_JS = """
() => Array.from(document.querySelectorAll('[data-testid=stDataFrame] td[role=gridcell]'))
  .filter((td) => !td.textContent.trim()).length
"""
