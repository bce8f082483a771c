"""周报（会议模式）: the fixed 16:9 weekly meeting pack of one ISO week, its downloads and 下周安排."""

from datetime import timedelta

import streamlit as st

from gangwen_dash.domain.dates import DateFormatError, iso_week_label, parse_iso_week
from gangwen_dash.services.base import PermissionDenied, StaleEdit, ValidationFailed
from gangwen_dash.services.permissions import can
from gangwen_dash.services.weekly_notes import MAX_LENGTH, save_weekly_note
from gangwen_dash.ui import editing, reads
from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.usertext import md
from gangwen_dash.ui.weekly import DOWNLOADS, FORMAT_NAMES, auto_save, load_latest_week, load_note, load_pack, week_file

actor = require_actor(__file__)
EDITOR = "weekly.editor"
SAVE_KEY = "weekly_save"
st.title("周报（会议模式）")

latest = load_latest_week()
if latest is None:
    st.info("数据库中还没有督查记录，暂无可生成的周报。可在“机关 → Excel导入导出”导入台账，或请管理员载入演示数据。")
    st.stop()

# ?week=2019-W46 in the URL opens that week (links, scheduled screenshots); the picker overrides it.
default_monday = latest
asked = st.query_params.get("week")
if asked:
    try:
        default_monday = parse_iso_week(asked)[0]
    except DateFormatError as exc:
        st.error(f"链接中的周次无效：{md(exc)}。已改为显示最近有数据的一周。")

if "weekly.day" not in st.session_state:
    st.session_state["weekly.day"] = default_monday
left, right = st.columns([2, 3], vertical_alignment="bottom")
day = left.date_input("周次（选择该周任意一天）", key="weekly.day", format="YYYY-MM-DD")
monday = day - timedelta(days=day.weekday())
week = iso_week_label(monday)
st.query_params["week"] = week

pack, fragment = load_pack(week)
right.caption(f"第{pack.issue_no}期 · {week} · {pack.date_range}"
              + ("" if pack.has_data else " · 本周无督查数据"))
if not pack.has_data:
    st.info(f"{week}（{pack.date_range}）没有督查记录和新发现的问题；周报照常生成，并注明本周无数据。")

st.html(fragment)

st.subheader("下载")
# A click builds the file in the run it starts, from the week the field shows at that moment: the click
# carries the field's value even when it was typed and never left (a file made earlier could be stale).
cols = st.columns(3)
for col, (fmt, label, _mime) in zip(cols, DOWNLOADS, strict=True):
    if col.button(label, key=f"weekly.make_{fmt}", icon=":material/download:", width="stretch"):
        with st.spinner(f"正在生成 {week} 的{FORMAT_NAMES[fmt]}（约需数秒）…"):
            name, content = week_file(week, fmt)
        st.session_state["weekly.file"] = (week, fmt, name, content)
        st.session_state["weekly.file_fresh"] = st.session_state.get("weekly.file_fresh_n", 0) + 1
        st.session_state["weekly.file_fresh_n"] = st.session_state["weekly.file_fresh"]
made = st.session_state.get("weekly.file")
if made and made[0] == week:
    _, fmt, name, content = made
    mime = next(m for f, _, m in DOWNLOADS if f == fmt)
    st.download_button(f"保存 {name}", data=content, file_name=name, mime=mime, key=SAVE_KEY, on_click="ignore",
                       icon=":material/save:", type="primary")
    fresh = st.session_state.pop("weekly.file_fresh", None)
    if fresh:
        auto_save(SAVE_KEY, fresh)  # the browser saves it at once; the button stays for a second copy
st.caption("文件在点击时按上方所选的周生成（约需数秒），生成后自动下载。")

if actor is not None and can(actor.role, "weekly_note.save")[0]:
    st.subheader("编辑下周安排")
    # The version the editor was opened at is kept (ui.editing): a save after another user's is refused.
    def _load_note():
        current = load_note(week)
        return current.version, current

    opened = editing.open_editor(EDITOR, week, _load_note)
    note = opened.values
    with st.form(f"weekly.note_form.{week}"):
        text = st.text_area("下周安排及建议", value=note.text, height=180, help=f"最多 {MAX_LENGTH} 字",
                            key=f"weekly.plan.{week}", placeholder="例如：1. 对逾期问题集中回头看；2. ……")
        field_error = st.empty()
        submitted = st.form_submit_button("保存下周安排", type="primary")
    editing.show_refusal(EDITOR, "weekly.plan.", button_key="weekly.reload")
    if submitted:
        try:
            version = save_weekly_note(actor, week, text, opened.version)
        except ValidationFailed as exc:
            field_error.error(md(exc.errors.get("text") or exc))
        except StaleEdit as exc:
            editing.refuse(EDITOR, exc)
            st.rerun()
        except PermissionDenied as exc:
            st.error(md(exc))
        else:
            reads.clear()
            editing.close_editor(EDITOR, "weekly.plan.")
            st.session_state["weekly.saved"] = f"已保存 {week} 的下周安排（第 {version} 版）"
            st.rerun()
    saved = st.session_state.pop("weekly.saved", None)
    if saved:
        st.success(saved)
    if note.updated_at:
        st.caption(f"最后保存：{note.updated_at:%Y-%m-%d %H:%M}（第 {note.version} 版）")
