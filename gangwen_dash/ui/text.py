"""The application's title (简体中文), shown by the browser tab and the sign-in page."""

APP_TITLE = "港闻区政协 督查与履职看板"
