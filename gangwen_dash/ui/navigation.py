"""The page list. app.py builds ``st.navigation`` from ``pages_for(role)``.

Each entry: (file under pages/, title, url_path, icon, section). Who sees a page is
``permissions.PAGES`` (one source of roles for pages and services). ``None`` as a role means
"no sign-in configured yet": every page is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gangwen_dash.services import permissions


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    url_path: str
    icon: str
    section: str = "看板"

    @property
    def roles(self) -> tuple[str, ...]:
        return permissions.PAGES[self.url_path]


PAGES: list[PageSpec] = [
    PageSpec("pages/dashboard.py", "驾驶舱", "dashboard", ":material/dashboard:"),
    PageSpec("pages/rectification.py", "督查整改", "rectification", ":material/fact_check:"),
    PageSpec("pages/projects.py", "项目进展", "projects", ":material/handshake:"),
    PageSpec("pages/activities.py", "履职活动", "activities", ":material/groups:"),
    PageSpec("pages/map.py", "督查地图", "map", ":material/map:"),
    PageSpec("pages/inspection_entry.py", "督查录入", "entry", ":material/edit_note:", section="督查"),
    PageSpec("pages/tracking.py", "整改跟踪", "tracking", ":material/assignment_turned_in:", section="督查"),
    PageSpec("pages/letters.py", "交办单", "letters", ":material/description:", section="督查"),
    PageSpec("pages/unit_inbox.py", "本单位整改", "unit", ":material/inbox:", section="整改"),
    PageSpec("pages/weekly_report.py", "周报（会议模式）", "weekly", ":material/slideshow:", section="机关"),
    PageSpec("pages/records.py", "记录管理", "records", ":material/folder_managed:", section="机关"),
    PageSpec("pages/data_exchange.py", "Excel导入导出", "exchange", ":material/table_view:", section="机关"),
    PageSpec("pages/outbox.py", "提醒发件箱", "outbox", ":material/outgoing_mail:",
             section="机关"),
]


def pages_for(role: str | None) -> list[PageSpec]:
    return [p for p in PAGES if permissions.can_open(role, p.url_path)]


def roles_for_file(page_file: str) -> tuple[str, ...] | None:
    """The roles allowed on the page whose script is ``page_file`` (None when not a listed page)."""
    name = Path(page_file).name
    for spec in PAGES:
        if Path(spec.path).name == name:
            return spec.roles
    return None


# Every address the app answers (serve.py sends any other to the start page).
ALL_URL_PATHS = frozenset({p.url_path for p in PAGES} | {"login", "logout", "account"})
