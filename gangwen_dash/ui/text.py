"""UI strings (简体中文) kept in one place; widget keys stay ASCII and are prefixed by page."""

APP_TITLE = "港闻区政协 督查与履职看板"
APP_SHORT = "港闻督查看板"

PAGE_TITLES = {
    "dashboard": "驾驶舱",
}

NO_DATA = "暂无数据"
DB_ERROR = "数据库暂时无法访问，请稍后重试或联系机关管理员。"
