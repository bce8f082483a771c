"""Excel 导入导出 (机关): template download, full export, import with preview and per-row error report."""

from datetime import datetime

import streamlit as st

from gangwen_dash.exchange import exporter, importer, workbook
from gangwen_dash.services.base import ServiceError
from gangwen_dash.ui import exchange as ui
from gangwen_dash.ui.loaders import clear_read_caches
from gangwen_dash.ui.session import require_actor
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
    st.download_button("下载导入模板", workbook.template_bytes(), file_name="港闻督查台账模板.xlsx", mime=XLSX,
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
                           file_name=f"港闻督查台账导出-{datetime.now():%Y%m%d-%H%M}.xlsx",
                           key="exchange.export_download", icon=":material/download:")

st.divider()
st.subheader("导入台账")
st.caption("先检查再导入：任何一行有错，整个文件都不会写入；已存在的记录会跳过，重复导入同一文件不会新增数据。")
upload = st.file_uploader("选择 .xlsx 文件", type=["xlsx"], key="exchange.upload")
if upload is None:
    st.session_state.pop("exchange.checked", None)
    st.stop()

data = upload.getvalue()
digest = ui.digest(data)
with st.expander("文件预览（每表前 20 行）", expanded=False):
    for name, (frame, total) in ui.preview(data).items():
        st.markdown(f"**{name}**（共 {total} 行）")
        st.dataframe(frame, hide_index=True, width="stretch")

if st.button("检查文件（试导入）", key="exchange.check", type="primary"):
    try:
        report = importer.import_workbook(actor, data, dry_run=True, filename=upload.name)
    except ServiceError as exc:
        st.error(md(exc))
        st.stop()
    st.session_state["exchange.checked"] = (digest, report)

checked = st.session_state.get("exchange.checked")
if checked and checked[0] == digest:
    report = checked[1]
    if report.errors:
        st.error(report.summary())
        st.dataframe(ui.error_table(report), hide_index=True, width="stretch")
    else:
        st.info(report.summary())
        st.dataframe(ui.count_table(report), hide_index=True)
        if st.button("确认导入", key="exchange.commit", type="primary"):
            try:
                final = importer.import_workbook(actor, data, filename=upload.name)
            except ServiceError as exc:
                st.error(md(exc))
                st.stop()
            if final.errors:  # the data changed between the check and now
                st.session_state["exchange.checked"] = (digest, final)
                st.rerun()
            clear_read_caches()
            st.session_state.pop("exchange.checked", None)
            st.session_state["exchange.notice"] = final.summary()
            st.rerun()
