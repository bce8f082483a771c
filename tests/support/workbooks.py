"""A small, valid Excel ledger in the template's layout (every sheet), shared by exchange, records and role tests."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

from gangwen_dash.exchange import workbook

TODAY = date(2020, 1, 10)
CHECKS = ["符合", "不符合", "符合", "符合", "不适用", "符合"]


def good_rows() -> dict[str, list[list]]:
    """A small, valid ledger touching every sheet; dates in the three text forms and as date cells."""
    return {
        "街道": [["唐闸镇街道", 32.062, 120.824], ["秦灶街道", 32.065, 120.889]],
        "督查组": [["第一督查组", 1], ["第二督查组", 2]],
        "委员": [["张建国", "经济界", "第一督查组", "13900000001", True],
                 ["李晓明", "教育界", "第一督查组", None, None],
                 ["王海燕", "民盟", "第二督查组", None, True],
                 ["赵文斌", "特邀", None, None, False]],
        "工地": [["唐闸锦园住宅项目", "唐闸镇街道", "唐闸路1号", 32.06, 120.82, "南通三建集团", "在建"],
                 ["秦灶广场商业综合体", "秦灶街道", "", 32.066, 120.885, "", None]],
        "督查记录": [["唐闸锦园住宅项目", datetime(2019, 11, 14, 9, 30), "第一督查组", "日常督查", ["张建国", "李晓明"],
                      None, None, None, "", *CHECKS],
                     ["秦灶广场商业综合体", "2019/11/20 14:00", "第二督查组", "抽查暗访", "王海燕", 32.066, 120.885,
                      "设备定位", "四不两直", *CHECKS]],
        "问题": [["唐闸锦园住宅项目", datetime(2019, 11, 14, 9, 30), "第一督查组", "S2", "较重", "裸土未覆盖防尘网",
                  "住建局", date(2019, 11, 21), None, "已销号", datetime(2019, 11, 14, 12), datetime(2019, 11, 20, 10),
                  "已覆盖", datetime(2019, 11, 21, 9), datetime(2019, 11, 21, 9), 0, True],
                 ["秦灶广场商业综合体", "2019年11月20日 14:00", "第二督查组", "监测监控", "一般", "监测设备离线",
                  "生态环境局", "2019年11月21日", None, "整改中", "2019-11-20 15:00", None, None, None, None, None,
                  None]],
        "协商议事室": [["唐闸镇街道协商议事室", "唐闸镇街道", "街道", 32.062, 120.824, "2019-03-05", True]],
        "民生项目": [["老旧小区加装电梯", "唐闸镇街道协商议事室", "已解决", "2019/04/01", "2019年06月30日"],
                     ["背街小巷路灯维修", "唐闸镇街道协商议事室", "推进中", date(2019, 5, 1), None]],
        "提案": [["2019-001", "关于加强建筑工地扬尘治理的建议", "张建国等", "2019-01-08", "办结", "区住建局",
                  "2019-01-20", "2019-03-20", "A", "满意", True, False, "区政协主席", "已办结"]],
        "社情民意": [["关于渣土车撒漏问题的反映", "民意监督员01", "2019-06-01", "批示", True]],
        "履职活动": [["专题协商：扬尘治理", "协商", "2019-09-10", ["张建国", "王海燕"]]],
    }


def to_bytes(rows) -> bytes:
    buf = BytesIO()
    workbook.save(workbook.build(rows), buf)
    return buf.getvalue()
