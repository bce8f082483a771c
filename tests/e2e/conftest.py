"""Real-browser fixtures: a live `streamlit run` server and Playwright driving Debian's Chromium.

Chromium is /usr/bin/chromium (installed by `make test` through apt); Playwright's own browser
download is never used. Screenshots go to tests/artifacts/ (kept by CI as artefacts).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gangwen_dash.bench.browser import AppProcess, sidebar_link, sign_in, wait_idle
from gangwen_dash.config import PROJECT_ROOT

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


class AppServer(AppProcess):
    """The app on a database (a SQLite file or ``db_url``) and a photo folder; its log in tests/artifacts/."""

    def __init__(self, db_path: Path | None, photo_dir: Path, *, db_url: str | None = None) -> None:
        self.db_url = db_url or f"sqlite:///{db_path}"
        self.photo_dir = photo_dir
        super().__init__({"GANGWEN_DATABASE_URL": self.db_url, "GANGWEN_PHOTO_DIR": str(photo_dir),
                          "GANGWEN_SEED_DEMO": "0"}, log_dir=ARTIFACTS)


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
    """Wait until Streamlit has finished the current script run, then let the page settle."""
    wait_idle(page, timeout)
    page.wait_for_timeout(150)


def login(page, base_url: str, username: str = "chair", password: str = "gangwen-2019") -> None:
    """Open the app and sign in through the real login form (demo accounts, see README)."""
    sign_in(page, base_url, username, password)
    page.wait_for_timeout(150)
    page.get_by_text("退出登录").first.wait_for(timeout=30_000)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_page(page, title: str) -> None:
    """Choose a page in the sidebar as a user does: on a narrow screen open the (collapsed) sidebar first."""
    sidebar_link(page, title).click()
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
