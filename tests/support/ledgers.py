"""A secretariat's own ledger written by hand with openpyxl (title rows, merged cells, synonym headers, dates as
typed, a site without coordinates, a full-width space in a site name) and what the system knows before it."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook

from tests.support.factory import Factory

SHEET = "11月督查台账"
HEADERS = ["序号", "日期", "工地", "所属街道", "存在问题", "类别", "严重程度", "责任部门", "整改时限", "备注"]
ROWS = [
    # the date of rows 4 and 5 is one merged cell; a full-width space in the known site's name
    [1, "2019.11.14", "唐闸锦园　住宅项目", "唐闸镇街道", "裸土未覆盖防尘网", "S2", "较重", "住建局", "2019年11月21日", ""],
    [2, None, "唐闸锦园住宅项目", "唐闸镇街道", "出入车辆未冲洗", "出入车辆100%冲洗", "一般", "城管局", "11月15日", ""],
    # an Excel date serial (2019-11-20); a site the system does not know, no coordinates anywhere
    [3, 43789, "秦灶新城安置房三期", "秦灶街道", "围挡破损", "S1", "一般", "属地街道", "2019/11/25", "新开工"],
    [4, "2019年11月20日 14:00", "唐闸锦园住宅项目", "唐闸镇街道", "监测设备离线", "监测监控", "一般", "生态环境局", None, ""],
]


def write_ledger(rows=ROWS, *, extra_sheet: bool = True) -> bytes:
    wb = Workbook()
    if extra_sheet:
        wb.active.title = "说明"
        wb.active["A1"] = "本台账由区政协办公室维护"
        ws = wb.create_sheet(SHEET)
    else:
        ws = wb.active
        ws.title = SHEET
    ws["A1"] = "港闻区政协2019年11月扬尘管控督查台账"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A2"] = "填报单位：区政协办公室"
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=4)
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    ws.merge_cells("B4:B5")  # one date typed once for two problems
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def seed_known(session) -> None:
    """What the system knows before the ledger: two streets, the group, one site (without the ledger's space)."""
    f = Factory(session)
    tangzha = f.street("唐闸镇街道", 32.062, 120.824)
    f.street("秦灶街道", 32.065, 120.889)
    f.group("第一督查组")
    f.site(tangzha, "唐闸锦园住宅项目", 32.06, 120.82)
