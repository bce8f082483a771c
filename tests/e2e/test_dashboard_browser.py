"""驾驶舱 in a real browser: a link with filters, opened by a signed-out chair, shows the sign-in form at
that address and then exactly the linked view; the filters follow to other 看板 pages; the Altair charts
draw; nothing is fetched from outside."""

from datetime import date
from urllib.parse import parse_qs, urlparse

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from gangwen_dash.domain.periods import Filters, Period
from gangwen_dash.queries.kpis import kpis
from gangwen_dash.queries.reference import groups
from tests.e2e.conftest import login, screenshot, wait_for_app


def test_link_with_filters_survives_sign_in_and_page_changes(app_server, browser, page, requests_seen):
    engine = create_engine(app_server.db_url)
    with Session(engine) as s:
        gid = int(groups(s).iloc[0]["id"])
        k = kpis(s, Period(date(2019, 1, 1), date(2019, 12, 31)), Filters(group_id=gid))
    engine.dispose()
    login(page, app_server.url, "chair")  # the server has served its entry script at least once

    # A chair opens a shared link in a new browser session (signed out).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    link = context.new_page()
    link.on("request", lambda req: requests_seen.append(req.url))
    link.goto(f"{app_server.url}/dashboard?period=2019&group={gid}")
    wait_for_app(link)
    assert not link.get_by_text("Page not found").count()
    link.get_by_label("用户名").fill("chair")
    link.get_by_label("密码").fill("gangwen-2019")
    link.get_by_role("button", name="登录").click()
    wait_for_app(link)
    metric = link.locator("[data-testid=stMetric]").filter(has_text="督查次数").first
    metric.wait_for(timeout=30_000)
    wait_for_app(link)
    assert f"{k.inspections} 次" in metric.inner_text()
    assert 0 < k.inspections < 32  # the group filter is applied, not the whole district
    query = parse_qs(urlparse(link.url).query)
    assert query.get("period") == ["2019"] and query.get("group") == [str(gid)]
    # The four Altair charts are drawn by Vega in the page (no CDN involved).
    link.locator("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg").nth(3).wait_for(
        timeout=30_000)
    screenshot(link, "dashboard")

    # Another 看板 page keeps the same filters, in its URL too.
    link.get_by_role("link", name="项目进展").click()
    wait_for_app(link)
    link.get_by_text("重点提案").first.wait_for(timeout=30_000)
    wait_for_app(link)
    query = parse_qs(urlparse(link.url).query)
    assert query.get("period") == ["2019"] and query.get("group") == [str(gid)]
    assert "78 个" in link.locator("[data-testid=stMetric]").filter(has_text="民生项目").first.inner_text()
    context.close()
    hosts = {urlparse(u).hostname for u in requests_seen if u.startswith("http")}
    assert hosts <= {"127.0.0.1"}, hosts
