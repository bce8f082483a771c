"""Excel 导入导出 (机关): template download, full export, and import — of the template, or of a ledger in the
secretariat's own layout (sheet, header row, column mapping, preview as stored, then all-or-nothing)."""


import streamlit as st

from gangwen_dash.config import local_now
from gangwen_dash.exchange import exporter, importer, ledger, mapping, workbook
from gangwen_dash.services.base import ServiceError
from gangwen_dash.ui import exchange as ui
from gangwen_dash.ui import reads
from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.tables import data_table
from gangwen_dash.ui.units import load_unit_names
from gangwen_dash.ui.usertext import md

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

actor = require_actor(__file__)
st.title("Excel 导入导出")
notice = st.session_state.pop("exchange.notice", None)
if notice:
    st.success(notice)

left, right = st.columns(2)
with left:
    st.subheader("导入模板")
    st.caption("每类数据一张表（委员、工地、督查记录、问题、民生项目、提案、社情民意、履职活动等），含填写说明和下拉列表。")
    st.download_button("下载导入模板", workbook.template_bytes(load_unit_names()), file_name="港闻督查台账模板.xlsx", mime=XLSX,
                       key="exchange.template", icon=":material/download:")
with right:
    st.subheader("导出全部数据")
    st.caption("按模板格式导出；以 = + - @ 开头的文本已加英文单引号，打开时不会被当作公式执行。")
    if st.button("生成导出文件", key="exchange.export"):
        try:
            st.session_state["exchange.exported"] = exporter.export_bytes(actor)
        except ServiceError as exc:
            st.error(md(exc))
    if "exchange.exported" in st.session_state:
        st.download_button("下载导出文件", st.session_state["exchange.exported"], mime=XLSX,
                           file_name=f"港闻督查台账导出-{local_now():%Y%m%d-%H%M}.xlsx",
                           key="exchange.export_download", icon=":material/download:")

unverified = ui.load_unverified_sites()
if len(unverified):  # a to-do for the secretariat: shown until every imported site has its real place
    st.subheader(f"位置待核的工地（{len(unverified)} 个）")
    st.caption("导入时没有坐标，暂按所属街道中心定位。请在地图上点出工地的位置并保存（或在“记录管理 → 工地”中填写"
               "纬度、经度）；保存后即不再列出。")
    data_table(unverified.rename(columns={"id": "编号", "name": "工地名称", "street": "所属街道", "lat": "纬度",
                                            "lon": "经度", "created_at": "登记时间"}),
                 hide_index=True, width="stretch")
    ui.place_unverified_site(actor, unverified)

st.divider()
st.subheader("导入台账")
st.caption("可导入本系统的模板，也可直接导入本办自有格式的台账（任意表名、标题行、合并单元格）：选择工作表、核对列的对应，"
           "预览无误后导入。任何一行有错，整个文件都不会写入；已有记录有改动的会更新（列出 旧 → 新），没有改动的跳过，导入不会删除数据。")
upload = st.file_uploader("选择 .xlsx 文件", type=["xlsx"], key="exchange.upload")
if upload is None:
    st.session_state.pop("exchange.checked", None)
    st.stop()

data = upload.getvalue()
digest = ui.digest(data)


def show_report(report, *, check_key: str) -> bool:
    """The dry run's result: errors, or counts, updates (old → new) and the first rows as stored."""
    if report.errors:
        st.error(report.summary())
        data_table(ui.error_table(report), hide_index=True, width="stretch")
    else:
        st.info(report.summary())
        data_table(ui.count_table(report), hide_index=True)
        if report.changes:
            st.markdown(f"**将更新 {len(report.changes)} 条**（字段：旧 → 新）")
            data_table(ui.change_table(report), hide_index=True, width="stretch")
    tables = ui.preview_tables(report)
    if tables:
        st.markdown("**前几行导入后的样子**（“处理”：新增 / 更新 / 不变 / 有错）")
    for i, (sheet, frame) in enumerate(tables.items()):
        if len(tables) > 1:
            st.caption(f"“{md(sheet)}”表")
        data_table(frame, hide_index=True, width="stretch", key=f"{check_key}.preview.{i}")
    return report.ok


def check_then_import(check_id, check_label: str, prefix: str, run, *, disabled: bool = False) -> None:
    """A dry run on the first button; its report; then the import itself, refused if a record it would
    update changed since the check (``expected``: the versions the check saw)."""
    if st.button(check_label, key=f"{prefix}.check", type="primary", disabled=disabled):
        try:
            st.session_state["exchange.checked"] = (check_id, run(dry_run=True))
        except ServiceError as exc:
            st.error(md(exc))
            st.stop()
    checked = st.session_state.get("exchange.checked")
    if not (checked and checked[0] == check_id and show_report(checked[1], check_key=f"{prefix}.report")):
        return
    if not st.button("确认导入", key=f"{prefix}.commit", type="primary"):
        return
    try:
        final = run(expected=checked[1].versions)
    except ServiceError as exc:
        st.error(md(exc))
        st.stop()
    if final.errors:  # the data changed between the check and now
        st.session_state["exchange.checked"] = (check_id, final)
        st.rerun()
    reads.clear()
    st.session_state.pop("exchange.checked", None)
    st.session_state["exchange.notice"] = final.summary()
    st.rerun()


if importer.is_template(data):
    with st.expander("文件预览（每表前 20 行）", expanded=False):
        for name, (frame, total) in ui.preview(data).items():
            st.markdown(f"**{name}**（共 {total} 行）")
            data_table(frame, hide_index=True, width="stretch")
    check_then_import(digest, "检查文件（试导入）", "exchange", lambda **kw: importer.import_workbook(
        actor, data, filename=upload.name, **kw))
    st.stop()

# ---------------------------------------------------------------- a ledger in the secretariat's own layout
try:
    names = ui.ledger_sheets(data)
except ledger.LedgerError as exc:
    st.error(md(exc))
    st.stop()
st.markdown("**第 1 步：选择工作表和表头**")
c1, c2, c3 = st.columns([3, 1, 2])
sheet = c1.selectbox("工作表", names, index=ui.best_sheet(data, names), key=f"exchange.sheet.{digest}",
                     format_func=md)
detected = ui.ledger_table(data, sheet)
header_row = c2.number_input("表头所在行", min_value=1, max_value=max(len(detected.rows) + detected.header_row, 1),
                             value=detected.header_row, step=1, key=f"exchange.header.{digest}.{sheet}",
                             help="已自动跳过表头上方的标题行；识别有误时可改")
try:
    table = ui.ledger_table(data, sheet, int(header_row))
except ledger.LedgerError as exc:
    st.error(md(exc))
    st.stop()
targets = list(mapping.TARGETS)
target = c3.selectbox("导入为", targets, index=targets.index(mapping.guess_target(table.headers)),
                      key=f"exchange.target.{digest}.{sheet}")
if table.title:
    st.caption(f"标题：{md(table.title)}（数据 {len(table.rows)} 行）")

offered, remembered = ui.offered_mapping(table.headers, target)
st.markdown("**第 2 步：核对列的对应**" + ("（已沿用上次导入同样表头时保存的对应）" if remembered else "（按列名自动推荐，可修改）"))
prefix = f"exchange.map.{digest}.{sheet}.{int(header_row)}.{target}"
chosen = ui.draw_mapping(table, offered, prefix)
year = st.number_input("年份（用于“11月14日”这类不带年份的日期）", min_value=2000, max_value=2100,
                       value=table.year, step=1, key=f"{prefix}.year", placeholder="如 2019",
                       help="默认取表头上方标题中的年份")
chosen.year = int(year) if year else None
for problem in chosen.problems():
    st.warning(md(problem))

st.markdown("**第 3 步：预览并导入**")
check_then_import((digest, sheet, int(header_row), repr(chosen)), "检查并预览", "exchange.ledger",
                  lambda **kw: importer.import_ledger(actor, data, chosen, sheet=sheet, header_row=int(header_row),
                                                      filename=upload.name, **kw),
                  disabled=bool(chosen.problems()))
