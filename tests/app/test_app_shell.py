"""The app shell and overview page under AppTest (both engines)."""

from tests.support.apptest import app_test


def test_app_runs_and_overview_shows_2019_figures(demo_url):
    at = app_test().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["督查次数"] == "32 次"
    assert metrics["协商议事室"] == "75 个"
    assert metrics["民生项目"] == "78 个"
    assert metrics["提案"] == "136 件"


def test_overview_on_empty_database_explains_what_to_do(db_url):
    at = app_test().run()
    assert not at.exception
    assert any("seed-demo" in i.value for i in at.info)
