"""整改跟踪: my group's open problems (overdue first) and the actions 交办 / 整改回复 / 复查.

Layout only: reads through gangwen_dash.ui.tracking (cached), writes through services.findings.
"""

from datetime import timedelta

import streamlit as st

from gangwen_dash import domain, photos
from gangwen_dash.config import get_settings, local_today
from gangwen_dash.services import findings as svc
from gangwen_dash.services.base import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from gangwen_dash.services.permissions import can
from gangwen_dash.ui import chrome, editing, reads
from gangwen_dash.ui import tracking as ui
from gangwen_dash.ui import units as units_ui
from gangwen_dash.ui.evidence import problem_card
from gangwen_dash.ui.loaders import load_groups, load_streets
from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.tables import fill_empty
from gangwen_dash.ui.usertext import md, show

actor = require_actor(__file__)
ss = st.session_state
EDITOR = "track.opened"
SHOWN = "track.shown"  # the problem just acted on: stays on screen (e.g. as 已销号) until the user moves on
chrome.touch_targets()
st.title("整改跟踪")


def _next_problem(next_id: int | None) -> None:
    ss.pop(SHOWN, None)
    if next_id is not None:
        ss["track.finding"] = next_id


@st.dialog("操作已完成", icon=":material/task_alt:")
def _done(notice: dict) -> None:
    st.success(notice["text"], icon=":material/check_circle:")
    st.caption(f"问题 #{notice['finding_id']} 仍显示在页面上，可查看其最新状态和时间线。")
    c1, c2 = st.columns(2)
    if c1.button("留在此问题", key="track.done_stay", width="stretch"):
        st.rerun()
    if notice.get("next_id") is not None and c2.button(
            f"下一个问题 #{notice['next_id']}", type="primary", key="track.done_next", width="stretch",
            on_click=_next_problem, args=(notice["next_id"],)):
        st.rerun()


notice = ss.pop("track._notice", None)
if notice:
    _done(notice)  # a dialog: seen wherever the user had scrolled to
today = local_today()
settings = get_settings()

# --------------------------------------------------------------------------- filters
groups = load_groups()
group_names = dict(zip(groups.id, groups.name, strict=True))
streets = load_streets()
street_names = dict(zip(streets.id, streets.name, strict=True))
f1, f2 = st.columns(2)
if actor.group_id is not None:
    group_id = actor.group_id
    f1.caption(f"督查组：{md(group_names.get(group_id, '—'))}（只显示本组的问题）")
else:
    group_id = f1.selectbox("督查组", [0, *group_names], format_func=lambda i: group_names.get(i, "全部督查组"),
                            key="track.group") or None
street_id = f2.selectbox("街道", [0, *street_names], format_func=lambda i: street_names.get(i, "全部街道"),
                         key="track.street") or None
statuses = st.pills("状态", domain.OPEN_STATUSES, selection_mode="multi", key="track.status",
                    default=list(domain.OPEN_STATUSES))
severities = st.pills("程度", domain.SEVERITIES, selection_mode="multi", key="track.severity",
                      default=list(domain.SEVERITIES))

rows = ui.load_open_findings(today, group_id, street_id, tuple(statuses or ()), tuple(severities or ()))
n_overdue = int(rows.overdue.sum()) if len(rows) else 0
m1, m2, m3 = st.columns(3)
m1.metric("未销号问题", f"{len(rows)} 个", border=True)
m2.metric("其中逾期", f"{n_overdue} 个", border=True)
m3.metric("待复查", f"{int((rows.status == domain.ST_AWAITING_RECHECK).sum()) if len(rows) else 0} 个", border=True)

# The problem whose form is open stays listed if someone else moved it meanwhile (e.g. closed it): the
# user's submit must reach the service and be refused with what changed, not vanish with the form.
kept = editing.opened(EDITOR)
if kept is not None and (ss.get("track.finding") != kept.identity or kept.identity in set(rows.finding_id)):
    kept = None
if kept is not None and getattr(ui.load_finding_detail(kept.identity), "version", None) == kept.version:
    kept = None

if "track._select" in ss:  # set before the selectbox exists, so the browser is told the choice too
    ss["track.finding"] = ss.pop("track._select")
just_done = ss.get(SHOWN)
if just_done is not None and (ss.get("track.finding") != just_done or just_done in set(rows.finding_id)):
    ss.pop(SHOWN, None)  # the user moved on (or the problem is listed again)
    just_done = None
linked = st.query_params.get("finding")  # 督查录入's "查看问题 #N" link
if linked and linked.isdigit():
    if int(linked) in set(rows.finding_id):
        ss["track.finding"] = int(linked)
    del st.query_params["finding"]

if rows.empty:
    st.info("没有符合条件的未销号问题。")
    if kept is None and just_done is None:
        st.stop()
else:
    view = rows.assign(
        逾期=rows.apply(lambda r: f"逾期 {r.days_overdue} 天" if r.overdue else "", axis=1),
        现场核验=rows.verified_on_site.map({True: "是", False: ""}),
    )[["finding_id", "逾期", "site", "street", "label", "severity", "status", "responsible_unit", "due_date",
       "recheck_failures", "现场核验"]]
    st.dataframe(fill_empty(view).rename(columns={"finding_id": "编号", "site": "工地", "street": "街道", "label": "类别",
                                      "severity": "程度", "status": "状态", "responsible_unit": "责任单位",
                                      "due_date": "整改期限", "recheck_failures": "复查未通过"}),
                 hide_index=True, width="stretch", height=min(38 + 35 * len(view), 320))


def _label(fid: int) -> str:
    if kept is not None and fid == kept.identity:
        return f"#{fid} {kept.values.site} · {kept.values.label}（已被他人更新）"
    if fid == just_done:
        now_is = ui.load_finding_detail(fid)
        return f"#{fid} {now_is.site} · {now_is.label} · {now_is.status}（刚处理）" if now_is else f"#{fid}"
    r = rows[rows.finding_id == fid].iloc[0]
    late = f"【逾期{r.days_overdue}天】" if r.overdue else ""
    return f"#{fid} {late}{r.site} · {r.label} · {r.status}"


ids = [int(i) for i in rows.finding_id] + ([kept.identity] if kept is not None else [])
ids += [just_done] if just_done is not None and just_done not in ids else []
if ss.get("track.finding") not in ids:
    ss["track.finding"] = ids[0]
fid = st.selectbox("选择问题", ids, format_func=_label, key="track.finding")
detail = ui.load_finding_detail(fid)
if detail is None:
    st.warning("该问题已不存在，请刷新。")
    st.stop()
# The forms below are drawn from the problem as it was when opened and submit that version (ui.editing).
opened = editing.open_editor(EDITOR, fid, lambda: (detail.version, detail))
base = opened.values


# --------------------------------------------------------------------------- detail
problem_card(detail, f"状态：{detail.status} · 责任单位：{md(detail.responsible_unit)} · 整改期限：{detail.due_date:%Y-%m-%d}"
             f"（首次期限 {detail.first_due_date:%Y-%m-%d}）· 复查未通过 {detail.recheck_failures} 次"
             + (" · :material/warning: 照片存疑" if detail.photo_flagged else "")
             + (" · :material/verified: 现场核验" if detail.verified_on_site else ""))

# --------------------------------------------------------------------------- actions
errors = ss.get(f"{EDITOR}.errors", {})


def err(field: str) -> None:
    if field in errors:
        st.error(md(errors[field]), icon=":material/error:")


def _run(action, command, done: str) -> None:
    try:
        action(actor, command)
    except ValidationFailed as exc:
        ss[f"{EDITOR}.errors"] = exc.errors
        st.rerun()
    except StaleEdit as exc:
        editing.refuse(EDITOR, exc)  # the form keeps what was typed; "载入最新版本" shows the new state
        st.rerun()
    except (PermissionDenied, NotFound) as exc:
        st.error(md(exc))
        return
    reads.clear()
    editing.close_editor(EDITOR)
    ss.pop(f"{EDITOR}.errors", None)
    # The same problem stays on screen in its new state; the next one only if the user asks for it.
    fresh = ui.load_open_findings(today, group_id, street_id, tuple(statuses or ()), tuple(severities or ()))
    following = [int(i) for i in fresh.finding_id if int(i) != fid]
    later = [i for i in following if i not in ids[:ids.index(fid) + 1]] if fid in ids else following
    ss[SHOWN] = ss["track._select"] = fid
    ss["track._notice"] = {"text": done, "finding_id": fid, "next_id": (later or following or [None])[0]}
    st.rerun()


err("status")
if base.status == domain.ST_NEW:
    st.subheader("交办")
    with st.form(f"track.handover.{fid}"):
        unit_names = units_ui.load_unit_names()
        unit = st.selectbox("责任单位", unit_names, key=f"track.h_unit.{fid}",
                            index=unit_names.index(base.responsible_unit) if base.responsible_unit in unit_names else 0)
        err("responsible_unit")
        due = st.date_input("整改期限", value=max(base.due_date, today), key=f"track.h_due.{fid}",
                            format="YYYY-MM-DD")
        err("due_date")
        note = st.text_input("交办意见（可选）", key=f"track.h_note.{fid}")
        go = st.form_submit_button("交办", type="primary", width="stretch")
    if go:
        _run(svc.hand_over, {"finding_id": fid, "expected_version": opened.version, "responsible_unit": unit,
                             "due_date": due, "note": note}, f"问题 #{fid} 已交办给{md(unit)}，期限 {due:%Y-%m-%d}。")
elif base.status == domain.ST_RECTIFYING:
    st.subheader("整改回复")
    with st.form(f"track.reply.{fid}"):
        text = st.text_area("整改情况", key=f"track.r_text.{fid}", placeholder="如：已全部覆盖防尘网并增设喷淋")
        err("text")
        files = st.file_uploader("整改后照片（可多张）", type=["jpg", "jpeg", "png", "webp"],
                                 accept_multiple_files=True, key=f"track.r_photos.{fid}",
                                 max_upload_size=photos.MAX_BYTES // (1024 * 1024))
        err("photos")
        confirm = st.checkbox("确认提交存疑照片（位置/时间不符时）", key=f"track.r_confirm.{fid}")
        go = st.form_submit_button("提交整改回复", type="primary", width="stretch")
    if go:
        _run(svc.reply, {"finding_id": fid, "expected_version": opened.version, "text": text,
                         "photos": [{"name": f.name, "data": f.getvalue()} for f in files or []],
                         "confirm_flagged_photos": confirm}, f"问题 #{fid} 的整改回复已登记，待组长复查。")
elif base.status == domain.ST_AWAITING_RECHECK:
    st.subheader("复查")
    st.caption(f"整改回复：{md(base.reply_text) or '—'}")
    if not can(actor.role, "finding.recheck")[0]:
        st.info("复查销号由本组组长进行。")
    else:
        with st.form(f"track.recheck.{fid}"):
            verdict = st.segmented_control("复查结论", ("通过，销号", "未通过"), key=f"track.c_verdict.{fid}")
            err("passed")
            note = st.text_input("复查意见", key=f"track.c_note.{fid}")
            err("note")
            new_due = st.date_input("未通过时的新整改期限", value=today + timedelta(days=5),
                                    key=f"track.c_due.{fid}", format="YYYY-MM-DD")
            err("new_due_date")
            no_after_photo = settings.recheck_requires_after_photo and not any(
                p["kind"] == domain.PHOTO_AFTER for p in base.photos)
            reason = None
            if no_after_photo:
                st.warning("该问题没有整改后照片。复查通过须有整改后照片；确无照片时请勾选原因（将记入时间线）。",
                           icon=":material/no_photography:")
                reason = st.radio("没有整改后照片也予以销号的原因", domain.NO_AFTER_PHOTO_REASONS, index=None,
                                  key=f"track.c_reason.{fid}")
            err("no_photo_reason")
            go = st.form_submit_button("提交复查结论", type="primary", width="stretch")
        if go:
            if verdict is None:
                ss[f"{EDITOR}.errors"] = {"passed": "请选择复查结论"}
                st.rerun()
            passed = verdict == "通过，销号"
            _run(svc.recheck, {"finding_id": fid, "expected_version": opened.version, "passed": passed,
                               "note": note, "new_due_date": None if passed else new_due,
                               "no_photo_reason": reason if passed else None},
                 f"问题 #{fid} 复查通过，已销号。" if passed else f"问题 #{fid} 复查未通过，已退回整改。")

if base.status == domain.ST_CLOSED or (detail.status == domain.ST_CLOSED and fid == just_done):
    st.success(f"问题 #{fid} 已销号。", icon=":material/task_alt:")
editing.show_refusal(EDITOR, "track.h_", "track.r_", "track.c_", button_key="track.reload")
units_ui.finding_extras(actor, fid)  # 交办单 and extension requests (issue 15)

# --------------------------------------------------------------------------- site timeline
st.subheader(f"工地时间线：{md(detail.site)}")
events, site_photos = ui.load_site_history(detail.site_id)
for row in events.itertuples():
    icon = {"督查": "search", "发现": "report", "交办": "send", "整改回复": "construction", "复查通过": "task_alt",
            "复查未通过": "undo"}.get(row.kind, "circle")
    icon = f":material/{icon}:"
    with st.container(border=row.kind == "发现"):
        st.markdown(f"{icon} **{row.at:%Y-%m-%d %H:%M}** · {md(row.title)}")
        if row.detail:
            show(row.detail, small=True)
        if row.kind == "发现" and len(site_photos):
            mine = site_photos[site_photos.finding_id == row.finding_id]
            if len(mine):
                left, right = st.columns(2)
                for col, kind in ((left, "整改前"), (right, "整改后")):
                    shown = mine[mine.kind == kind]
                    with col:
                        st.caption(kind)
                        if shown.empty:
                            st.caption("（无）")
                        for p in shown.itertuples():
                            path = photos.resolve(p.thumb_path)
                            if path:
                                st.image(str(path), width="stretch")
