"""Map page in Chromium: time to a drawn map and to a site's timeline after a marker click (issue #14).

Each run is a new browser session (Playwright driving Debian's Chromium, ``/usr/bin/chromium``): sign in
(not timed), then

- ``map_ms``: from the click on 督查地图 in the sidebar until the Leaflet markers are drawn in the map's frame
  (a click that lands while the cockpit is still redrawing is lost, as the tap-time test knows: the bench
  then clicks once more, times from that click and says so);
- ``timeline_ms``: from a click on a site marker until the page shows that site's 时间线 and has finished
  its rerun.

Without ``--url`` the bench starts the app itself (``streamlit run serve.py`` on a free port, no tiles
unless ``--tiles``) on the configured database — run ``python -m gangwen_dash bootstrap`` first for the
demo — so the first run is cold (empty server caches) and the others warm. It prints every run, then
the cold figure and the median of the warm runs against the goals (≤ 1,500 ms and ≤ 1,000 ms).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

GOALS = {"map_ms": 1500, "timeline_ms": 1000}
MAP_FRAME = "iframe[title*='st_folium']"


def add_arguments(parser) -> None:
    parser.add_argument("--url", help="已在运行的应用地址（如 http://127.0.0.1:8501）；不给则自行启动一个")
    parser.add_argument("--runs", type=int, default=5, help="运行次数（每次一个新浏览器会话；第 1 次为冷启动）")
    parser.add_argument("--user", default="chair", help="登录账号（默认 chair）")
    parser.add_argument("--password", default="gangwen-2019", help="登录密码（默认演示密码）")
    parser.add_argument("--tiles", default="none", help="自行启动应用时的底图（默认 none：不向外取瓦片）")
    parser.add_argument("--viewport", default="1440x1000", help="浏览器窗口，如 1440x1000 或 390x844")
    parser.add_argument("--json", action="store_true", help="输出 JSON")


class RunFailed(RuntimeError):
    """A run did not reach its next step; the message names the step and a screenshot of the page."""


def one_run(browser, url: str, args, viewport: dict) -> dict:
    """One new session: sign in, open the map (timed), click a site marker (timed)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from gangwen_dash.bench.browser import sidebar_link, sign_in, wait_idle

    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    step = "登录"
    try:
        sign_in(page, url, args.user, args.password)
        page.get_by_text("退出登录").first.wait_for(timeout=60_000)
        wait_idle(page, 60_000)
        step = "打开督查地图（等待工地标记）"
        t0 = time.perf_counter()
        sidebar_link(page, "督查地图").click()
        lost = 0
        try:
            page.wait_for_url(lambda u: urlparse(u).path.endswith("/map"), timeout=5_000)
        except PlaywrightTimeout:  # the click landed while the page was redrawn: once more, timed from there
            lost = 1
            t0 = time.perf_counter()
            sidebar_link(page, "督查地图").click()
        frame = page.frame_locator(MAP_FRAME)
        frame.locator(".leaflet-marker-icon").first.wait_for(timeout=60_000)
        map_ms = (time.perf_counter() - t0) * 1000
        wait_idle(page, 60_000)
        frame_bytes = page.locator(MAP_FRAME).first.evaluate(
            "f => new Blob([f.contentDocument.documentElement.outerHTML]).size")
        step = "点击工地（等待时间线）"
        site = frame.locator(".gw-site").first
        site.wait_for(timeout=30_000)
        t1 = time.perf_counter()
        site.dispatch_event("click")  # a DOM click on the marker icon (robust if the legend overlaps it)
        name = frame.locator(".gw-pop b").first.inner_text(timeout=30_000)
        page.get_by_text(f"{name} · 时间线").first.wait_for(timeout=60_000)
        page.locator("[data-testid=stDataFrame], [data-testid=stAlert]").last.wait_for(timeout=60_000)
        wait_idle(page, 60_000)
        timeline_ms = (time.perf_counter() - t1) * 1000
        return {"map_ms": round(map_ms), "timeline_ms": round(timeline_ms), "frame_bytes": frame_bytes,
                "site": name, "lost_clicks": lost}
    except Exception as exc:  # Playwright's timeouts and errors: say where, keep a picture of the page
        shot = Path(tempfile.gettempdir()) / f"gangwen-map-bench-{int(time.time())}.png"
        page.screenshot(path=str(shot), full_page=True)
        raise RunFailed(f"{step}未完成（{str(exc).splitlines()[0]}）；页面截图：{shot}") from None
    finally:
        context.close()


def summarise(runs: list[dict]) -> dict:
    """The first (cold) run and the median of the others (warm)."""
    warm = runs[1:] or runs
    return {key: {"cold": runs[0][key], "warm": round(statistics.median(r[key] for r in warm))} for key in GOALS}


def run(args) -> int:
    from playwright.sync_api import sync_playwright

    from gangwen_dash.bench.browser import AppProcess
    from gangwen_dash.cli import CliError
    from gangwen_dash.reports.render import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).is_file():
        raise CliError(f"未找到 Chromium（{CHROMIUM}）：请先执行 apt-get install chromium")
    try:
        width, height = (int(x) for x in str(args.viewport).lower().split("x"))
    except ValueError:
        raise CliError(f"--viewport 应为 宽x高，如 1440x1000，而不是“{args.viewport}”") from None
    if args.runs < 1:
        raise CliError("--runs 至少为 1")
    app = None if args.url else AppProcess({"GANGWEN_TILES": args.tiles, "GANGWEN_SEED_DEMO": "0"})
    url = (args.url or app.url).rstrip("/")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                runs = []
                for i in range(1, args.runs + 1):
                    try:
                        runs.append(one_run(browser, url, args, {"width": width, "height": height}))
                    except RunFailed as exc:
                        raise CliError(f"第 {i} 次运行：{exc}") from None
            finally:
                browser.close()
    finally:
        if app:
            app.stop()
    summary = summarise(runs)
    if args.json:
        print(json.dumps({"url": url, "own_server": app is not None, "runs": runs, "summary": summary},
                         ensure_ascii=False))
        return 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    first = "冷启动（新服务、空缓存）" if app else "第 1 次（服务缓存状态未知）"
    print(f"督查地图浏览器基准：{url}，{args.runs} 次，每次新会话，窗口 {width}×{height}；"
          f"机器负载 {load:.1f}，{os.cpu_count()} 核")
    print(f"{'run':>4} {'map_ms':>8} {'timeline_ms':>12} {'frame_bytes':>12}  site")
    for i, r in enumerate(runs, 1):
        again = "（首次点击落在重绘中，已重点）" if r["lost_clicks"] else ""
        print(f"{i:>4} {r['map_ms']:>8} {r['timeline_ms']:>12} {r['frame_bytes']:>12,}  {r['site']}{again}")
    for key, goal in GOALS.items():
        s = summary[key]
        verdict = "达标" if s["warm"] <= goal and s["cold"] <= goal else "未达标"
        print(f"{key}: {first} {s['cold']} ms，其后中位数 {s['warm']} ms；目标 ≤ {goal} ms：{verdict}")
    return 0
