"""CPU per new browser session: sign-in + 驾驶舱, measured in the server process.

``python -m gangwen_dash bench session [--sessions 10] [--db FILE] [--json]``

Starts the app (``streamlit run serve.py``) on a copy of the demo database (built with ``bootstrap`` in a
temporary directory, or ``--db``), then drives ``--sessions`` new sessions as a chair does: open ``/``,
sign in through the form, wait until the 驾驶舱 has finished drawing its charts. Two kinds of browser:
``fresh`` (a new Chromium context each time: no cookies, empty HTTP cache, so the ~90 static files of
Streamlit's frontend are served again) and ``returning`` (one context whose cookies are cleared before
each session: signed out, but the frontend's immutable static files come from the browser's cache, as
for a chair who used the app before). The
server's CPU time (user + system, all threads, from ``/proc/<pid>/stat``) is read before and after each
session once the server is idle again. A first session warms the process (imports, caches) and is
reported apart; the figure is the median of the others. Script runs per session are counted from the
browser's side (each ``running → notRunning`` of the app).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("GANGWEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
USERNAME, PASSWORD = "chair", "gangwen-2019"  # the demo chair (README)
IDLE_MS = 400
KINDS = ("fresh", "returning")
KIND_LABELS = {"fresh": "新浏览器（无缓存）", "returning": "老浏览器（静态文件已缓存）"}  # the server is idle when its CPU time stops moving for this long

# Counts the app's script runs as the browser sees them (the stApp's data-test-script-state).
COUNT_RUNS_JS = """
() => {
  window.__runs = 0;
  let last = null;
  new MutationObserver(() => {
    const app = document.querySelector('[data-testid=stApp]');
    const state = app && app.getAttribute('data-test-script-state');
    if (state === 'running' && last !== 'running') window.__runs += 1;
    last = state;
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state'],
                        childList: true});
}
"""


def add_arguments(parser) -> None:
    parser.add_argument("--sessions", type=int, default=10, help="计时的新会话数（另有一次预热）")
    parser.add_argument("--db", help="SQLite 数据库文件（复制后使用；默认新建演示库）")
    parser.add_argument("--json", action="store_true", help="输出 JSON")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_idle(pid: int, timeout: float = 15.0) -> float:
    deadline = time.time() + timeout
    last = cpu_seconds(pid)
    while time.time() < deadline:
        time.sleep(IDLE_MS / 1000)
        now = cpu_seconds(pid)
        if now - last < 0.005:
            return now
        last = now
    return last


def _demo_db(workdir: Path, source: str | None) -> Path:
    db = workdir / "demo.db"
    if source:
        shutil.copyfile(source, db)
        return db
    from gangwen_dash.config import PROJECT_ROOT

    env = {**os.environ, "GANGWEN_DATABASE_URL": f"sqlite:///{db}", "GANGWEN_PHOTO_DIR": str(workdir / "photos"),
           "GANGWEN_SEED_DEMO": "1"}
    subprocess.run([sys.executable, "-m", "gangwen_dash", "bootstrap"], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True)
    return db


def _start_server(db: Path, workdir: Path) -> tuple[subprocess.Popen, str]:
    from gangwen_dash.config import PROJECT_ROOT
    from gangwen_dash.pgcluster import free_port

    port = free_port()
    env = {**os.environ, "GANGWEN_DATABASE_URL": f"sqlite:///{db}", "GANGWEN_PHOTO_DIR": str(workdir / "photos"),
           "GANGWEN_SEED_DEMO": "0"}
    log = open(workdir / "streamlit.log", "w")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"],
                            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not become healthy in 60 s")


def _wait_app(page) -> None:
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=60_000)


def new_context(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.add_init_script(f"({COUNT_RUNS_JS})()")
    return context


def one_session(browser, url: str, context=None) -> int:
    """Sign in as the demo chair and wait for the drawn 驾驶舱; the script runs seen. Without ``context``
    in a fresh one; with one, after clearing its cookies (its HTTP cache kept)."""
    own = context is None
    if own:
        context = new_context(browser)
    else:
        context.clear_cookies()
    try:
        page = context.new_page()
        runs = 0
        page.goto(f"{url}/")
        _wait_app(page)
        page.get_by_label("用户名").fill(USERNAME)
        page.get_by_label("密码").fill(PASSWORD)
        runs += page.evaluate("window.__runs")
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()
        page.get_by_role("heading", name="驾驶舱").wait_for(timeout=60_000)
        _wait_app(page)
        page.locator("[data-testid=stVegaLiteChart] svg, [data-testid=stVegaLiteChart] canvas").first.wait_for(
            timeout=60_000)
        runs += page.evaluate("window.__runs")
        page.close()
        return runs
    finally:
        if own:
            context.close()


def run(args) -> int:
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="gangwen-bench-session-"))
    proc = None
    try:
        db = _demo_db(workdir, args.db)
        proc, url = _start_server(db, workdir)
        figures = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                returning = new_context(browser)
                for kind in KINDS:
                    for i in range(args.sessions + 1):
                        before = _wait_idle(proc.pid)
                        t0 = time.perf_counter()
                        runs = one_session(browser, url, returning if kind == "returning" else None)
                        wall = time.perf_counter() - t0
                        after = _wait_idle(proc.pid)
                        figures.append({"browser": kind, "session": i, "cpu_s": round(after - before, 3),
                                        "wall_s": round(wall, 2), "script_runs": runs, "warm_up": i == 0})
                returning.close()
            finally:
                browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    summary = {}
    for kind in KINDS:
        timed = [f for f in figures if f["browser"] == kind and not f["warm_up"]]
        cpu = [f["cpu_s"] for f in timed]
        summary[kind] = {"sessions": len(timed), "median_cpu_s": round(statistics.median(cpu), 3),
                         "min_cpu_s": min(cpu), "max_cpu_s": max(cpu),
                         "script_runs": statistics.median(f["script_runs"] for f in timed)}
    if args.json:
        print(json.dumps({"summary": summary, "sessions": figures}, ensure_ascii=False))
        return 0
    for f in figures:
        tag = "（预热）" if f["warm_up"] else ""
        print(f"{KIND_LABELS[f['browser']]} 会话 {f['session']:2d}{tag}: CPU {f['cpu_s']:.3f} s · "
              f"墙钟 {f['wall_s']:.2f} s · 脚本运行 {f['script_runs']} 次")
    for kind, s_ in summary.items():
        print(f"{KIND_LABELS[kind]}：新会话 CPU 中位数 {s_['median_cpu_s']:.3f} s（{s_['sessions']} 次，"
              f"{s_['min_cpu_s']:.3f}–{s_['max_cpu_s']:.3f} s）")
    return 0
