"""The units' side of the loop in the app (issue 15): loaders and sections shared by the 本单位整改,
交办单, 提醒发件箱, 整改跟踪 and 督查整改 pages. Reads go through ``queries.units`` (a unit account's reads
take its ``unit_id``: nothing of another unit can come back); writes through the services.

Length: the sections of the three pages of the units' loop (本单位整改, 交办单, 提醒发件箱) and the blocks
they share with 整改跟踪 and 督查整改; split by page they would import each other.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from gangwen_dash import photos
from gangwen_dash.config import local_today
from gangwen_dash.queries import timeline
from gangwen_dash.queries import units as q
from gangwen_dash.reports import letter as letter_pdf
from gangwen_dash.services import findings as svc
from gangwen_dash.services.base import Actor, NotFound, PermissionDenied, StaleEdit, ValidationFailed
from gangwen_dash.services.permissions import can
from gangwen_dash.ui import reads
from gangwen_dash.ui.evidence import problem_card
from gangwen_dash.ui.reads import cached
from gangwen_dash.ui.tables import data_table
from gangwen_dash.ui.usertext import md, show


@cached(max_entries=8)
def load_unit_names(session) -> tuple[str, ...]:
    """Active units, for the 责任单位 selectors (督查录入, 整改跟踪, 交办单)."""
    from gangwen_dash.services.units import active_names

    return active_names(session)


load_units = cached(max_entries=8)(q.units)


def unit_names_by_id() -> dict[int, str]:
    df = load_units()
    return dict(zip(df.id.astype(int), df.name, strict=True))


# --------------------------------------------------------------------------- shared bits


def run_action(action, actor: Actor, command, done: str, errors_key: str, on_done=None) -> None:
    """Call a service; a refusal is shown next to the fields (``errors_key``), success reruns with a notice
    (``on_done(result)`` first, e.g. to select what was just made)."""
    try:
        result = action(actor, command)
    except ValidationFailed as exc:
        st.session_state[errors_key] = exc.errors
        st.rerun()
    except (StaleEdit, PermissionDenied, NotFound) as exc:
        st.session_state[errors_key] = {"__all__": str(exc)}
        st.rerun()
    st.session_state.pop(errors_key, None)
    if on_done is not None:
        on_done(result)
    reads.clear()
    st.session_state["units._notice"] = done
    st.rerun()


def field_error(errors: dict, *fields: str) -> None:
    for f in fields:
        if f in errors:
            st.error(md(errors[f]), icon=":material/error:")


def show_notice() -> None:
    notice = st.session_state.pop("units._notice", None)
    if notice:
        st.success(notice)


def letter_download(letter_id: int, number: str, *, unit_id: int | None = None, key: str) -> None:
    """生成 PDF, then a download button (rendering takes Chromium a second or two: only on request)."""
    ss = st.session_state
    pdf_key = f"{key}.pdf"
    if ss.get(pdf_key, (None,))[0] != letter_id:
        if st.button(f"生成交办单 PDF：{number}", key=f"{key}.make", icon=":material/picture_as_pdf:"):
            found = reads.read(q.letter, letter_id, unit_id=unit_id)
            if found is None:
                st.error("未找到该交办单或无权查看。")
                return
            try:
                with st.spinner("正在生成 PDF…"):
                    ss[pdf_key] = (letter_id, letter_pdf.pdf_bytes(found.content))
            except letter_pdf.render.RenderError as exc:
                st.error(md(exc))
                return
            st.rerun()
        return
    st.download_button(f"下载 {number}.pdf", ss[pdf_key][1], file_name=f"{number}.pdf", mime="application/pdf",
                       key=f"{key}.dl", icon=":material/download:", type="primary")


def show_timeline(events: pd.DataFrame) -> None:
    for row in events.itertuples():
        # Lifecycle steps carry the action in their title already; a finding's row is marked 发现.
        kind = f"{md(row.kind)} · " if row.kind == timeline.KIND_FINDING else ""
        st.markdown(f"**{row.at:%Y-%m-%d %H:%M}** · {kind}{md(row.title)}")
        if row.detail:
            show(row.detail, small=True)


# --------------------------------------------------------------------------- 本单位整改 (unit accounts)


def unit_page(actor: Actor) -> None:
    ss = st.session_state
    unit_name = unit_names_by_id().get(actor.unit_id, "—")
    st.title(f"本单位整改：{md(unit_name)}")
    show_notice()
    today = local_today()
    rows = reads.read(q.inbox, actor.unit_id, today)
    m1, m2, m3 = st.columns(3)
    m1.metric("待整改", f"{int((rows.status == '整改中').sum())} 个", border=True)
    m2.metric("其中逾期", f"{int(rows.overdue.sum())} 个", border=True)
    m3.metric("已回复待复查", f"{int((rows.status == '待复查').sum())} 个", border=True)
    linked = st.query_params.get("finding")
    if rows.empty and not linked:
        st.info("目前没有交办给本单位的未销号问题。")
    if not rows.empty:
        view = rows.assign(逾期=rows.apply(lambda r: f"逾期 {r.days_overdue} 天" if r.overdue else "", axis=1))
        data_table(view[["finding_id", "逾期", "site", "street", "label", "severity", "status", "due_date",
                           "first_due_date", "extension"]].rename(columns={
                               "finding_id": "编号", "site": "工地", "street": "街道", "label": "类别", "severity": "程度",
                               "status": "状态", "due_date": "整改期限", "first_due_date": "首次期限",
                               "extension": "延期申请"}),
                     hide_index=True, width="stretch", height=min(38 + 35 * len(view), 320))
    ids = [int(i) for i in rows.finding_id]
    if linked and str(linked).isdigit() and int(linked) not in ids:
        # A link (e.g. from a reminder) to a problem: shown only if it is this unit's, closed ones included.
        if reads.read(q.finding, actor.unit_id, int(linked)) is None:
            st.error(f"未找到问题 #{md(linked)}，或该问题未交办给本单位。")
        else:
            ids.append(int(linked))
    if not ids:
        _unit_letters(actor)
        return
    if ss.get("unit.finding") not in ids:
        ss["unit.finding"] = int(linked) if linked and str(linked).isdigit() and int(linked) in ids else ids[0]
    fid = st.selectbox("选择问题", ids, key="unit.finding", format_func=lambda i: _label(rows, i))
    detail = reads.read(q.finding, actor.unit_id, fid)
    if detail is None:
        st.error("未找到该问题，或该问题未交办给本单位。")
        return
    problem_card(detail, f"状态：{detail.status} · 整改期限：{detail.due_date:%Y-%m-%d}（首次期限 "
                         f"{detail.first_due_date:%Y-%m-%d}） · 发现时间：{detail.found_at:%Y-%m-%d %H:%M}")
    errors = ss.get("unit.errors", {})
    field_error(errors, "__all__", "status")
    if detail.status == "整改中":
        reply_tab, ext_tab = st.tabs(["整改回复", "申请延期"])
        with reply_tab, st.form(f"unit.reply.{fid}"):
            text = st.text_area("整改情况", key=f"unit.r_text.{fid}", placeholder="如：已全部覆盖防尘网并增设喷淋")
            field_error(errors, "text")
            files = st.file_uploader("整改后照片（可多张）", type=["jpg", "jpeg", "png", "webp"],
                                     accept_multiple_files=True, key=f"unit.r_photos.{fid}",
                                     max_upload_size=photos.MAX_BYTES // (1024 * 1024))
            field_error(errors, "photos")
            confirm = st.checkbox("确认提交存疑照片（位置/时间不符时）", key=f"unit.r_confirm.{fid}")
            go = st.form_submit_button("提交整改回复", type="primary", width="stretch")
        if go:
            run_action(svc.reply, actor, {"finding_id": fid, "expected_version": detail.version, "text": text,
                                          "photos": [{"name": f.name, "data": f.getvalue()} for f in files or []],
                                          "confirm_flagged_photos": confirm},
                       f"问题 #{fid} 的整改回复已提交，待督查组复查。", "unit.errors")
        with ext_tab, st.form(f"unit.ext.{fid}"):
            new_due = st.date_input("申请延期至", value=max(detail.due_date, today), key=f"unit.e_due.{fid}",
                                    format="YYYY-MM-DD")
            field_error(errors, "requested_due")
            reason = st.text_area("延期理由", key=f"unit.e_reason.{fid}")
            field_error(errors, "reason")
            ask = st.form_submit_button("提交延期申请", width="stretch")
        if ask:
            run_action(svc.request_extension, actor, {"finding_id": fid, "requested_due": new_due, "reason": reason},
                       f"问题 #{fid} 的延期申请已提交，待组长审批（按期与否仍以首次期限判定）。", "unit.errors")
    elif detail.status == "待复查":
        st.info("本单位已回复，等待督查组复查。")
    st.subheader(f"工地时间线：{md(detail.site)}（本单位的问题）")
    show_timeline(reads.read(q.site_history, actor.unit_id, fid))
    _unit_letters(actor)


def _label(rows: pd.DataFrame, fid: int) -> str:
    r = rows[rows.finding_id == fid]
    if r.empty:
        return f"#{fid}"
    r = r.iloc[0]
    late = f"【逾期{r.days_overdue}天】" if r.overdue else ""
    return f"#{fid} {late}{r.site} · {r.label} · {r.status}"


def _unit_letters(actor: Actor) -> None:
    st.subheader("本单位收到的交办单")
    letters = reads.read(q.letters, unit_id=actor.unit_id)
    if letters.empty:
        st.caption("暂无交办单。")
        return
    data_table(letters[["number", "issued_at", "problems"]].rename(
        columns={"number": "编号", "issued_at": "交办时间", "problems": "问题数"}), hide_index=True, width="stretch")
    names = dict(zip(letters.letter_id.astype(int), letters.number, strict=True))
    lid = st.selectbox("交办单", list(names), format_func=names.get, key="unit.letter")
    letter_download(lid, names[lid], unit_id=actor.unit_id, key="unit.letter")


# --------------------------------------------------------------------------- 整改跟踪 extras


def finding_extras(actor: Actor, finding_id: int) -> None:
    """On 整改跟踪 under a problem: its 交办单 (reprint) and extension requests (the group leader decides)."""
    letters = reads.read(q.letters_for_finding, finding_id)
    requests = reads.read(q.extension_requests, finding_id=finding_id)
    if not letters and requests.empty:
        return
    st.subheader("交办单与延期申请")
    for lid, number in letters:
        letter_download(lid, number, key=f"track.letter.{finding_id}.{lid}")
    extension_decisions(actor, requests, key=f"track.ext.{finding_id}")


def extension_decisions(actor: Actor, requests: pd.DataFrame, *, key: str) -> None:
    errors = st.session_state.get(f"{key}.errors", {})
    field_error(errors, "__all__", "status")
    for r in requests.itertuples():
        with st.container(border=True):
            st.markdown(f"**延期申请 #{r.request_id}** · 问题 #{r.finding_id} {md(r.site)} · {md(r.unit)} · "
                        f"{r.current_due:%Y-%m-%d} → {r.requested_due:%Y-%m-%d} · {r.state}")
            show(r.reason, small=True)
            if r.decision_note:
                st.caption(f"审批意见：{md(r.decision_note)}")
            if r.state != "待审批" or not can(actor.role, "finding.decide_extension")[0]:
                continue
            with st.form(f"{key}.{r.request_id}"):
                verdict = st.segmented_control("审批结论", ("同意延期", "驳回"), key=f"{key}.v.{r.request_id}")
                note = st.text_input("审批意见（驳回时必填）", key=f"{key}.n.{r.request_id}")
                field_error(errors, "note", "granted")
                go = st.form_submit_button("提交审批", type="primary", width="stretch")
            if go:
                if verdict is None:
                    st.session_state[f"{key}.errors"] = {"granted": "请选择审批结论"}
                    st.rerun()
                run_action(svc.decide_extension, actor, {"request_id": r.request_id, "expected_version": r.version,
                                                         "granted": verdict == "同意延期", "note": note},
                           f"延期申请 #{r.request_id} 已{'同意' if verdict == '同意延期' else '驳回'}。", f"{key}.errors")


# --------------------------------------------------------------------------- 交办单 page


def letters_page(actor: Actor) -> None:
    from gangwen_dash.services import letters as letters_svc

    ss = st.session_state
    st.title("交办单")
    show_notice()
    group_id = actor.group_id
    if group_id is not None:
        pending = reads.read(q.extension_requests, group_id=group_id, pending_only=True)
        if not pending.empty:
            st.subheader(f"待审批的延期申请（{len(pending)}）")
            extension_decisions(actor, pending, key="letters.ext")
    st.subheader("出具交办单")
    names = load_unit_names()
    if not names:
        st.warning("尚无责任单位，请先在 机关 → 记录管理 中添加。")
        return
    unit = st.selectbox("责任单位", names, key="letters.unit")
    candidates = reads.read(q.letterable, group_id, unit)
    errors = ss.get("letters.errors", {})
    field_error(errors, "__all__", "responsible_unit", "items")
    if candidates.empty:
        st.info("没有可列入交办单的问题（待交办的问题，或已现场交办给该单位但尚无交办单的问题）。")
    else:
        labels = {int(r.finding_id): f"#{r.finding_id} {r.site} · {r.label}（{r.severity}）· {r.status}"
                  + (f" · 已交办{r.responsible_unit}，期限 {r.due_date:%Y-%m-%d}" if r.status != "待交办" else "")
                  for r in candidates.itertuples()}
        picked = st.multiselect("列入交办单的问题", list(labels), format_func=labels.get, key=f"letters.pick.{unit}",
                                placeholder="选择一个或多个问题")
        with st.form("letters.issue"):
            dues = {}
            for fid in picked:
                r = candidates[candidates.finding_id == fid].iloc[0]
                if r.status == "待交办":
                    dues[fid] = st.date_input(f"#{fid} 整改期限", value=max(r.due_date, local_today()),
                                              key=f"letters.due.{fid}", format="YYYY-MM-DD")
                    field_error(errors, *[k for k in errors if k.endswith(".due_date")])
            note = st.text_input("交办意见（可选）", key="letters.note")
            go = st.form_submit_button("交办并生成交办单", type="primary", width="stretch", disabled=not picked)
        if go:
            versions = dict(zip(candidates.finding_id.astype(int), candidates.version.astype(int), strict=True))
            run_action(letters_svc.issue_letter, actor,
                       {"responsible_unit": unit, "note": note,
                        "items": [{"finding_id": fid, "expected_version": versions[fid], "due_date": dues.get(fid)}
                                  for fid in picked]},
                       f"已向{md(unit)}交办 {len(picked)} 个问题并生成交办单，可在下方“重印交办单”处生成 PDF。",
                       "letters.errors", on_done=lambda lid: ss.update({"letters.reprint": lid}))
    st.subheader("已出具的交办单" + ("（本组）" if group_id is not None else ""))
    letters = reads.read(q.letters, group_id=group_id)
    if letters.empty:
        st.caption("暂无交办单。")
        return
    data_table(letters[["number", "unit", "issued_at", "problems"]].rename(
        columns={"number": "编号", "unit": "责任单位", "issued_at": "交办时间", "problems": "问题数"}),
        hide_index=True, width="stretch", height=min(38 + 35 * len(letters), 320))
    numbers = dict(zip(letters.letter_id.astype(int), letters.number, strict=True))
    lid = st.selectbox("重印交办单", list(numbers), format_func=numbers.get, key="letters.reprint")
    letter_download(lid, numbers[lid], key="letters.reprint")


# --------------------------------------------------------------------------- 提醒发件箱 (secretariat)


def outbox_page() -> None:
    from gangwen_dash.domain import CHANNEL_LABELS, OUTBOX_STATES

    st.title("提醒发件箱")
    st.caption("每日提醒由服务器每天早上定时生成并发送（见部署说明中的“提醒”一节）；重复运行不会重复发送，"
               "发送失败的会按退避时间自动重试。")
    state = st.pills("状态", OUTBOX_STATES, key="outbox.state")
    rows = reads.read(q.outbox, state=state)
    cols = st.columns(3)
    for col, s in zip(cols, OUTBOX_STATES, strict=True):
        col.metric(s, f"{int((rows.state == s).sum())} 条", border=True)
    if rows.empty:
        st.info("发件箱为空。")
        return
    def when(v) -> str:
        return "" if v is None or pd.isna(v) else f"{v:%Y-%m-%d %H:%M}"

    view = rows.assign(channel=rows.channel.map(CHANNEL_LABELS), sent_at=rows.sent_at.map(when),
                       next_attempt_at=rows.next_attempt_at.where(rows.state != "已发送").map(when))
    data_table(view[["id", "digest_date", "audience", "channel", "recipient", "subject", "state", "attempts",
                       "last_error", "next_attempt_at", "sent_at"]].rename(columns={
                           "id": "编号", "digest_date": "提醒日期", "audience": "对象", "channel": "方式",
                           "recipient": "收件", "subject": "标题", "state": "状态", "attempts": "尝试次数",
                           "last_error": "失败原因", "next_attempt_at": "下次尝试", "sent_at": "发送时间"}),
                 hide_index=True, width="stretch")


# --------------------------------------------------------------------------- 督查整改: per unit (chairs)


load_unit_stats = cached(max_entries=32)(q.unit_stats)


def unit_stats_section(period, filters) -> None:
    st.subheader("各责任单位整改情况")
    df = load_unit_stats(period, filters)
    st.caption("对象：本时期交办的问题；按期 = 在首次整改期限内回复（延期不改变按期判定）；逾期截至期末。")
    if df.empty:
        st.info("本时期没有交办的问题。")
        return
    view = df.assign(on_time_rate=(df.on_time / df.replied.where(df.replied > 0)).map(
        lambda v: "—" if pd.isna(v) else f"{v:.0%}"))
    data_table(view[["unit", "handed_over", "replied", "on_time", "on_time_rate", "overdue", "extensions",
                       "median_days_to_reply"]].rename(columns={
                           "unit": "责任单位", "handed_over": "交办", "replied": "已回复", "on_time": "按期回复",
                           "on_time_rate": "按期率", "overdue": "逾期未改", "extensions": "延期申请",
                           "median_days_to_reply": "回复天数中位数"}),
                 hide_index=True, width="stretch")
