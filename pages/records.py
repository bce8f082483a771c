"""记录管理 (机关): reference records with concurrent-edit detection, user accounts, change history."""

import streamlit as st

from gangwen_dash.domain import ROLE_LABELS, ROLES
from gangwen_dash.queries.audit import ENTITY_LABELS
from gangwen_dash.services import record_kinds, records, users
from gangwen_dash.services.base import ServiceError, StaleEdit, ValidationFailed
from gangwen_dash.ui import editing, reads
from gangwen_dash.ui import records as ui
from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.tables import data_table
from gangwen_dash.ui.usertext import md

actor = require_actor(__file__)
st.title("记录管理")
notice = st.session_state.pop("records.notice", None)
if notice:
    st.success(notice)

HISTORY_COLUMNS = {"at": "时间", "username": "操作人", "action": "操作", "changes": "变更内容"}


def _show_history(entity: str, record_id: int) -> None:
    history = ui.load_history(entity, record_id)
    if history.empty:
        st.caption("暂无变更记录（初始数据未经系统录入，故无历史）。")
    else:
        data_table(history.rename(columns=HISTORY_COLUMNS), hide_index=True, width="stretch")


EDITOR, USER_EDITOR = "records.opened", "records.user_opened"  # ui.editing: the versions the forms opened at


def _reopen(message: str | None = None) -> None:
    editing.close_editor(EDITOR, "records.f.")
    if message:
        st.session_state["records.notice"] = message


tab_records, tab_users, tab_history = st.tabs(["台账记录", "用户账号", "变更历史"])

# --------------------------------------------------------------------------- records
with tab_records:
    kinds = list(record_kinds.SPECS)
    entity = st.selectbox("记录类型", kinds, index=kinds.index(ui.DEFAULT_ENTITY),
                          format_func=lambda e: record_kinds.SPECS[e].label, key="records.kind")
    spec = record_kinds.SPECS[entity]
    search = st.text_input("搜索", key="records.search", placeholder="输入名称、标题等关键字")
    table = ui.load_listing(entity, search)
    data_table(table.drop(columns=["version"]).rename(columns={"id": "编号"}), hide_index=True,
                 width="stretch", height=min(300, 40 + 35 * max(len(table), 1)))
    st.caption(f"显示 {len(table)} 条（最多 200 条，可用搜索缩小范围）")

    titles = dict(zip(table["id"], table.iloc[:, 2].astype(str), strict=True)) if len(table) else {}
    # The picker's key carries its labels: after a rename it is a new widget, so the browser shows the new
    # name (a kept widget keeps its old label), and the record picked stays picked (ui.pick_key).
    pending = st.session_state.pop("records.pending_pick", None)
    if pending is not None:
        titles.setdefault(pending, "")
    pick_key = ui.pick_key(entity, titles, pending)
    picked = st.selectbox("新建，或选择要修改的记录", [0, *titles], key=pick_key,
                          format_func=lambda i: "＋ 新建记录" if i == 0 else f"#{i} {titles.get(i, '')}")
    st.session_state[f"records.picked.{entity}"] = picked

    def _load_record() -> tuple[int, dict]:
        values = ui.load_for_edit(entity, picked) if picked else {}
        return values.get("version", 0), values

    try:
        opened = editing.open_editor(EDITOR, (entity, picked), _load_record)
    except ServiceError as exc:
        st.error(md(exc))
        st.stop()

    errors = st.session_state.get(f"{EDITOR}.errors", {})
    prefix = f"records.f.{entity}.{picked}"
    heading = f"修改{spec.label} #{picked}（第 {opened.version} 版）" if picked else f"新建{spec.label}"
    with st.form("records.form"):
        st.subheader(heading)
        data = ui.draw_form(spec, opened.values, prefix, errors)
        for name, message in errors.items():
            if name not in {f.name for f in spec.fields}:
                st.error(md(message))
        submitted = st.form_submit_button("保存", type="primary")
    editing.show_refusal(EDITOR, "records.f.", button_key="records.reload")
    if submitted:
        try:
            if picked:
                version = records.update(actor, entity, picked, data, opened.version, original=opened.values)
                message = (f"已保存{spec.label} #{picked}（第 {version} 版）" if version != opened.version
                           else "没有改动，未生成新版本")
            else:
                new_id = records.create(actor, entity, data)
                st.session_state["records.pending_pick"] = new_id
                message = f"已新建{spec.label} #{new_id}"
        except ValidationFailed as exc:
            st.session_state[f"{EDITOR}.errors"] = exc.errors
            st.rerun()
        except StaleEdit as exc:
            editing.refuse(EDITOR, exc)
            st.rerun()
        except ServiceError as exc:
            st.error(md(exc))
        else:
            reads.clear()
            _reopen(message)
            st.rerun()
    if picked:
        with st.expander(f"{spec.label} #{picked} 的变更历史"):
            _show_history(entity, picked)

# --------------------------------------------------------------------------- users
with tab_users:
    accounts = ui.load_listing("user")
    shown = accounts.drop(columns=["version"]).rename(columns={"id": "编号"})
    shown["角色"] = shown["角色"].map(lambda r: ROLE_LABELS.get(r, r))
    data_table(shown, hide_index=True, width="stretch")
    groups = ui.load_options("group")
    unit_options = ui.load_options("unit")
    user_errors = st.session_state.get("records.user_errors", {})

    left, right = st.columns(2)
    with left, st.form("records.user_new"):
        st.subheader("新建账号")
        username = st.text_input("用户名", key="records.u_username")
        if "username" in user_errors:
            st.error(md(user_errors["username"]))
        display = st.text_input("姓名", key="records.u_display")
        role = st.selectbox("角色", ROLES, format_func=lambda r: ROLE_LABELS[r], key="records.u_role")
        group = st.selectbox("督查组（督查组成员、组长必选）", [None, *groups], key="records.u_group",
                             format_func=lambda i: "（无）" if i is None else groups[i])
        unit = st.selectbox("责任单位（责任单位账号必选）", [None, *unit_options], key="records.u_unit",
                            format_func=lambda i: "（无）" if i is None else unit_options[i])
        if "group_id" in user_errors or "unit_id" in user_errors or "__root__" in user_errors:
            st.error(md(user_errors.get("group_id") or user_errors.get("unit_id") or user_errors["__root__"]))
        password = st.text_input("初始密码（至少 8 位，首次登录须修改）", type="password", key="records.u_password")
        if "password" in user_errors:
            st.error(md(user_errors["password"]))
        create = st.form_submit_button("创建账号", type="primary")
    if create:
        try:
            users.create_user(actor, {"username": username, "display_name": display, "role": role,
                                      "group_id": group, "unit_id": unit}, password)
        except ValidationFailed as exc:
            st.session_state["records.user_errors"] = exc.errors
            st.rerun()
        except ServiceError as exc:
            st.error(md(exc))
        else:
            st.session_state.pop("records.user_errors", None)
            for key in ("records.u_username", "records.u_display", "records.u_password"):
                st.session_state.pop(key, None)
            reads.clear()
            st.session_state["records.notice"] = f"已创建账号 {md(username)}，首次登录须修改密码"
            st.rerun()

    with right:
        st.subheader("修改账号")
        names = dict(zip(accounts["id"], accounts["用户名"], strict=True))
        uid = st.selectbox("账号", list(names), format_func=lambda i: names[i], key="records.u_pick")
        if uid is not None:
            group_ids = {v: k for k, v in groups.items()}
            unit_ids = {v: k for k, v in unit_options.items()}

            def _load_user() -> tuple[int, dict]:
                row = accounts[accounts["id"] == uid].iloc[0]
                return int(row["version"]), {"username": row["用户名"], "display_name": row["姓名"] or "",
                                             "role": row["角色"], "group_id": group_ids.get(row["督查组"]),
                                             "unit_id": unit_ids.get(row["责任单位"]), "is_active": bool(row["启用"])}

            account = editing.open_editor(USER_EDITOR, int(uid), _load_user)
            shown = account.values
            with st.form("records.user_edit"):
                e_display = st.text_input("姓名", value=shown["display_name"], key=f"records.u_e_display.{uid}")
                e_role = st.selectbox("角色", ROLES, index=ROLES.index(shown["role"]), key=f"records.u_e_role.{uid}",
                                      format_func=lambda r: ROLE_LABELS[r])
                options = [None, *groups]
                e_group = st.selectbox("督查组", options,
                                       index=options.index(shown["group_id"]) if shown["group_id"] in options else 0,
                                       key=f"records.u_e_group.{uid}",
                                       format_func=lambda i: "（无）" if i is None else groups[i])
                unit_choices = [None, *unit_options]
                e_unit = st.selectbox("责任单位", unit_choices, key=f"records.u_e_unit.{uid}",
                                      index=unit_choices.index(shown.get("unit_id")) if shown.get("unit_id") in unit_choices
                                      else 0, format_func=lambda i: "（无）" if i is None else unit_options[i])
                e_active = st.checkbox("启用", value=shown["is_active"], key=f"records.u_e_active.{uid}")
                save = st.form_submit_button("保存账号")
            editing.show_refusal(USER_EDITOR, "records.u_e_", button_key="records.u_reload")
            if save:
                try:
                    users.update_user(actor, int(uid), {"username": shown["username"], "display_name": e_display,
                                                        "role": e_role, "group_id": e_group, "unit_id": e_unit,
                                                        "is_active": e_active},
                                      account.version, original=shown)
                except StaleEdit as exc:
                    editing.refuse(USER_EDITOR, exc)
                    st.rerun()
                except ServiceError as exc:
                    st.error(md(exc))
                else:
                    reads.clear()
                    editing.close_editor(USER_EDITOR, "records.u_e_")
                    st.session_state["records.notice"] = f"已保存账号 {md(shown['username'])}"
                    st.rerun()
            with st.form("records.user_reset"):
                temp = st.text_input("临时密码（至少 8 位）", type="password", key=f"records.u_temp.{uid}")
                reset = st.form_submit_button("重置密码并解锁")
            if reset:
                try:
                    users.reset_password(actor, int(uid), temp)
                except ServiceError as exc:
                    st.error(md(exc))
                else:
                    reads.clear()
                    editing.close_editor(USER_EDITOR, "records.u_e_")  # the reset made a new version
                    st.session_state["records.notice"] = f"已重置 {md(shown['username'])} 的密码，下次登录须修改"
                    st.rerun()

# --------------------------------------------------------------------------- history
with tab_history:
    kinds = ["site", "inspection", "finding", "project", "proposal", "member", "room", "opinion", "activity",
             "group", "user"]
    kind = st.selectbox("记录类型", kinds, format_func=lambda k: ENTITY_LABELS.get(k, k), key="records.h_kind")
    if kind in ("inspection", "finding"):
        rid = int(st.number_input("编号", min_value=1, step=1, key="records.h_id"))
    else:
        listing = ui.load_listing(kind, st.text_input("搜索", key="records.h_search"))
        labels = dict(zip(listing["id"], listing.iloc[:, 2].astype(str), strict=True))
        rid = st.selectbox("记录", list(labels), key="records.h_pick",
                           format_func=lambda i: f"#{i} {labels.get(i, '')}")
    if rid:
        _show_history(kind, int(rid))
    st.subheader("最近操作")
    recent = ui.load_recent(100).rename(columns={"at": "时间", "username": "操作人", "action": "操作",
                                                 "entity": "记录类型", "entity_id": "编号"})
    data_table(recent, hide_index=True, width="stretch")
