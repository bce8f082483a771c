"""What the app adds around Streamlit's own widgets: Chinese for Streamlit's built-in English strings,
the sidebar folded away after choosing a page on a narrow screen, and touch targets for gloved hands.

Streamlit 1.67 has no API to translate its own strings (the file uploader's "Upload" and "15MB per
file • JPG…", the text inputs' "Press Enter to apply"), so they are replaced by CSS here, in one place.
"""

from __future__ import annotations

import streamlit as st

# Screens up to this width (CSS px) count as narrow: the sidebar folds away after each page choice.
NARROW_MAX_PX = 1023
# The smallest touch target on tablets and phones (WCAG 2.5.5 / Apple HIG: 44; gloves need more).
TOUCH_PX = 48

LOCALIZE_CSS = """
/* st.file_uploader: "Upload" → 上传, "15MB per file • JPG, PNG" → a Chinese hint */
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "上传"; font-size: 1rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "点“上传”拍照或选图，也可拖放到此处"; font-size: 0.875rem; }
/* text inputs: "Press Enter to apply" / "Press Ctrl+Enter to apply" / "… to submit form" */
[data-testid="InputInstructions"] > span:first-child { font-size: 0; }
[data-testid="InputInstructions"] > span:first-child::after { content: "按回车确认"; font-size: 0.75rem; }
[data-testid="stTextArea"] [data-testid="InputInstructions"] > span:first-child::after {
  content: "点页面其他位置即保存"; }
[data-testid="stForm"] [data-testid="InputInstructions"] > span:first-child::after { content: "按回车提交"; }
"""

# After a page link is chosen on a narrow screen, fold the sidebar away (Streamlit folds it only
# below its own mobile breakpoint, so on a 768 px tablet it stayed open over the page).
COLLAPSE_JS = """
<script>
(function () {
  const w = window.parent && window.parent.document ? window.parent : window;
  if (w.__gwSidebarFold) return;
  w.__gwSidebarFold = true;
  w.document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest('[data-testid="stSidebarNavLink"]');
    if (!link || w.innerWidth > __MAX__) return;
    w.setTimeout(function () {
      const button = w.document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      const sidebar = w.document.querySelector('[data-testid="stSidebar"]');
      if (button && sidebar && sidebar.getAttribute("data-collapsed") !== "true") button.click();
    }, 50);
  }, true);
})();
</script>
""".replace("__MAX__", str(NARROW_MAX_PX))

TOUCH_CSS = """
@media (pointer: coarse), (max-width: 1280px) {
  .stButton button, .stFormSubmitButton button, .stDownloadButton button, .stPopover button,
  [data-testid="stButtonGroup"] button, [data-testid="stFileUploaderDropzone"] button,
  [data-testid="stDateInputCalendarButton"], [data-testid="stExpander"] summary,
  [data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] button,
  [data-testid="stMainMenu"] button, [role="dialog"] button, [data-testid="stSelectbox"] button,
  [data-testid="stMultiSelect"] button, [data-testid="stNumberInput"] button,
  [data-testid="stElementToolbar"] button, [data-testid="stToolbar"] button, [data-testid="stPageLink"] a {
    min-height: __PX__px; min-width: __PX__px; }
  [data-testid="stButtonGroup"] button { min-width: 64px; font-size: 1rem; }
  [data-testid="stButtonGroup"] [role="radiogroup"], [data-testid="stButtonGroup"] [role="group"] { gap: 6px; }
  [data-testid="stMultiSelectTagsContainer"] [data-tag] { min-height: __PX__px; }
  [data-testid="stMultiSelectTagsContainer"] [data-tag] button { min-width: __PX__px; min-height: __PX__px;
    margin-right: -8px; }
  [data-testid="stMultiSelectTagsContainer"] [data-tag] button svg { width: 12px; height: 12px; }
  [data-testid="stCheckbox"] label { min-height: __PX__px; align-items: center; }
  input, textarea, [data-baseweb="select"] > div, [data-testid="stDateInputField"],
  [data-testid="stTimeInputField"] { font-size: 1rem !important; min-height: __PX__px; }
  [data-testid="stFileUploaderDropzone"] { min-height: 72px; }
}
.stMainBlockContainer { max-width: 100%; overflow-x: hidden; }
""".replace("__PX__", str(TOUCH_PX))


# Streamlit stacks columns one under another below 640 px: seven KPI cards become seven screens of scrolling
# on a phone. Inside a container keyed ``two-up-…`` they wrap two to a row instead.
TWO_UP_CSS = """
@media (max-width: 640px) {
  [class*="st-key-two-up"] [data-testid="stHorizontalBlock"] { flex-direction: row !important;
    flex-wrap: wrap !important; gap: 0.5rem !important; }
  [class*="st-key-two-up"] [data-testid="stColumn"] { flex: 1 1 calc(50% - 0.25rem) !important;
    min-width: calc(50% - 0.25rem) !important; max-width: calc(50% - 0.25rem) !important; }
  [class*="st-key-two-up"] [data-testid="stMetricValue"] { font-size: 1.6rem; }
}
"""


def two_up(name: str):
    """A container whose columns wrap two to a row on a phone (KPI cards) instead of one under another
    (the CSS comes once per run with ``localize``)."""
    return st.container(key=f"two-up-{name}")


def localize() -> None:
    """Once per run in app.py: Chinese for Streamlit's own strings and the narrow-screen sidebar fold."""
    st.html(f"<style>{LOCALIZE_CSS}{TWO_UP_CSS}</style>")
    with st.sidebar:
        st.html(COLLAPSE_JS, unsafe_allow_javascript=True)


def touch_targets() -> None:
    """Pages used on site (督查录入, 整改跟踪): every control at least TOUCH_PX square on touch screens."""
    st.html(f"<style>{TOUCH_CSS}</style>")


def page_link(path: str, label: str, query: dict[str, int | str]) -> None:
    """st.page_link with a plain link as fallback when the page runs without st.navigation (AppTest)."""
    from streamlit.errors import StreamlitPageNotFoundError

    from gangwen_dash.ui.navigation import PAGES

    try:
        st.page_link(path, label=label, icon=":material/open_in_new:", query_params=query, width="stretch")
    except StreamlitPageNotFoundError:
        url = next(p.url_path for p in PAGES if p.path == path)
        st.markdown(f"[{label}](/{url}?{'&'.join(f'{k}={v}' for k, v in query.items())})")
