"""Deterministic 2019 demo data (DESIGN.md §4): the CPPCC's own 2019 figures, plausible elsewhere.

Exact figures: 68 members in 2 inspection groups · 32 inspections · 75 consultation rooms (16 pilots)
· 78 livelihood projects (46 solved, 32 in progress) · 136 proposals (11 key, 14 excellent)
· 46 opinion items (23 with 领导批示) · activities 4/12/35/12/19 by kind.
Everything else (sites, findings, their lifecycles) comes from a fixed random seed, so every load is
identical. Rows are written through the ORM in one transaction.

Length: it is mostly data (the 2019 figures, names, places), written out so it can be checked against
the source document line by line.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gangwen_dash import domain
from gangwen_dash.config import DISTRICT_BBOX
from gangwen_dash.models import (
    AppState,
    Base,
    ChecklistResult,
    ConsultationRoom,
    DutyActivity,
    Finding,
    FindingEvent,
    Inspection,
    InspectionGroup,
    LivelihoodProject,
    Member,
    OpinionItem,
    Photo,
    Proposal,
    Site,
    Street,
    Unit,
    User,
)

SEED = 2019
YEAR_END = date(2019, 12, 31)

# Streets and zones with rough anchors (DESIGN.md §5).
STREETS = {
    "唐闸镇街道": (32.062, 120.824),
    "天生港镇街道": (32.020, 120.780),  # anchor moved a little inland: keep points off the Yangtze
    "秦灶街道": (32.065, 120.889),
    "陈桥街道": (32.107, 120.808),
    "幸福街道": (32.088, 120.852),
    "永兴街道": (32.040, 120.795),
    "港闻经济开发区": (32.044, 120.781),
    "市北新城": (32.085, 120.830),
}

FIGURES = {
    "members": 68,
    "groups": 2,
    "inspections": 32,
    "spot_checks": 12,
    "rooms": 75,
    "pilot_rooms": 16,
    "projects": 78,
    "projects_solved": 46,
    "proposals": 136,
    "proposals_key": 11,
    "proposals_excellent": 14,
    "opinions": 46,
    "opinions_instructed": 23,
    "activities": {"常委会集体学习": 4, "机关学习": 12, "界别学习研讨": 35, "协商": 12, "界别活动": 19},
}

SECTORS = ("中共", "民革", "民盟", "民建", "民进", "农工党", "九三学社", "无党派", "工商联", "经济界",
           "科技界", "教育界", "医药卫生界", "文化艺术界", "社会福利界", "特邀")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国志强晓明海燕丽华文斌春梅国庆伟红卫东秀英玉兰永刚俊杰婷婷建华立新家豪子涵雨轩思远浩然佳怡明辉德胜光荣美玲"

SITE_KINDS = ("住宅项目", "商业综合体", "安置房", "道路改造工程", "学校扩建工程", "厂房项目", "地铁站点",
              "管网改造工程", "公园提升工程", "医院综合楼")
SITE_PREFIX = ("唐闸", "天生港", "秦灶", "陈桥", "幸福", "永兴", "港闻", "北城", "城港", "长江", "濠西",
               "钟秀", "新河", "通富", "闸西", "芦泾", "紫琅", "任港", "江海", "虹桥")
BUILDERS = ("南通三建集团", "中天建设集团", "南通四建集团", "江苏华建建设", "龙信建设集团", "南通新华建筑",
            "苏中建设集团", "中建八局")

PROBLEMS = {
    "S1": ("围挡破损未修复", "围挡高度不足2.5米", "围挡喷淋未开启"),
    "S2": ("裸土未覆盖防尘网", "砂石料堆放未覆盖", "渣土堆覆盖不完整"),
    "S3": ("冲洗设施未正常使用", "车辆带泥上路", "洗车池沉淀池淤积"),
    "S4": ("主干道路面未硬化", "场内道路积尘严重", "硬化路面破损"),
    "S5": ("土方开挖未湿法作业", "拆除作业未喷水降尘", "雾炮未随作业开启"),
    "S6": ("渣土车未密闭", "渣土车沿途撒漏", "运输车辆篷布破损"),
    "监测监控": ("扬尘在线监测设备离线", "视频监控未联网", "PM10读数超标未处置"),
    "喷淋雾炮": ("雾炮设备损坏", "围挡喷淋系统停用"),
    "夜间施工": ("夜间施工无许可", "夜间土方作业未报备"),
    "公示牌台账": ("扬尘公示牌信息缺失", "扬尘管控台账未记录"),
    "其他": ("建筑垃圾未密闭存放", "现场焚烧废弃物"),
}
UNIT_BY_CATEGORY = {"S6": "城管局", "监测监控": "生态环境局", "夜间施工": "城管局", "公示牌台账": "住建局"}

ROOM_SUFFIX = {"街道": "街道协商议事室", "村社区": "社区协商议事室", "企业": "企业协商议事室"}
COMMUNITIES = ("十里坊", "天生港", "虹桥", "秦灶", "陈桥", "幸福", "永兴", "闸西", "长江", "城北", "友谊", "五一",
               "八一", "新桥", "钟秀", "北城", "芦泾", "建华", "高店", "大生", "河口", "江景", "锦绣", "紫薇",
               "和平", "园林", "竹行", "新闸", "裕丰", "濠阳")
FIRMS = ("大生集团", "通富微电", "中天科技", "江山农化", "南通港", "罗莱家纺", "中远川崎", "林洋能源")
PROJECT_TOPICS = ("老旧小区加装电梯", "背街小巷路灯维修", "小区停车位增设", "农贸市场环境整治", "社区养老助餐点",
                  "雨污分流改造", "口袋公园建设", "非机动车充电棚", "学校周边交通秩序", "河道保洁",
                  "垃圾分类亭设置", "社区卫生服务站延时", "健身步道修缮", "公交站台遮雨棚", "积水点改造")
PROPOSAL_TOPICS = ("关于加强建筑工地扬尘治理的建议", "关于推进老旧小区改造的建议", "关于完善社区养老服务的建议",
                   "关于优化营商环境的建议", "关于加快港闸片区产业转型的建议", "关于提升城市精细化管理水平的建议",
                   "关于加强中小学生心理健康教育的建议", "关于推动唐闸古镇文旅融合发展的建议",
                   "关于治理城市内河水环境的建议", "关于规范渣土运输管理的建议", "关于完善垃圾分类体系的建议",
                   "关于加强基层医疗服务能力的建议", "关于促进民营经济高质量发展的建议", "关于缓解学校周边交通拥堵的建议")
UNITS = ("区住建局", "区生态环境局", "区城管局", "区教体局", "区卫健委", "区发改委", "区民政局", "区商务局",
         "区交通运输局", "区文旅局")
CHAIRS = ("区政协主席", "区政协副主席甲", "区政协副主席乙", "区政协副主席丙")

DEMO_USERS = (
    ("admin", "机关管理员", "secretariat", None),
    ("chair", "区政协主席", "chair", None),
    ("leader1", "第一督查组组长", "group_leader", "第一督查组"),
    ("inspector1", "第一督查组成员", "inspector", "第一督查组"),
    ("leader2", "第二督查组组长", "group_leader", "第二督查组"),
    ("inspector2", "第二督查组成员", "inspector", "第二督查组"),
)
DEMO_PASSWORD = "gangwen-2019"
# 责任单位 accounts (issue 15): user name, unit, kind, contact, demo address (example.gov.cn: never delivered).
DEMO_UNITS = (
    ("zjj", "住建局", "政府部门", "王科长 0513-85000001", "zjj@example.gov.cn"),
    ("sthjj", "生态环境局", "政府部门", "李科长 0513-85000002", "sthjj@example.gov.cn"),
    ("cgj", "城管局", "政府部门", "赵科长 0513-85000003", "cgj@example.gov.cn"),
    ("jdb", "属地街道", "街道", "街道城管办 0513-85000004", ""),
    ("jsdw", "建设单位", "建设单位", "", ""),
)
DEMO_LETTERS = 3  # 交办单 for the three departments' latest hand-overs


class DatabaseNotEmpty(RuntimeError):
    pass


def is_empty(session: Session) -> bool:
    """True when the database holds no accounts and no business data: only then may the demo go in
    (never beside accounts made with ``create-user`` — the demo's passwords are public)."""
    for model in (User, Member, Site, Inspection, Proposal, ConsultationRoom):
        if session.execute(select(func.count()).select_from(model)).scalar_one():
            return False
    return True


def clear_all(session: Session) -> None:
    """Delete every row except the audit log (append-only by design) and Alembic's bookkeeping."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name not in ("audit_log", "app_state"):
            session.execute(table.delete())


def _in_bbox(lat: float, lon: float) -> tuple[float, float]:
    b = DISTRICT_BBOX
    margin = 0.004
    return (
        round(min(max(lat, b["lat_min"] + margin), b["lat_max"] - margin), 6),
        round(min(max(lon, b["lon_min"] + margin), b["lon_max"] - margin), 6),
    )


def _at(day: date, rng: random.Random, start_hour: int = 8, end_hour: int = 17) -> datetime:
    return datetime.combine(day, time(rng.randint(start_hour, end_hour - 1), rng.choice((0, 15, 30, 45))))


def _spread_dates(rng: random.Random, n: int, start: date, end: date) -> list[date]:
    span = (end - start).days
    return sorted(start + timedelta(days=rng.randint(0, span)) for _ in range(n))


def load(session: Session, *, reset: bool = False, password_hasher=None) -> dict:
    """Load the demo into ``session`` (the caller commits). Returns counts of what was written."""
    if not is_empty(session):
        if not reset:
            raise DatabaseNotEmpty("数据库已有数据，未写入演示数据；如需覆盖请加 --reset（会清空现有业务数据）")
        clear_all(session)
        session.flush()
    rng = random.Random(SEED)

    streets = {name: Street(name=name, lat=lat, lon=lon) for name, (lat, lon) in STREETS.items()}
    session.add_all(streets.values())

    groups = [InspectionGroup(name="第一督查组", sort_order=1), InspectionGroup(name="第二督查组", sort_order=2)]
    session.add_all(groups)
    session.flush()

    names: set[str] = set()
    members: list[Member] = []
    while len(members) < FIGURES["members"]:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2])
        if name in names:
            continue
        names.add(name)
        group = groups[len(members) % 2]
        members.append(Member(name=name, sector=rng.choice(SECTORS), group=group,
                              phone=f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}"))
    session.add_all(members)

    sites = _sites(rng, streets)
    session.add_all(sites)
    session.flush()

    inspections, findings = _inspections(rng, groups, members, sites)
    session.add_all(inspections)
    session.add_all(findings)
    session.add_all(_demo_photos(findings))

    rooms = _rooms(rng, streets)
    session.add_all(rooms)
    projects = _projects(rng, rooms)
    session.add_all(projects)
    proposals = _proposals(rng)
    session.add_all(proposals)
    opinions = _opinions(rng)
    session.add_all(opinions)
    activities = _activities(rng, members)
    session.add_all(activities)
    users = _users(session, groups, members, password_hasher)
    session.flush()
    units = _units(session)
    users += _unit_users(session, units, password_hasher)
    session.flush()
    letters = _letters(session, units, findings)
    session.execute(update(AppState).where(AppState.id == 1).values(
        demo_loaded=True, data_version=AppState.data_version + 1))
    return {
        "members": len(members), "sites": len(sites), "inspections": len(inspections),
        "findings": len(findings), "rooms": len(rooms), "projects": len(projects),
        "proposals": len(proposals), "opinions": len(opinions), "activities": len(activities),
        "users": len(users), "letters": len(letters),
    }


def _sites(rng: random.Random, streets: dict[str, Street]) -> list[Site]:
    sites, used = [], set()
    street_names = list(streets)
    for i in range(48):
        street_name = street_names[i % len(street_names)]
        anchor = STREETS[street_name]
        while True:
            name = f"{rng.choice(SITE_PREFIX)}{rng.choice(('·', ''))}{rng.choice(('锦园', '华府', '新苑', '花园', '名邸', '中心', '广场', '佳苑', '东区', '北区'))}{rng.choice(SITE_KINDS)}"
            if name not in used:
                used.add(name)
                break
        lat, lon = _in_bbox(anchor[0] + rng.uniform(-0.012, 0.012), anchor[1] + rng.uniform(-0.014, 0.014))
        sites.append(Site(
            name=name, street=streets[street_name], lat=lat, lon=lon,
            address=f"{street_name}{rng.choice(('人民路', '唐闸路', '城港路', '长江路', '钟秀路', '永兴大道', '秦灶路', '幸福路'))}{rng.randint(1, 399)}号",
            builder=rng.choice(BUILDERS), status="在建" if i < 44 else rng.choice(("停工", "竣工")),
        ))
    return sites


def _inspections(rng, groups, members, sites):
    """32 inspections across March–December 2019, two to five findings each with full lifecycles."""
    spot_idx = set(rng.sample(range(FIGURES["inspections"]), FIGURES["spot_checks"]))
    days = _spread_dates(rng, FIGURES["inspections"], date(2019, 3, 5), date(2019, 12, 27))
    # Anchor the inspection nearest mid-November on 2019-11-14, so that the documented example week
    # (2019-W46, used by the weekly pack's CLI examples) has data. Replacing a value keeps the random
    # sequence, and so everything else in the demo, unchanged.
    nearest = min(range(len(days)), key=lambda i: abs((days[i] - date(2019, 11, 14)).days))
    days[nearest] = date(2019, 11, 14)
    days.sort()
    active_sites = [s for s in sites if s.status == "在建"]
    roster = {g.id: [m for m in members if m.group is g] for g in groups}
    inspections, findings = [], []
    for i, day in enumerate(days):
        group = groups[i % 2]
        site = rng.choice(active_sites)
        at = _at(day, rng, 9, 16)
        insp = Inspection(
            site=site, group=group, kind=domain.KIND_SPOT if i in spot_idx else domain.KIND_ROUTINE,
            inspected_at=at, lat=site.lat, lon=site.lon, location_source="工地坐标",
            members=rng.sample(roster[group.id], rng.randint(4, 9)),
            notes="四不两直，未提前通知" if i in spot_idx else "",
        )
        failing = set(rng.sample(list(domain.CHECKLIST_ITEMS), rng.choice((0, 1, 1, 2, 2, 3))))
        for item in domain.CHECKLIST_ITEMS:
            result = domain.RESULT_FAIL if item in failing else (
                domain.RESULT_NA if item == "S5" and rng.random() < 0.4 else domain.RESULT_PASS)
            insp.checklist.append(ChecklistResult(item=item, result=result))
        categories = sorted(failing) + rng.sample(domain.EXTRA_CATEGORIES, rng.choice((0, 1, 1, 2)))
        if not categories:
            categories = [rng.choice(domain.EXTRA_CATEGORIES)]
        for category in categories:
            findings.append(_finding(rng, insp, site, group, at, category))
        inspections.append(insp)
    return inspections, findings


def _finding(rng, insp, site, group, found_at: datetime, category: str) -> Finding:
    severity = rng.choices(domain.SEVERITIES, weights=(5, 4, 1))[0]
    days = {"一般": 1, "较重": 7, "严重": 15}[severity]
    due = found_at.date() + timedelta(days=days)
    f = Finding(
        inspection=insp, site=site, group_id=group.id, found_at=found_at, category=category,
        severity=severity, description=rng.choice(PROBLEMS[category]),
        responsible_unit=UNIT_BY_CATEGORY.get(category, rng.choice(("住建局", "属地街道", "建设单位"))),
        due_date=due, first_due_date=due, status=domain.ST_RECTIFYING, recheck_failures=0,
        handed_over_at=found_at + timedelta(hours=rng.randint(1, 20)),
    )
    f.events.append(FindingEvent(action="发现", at=found_at, note=f.description))
    f.events.append(FindingEvent(action="交办", at=f.handed_over_at, responsible_unit=f.responsible_unit,
                                 due_date=due, note=f"限{days}日内整改"))
    # Outcome mix: on time, late, failed re-check then closed, awaiting re-check, overdue and open.
    outcome = rng.choices(("on_time", "late", "failed_then_closed", "awaiting", "open"),
                          weights=(55, 15, 10, 8, 12))[0]
    if found_at.date() > date(2019, 12, 10) and outcome != "on_time":
        outcome = "open"
    if outcome == "open":
        return f
    reply_day = due - timedelta(days=rng.randint(0, max(days - 1, 0))) if outcome != "late" else (
        due + timedelta(days=rng.randint(2, 20)))
    reply_at = max(_at(reply_day, rng), f.handed_over_at + timedelta(hours=2))
    _reply(f, reply_at, "已按要求整改到位")
    if outcome == "awaiting":
        return f
    if outcome == "failed_then_closed":
        check_at = reply_at + timedelta(days=rng.randint(1, 3))
        f.recheck_failures += 1
        f.rechecked_at = check_at
        f.status = domain.ST_RECTIFYING
        f.due_date = check_at.date() + timedelta(days=5)
        f.events.append(FindingEvent(action="复查未通过", at=check_at, due_date=f.due_date,
                                     note="复查发现整改不彻底，重新限期整改"))
        reply_at = _at(f.due_date - timedelta(days=1), rng)
        _reply(f, reply_at, "已重新整改")
    check_at = reply_at + timedelta(hours=rng.randint(20, 60))
    f.rechecked_at = check_at
    f.closed_at = check_at
    f.status = domain.ST_CLOSED
    f.events.append(FindingEvent(action="复查通过", at=check_at, note="复查合格，予以销号"))
    return f


DEMO_PHOTO_PAIRS = 8  # closed findings shown with a before/after pair (weekly pack 典型问题, timeline)
DEMO_PHOTO_BEFORE_ONLY = 8  # open findings with a before-photo


def _demo_photos(findings: list[Finding]) -> list[Photo]:
    """Generated placeholder photos (``photos.demo_paths``), redrawn on read if the file is missing."""
    import hashlib

    from gangwen_dash import photos

    closed = [f for f in findings if f.status == domain.ST_CLOSED and f.severity != domain.SEV_MINOR]
    open_ = [f for f in findings if f.status != domain.ST_CLOSED]
    out = []
    chosen = [(f, domain.PHOTO_KINDS) for f in closed[:DEMO_PHOTO_PAIRS]] + \
        [(f, domain.PHOTO_KINDS[:1]) for f in open_[:DEMO_PHOTO_BEFORE_ONLY]]
    for n, (f, kinds) in enumerate(chosen, start=1):
        for kind in kinds:
            path, thumb = photos.demo_paths(n, kind, f.category)
            at = f.found_at if kind == domain.PHOTO_KINDS[0] else f.replied_at
            out.append(Photo(finding=f, kind=kind, path=path, thumb_path=thumb, width=960, height=720,
                             sha256=hashlib.sha256(photos.demo_image_bytes(path)).hexdigest(),
                             exif_time=at, exif_lat=f.site.lat, exif_lon=f.site.lon, check_result="现场核验",
                             created_at=at))
        f.verified_on_site = True
    return out


def _reply(f: Finding, at: datetime, text: str) -> None:
    f.replied_at = at
    f.reply_text = text
    f.status = domain.ST_AWAITING_RECHECK
    f.events.append(FindingEvent(action="整改回复", at=at, note=text))


def _rooms(rng, streets) -> list[ConsultationRoom]:
    rooms: list[ConsultationRoom] = []
    street_names = list(streets)
    kinds = ["街道"] * 8 + ["村社区"] * 55 + ["企业"] * 12
    used = set()
    for i, kind in enumerate(kinds):
        street_name = street_names[i % len(street_names)]
        if kind == "街道":
            name = street_name + ROOM_SUFFIX[kind]
        elif kind == "企业":
            name = f"{FIRMS[i % len(FIRMS)]}{street_name[:2]}{ROOM_SUFFIX[kind]}"
        else:
            name = f"{street_name[:-2] if street_name.endswith('街道') else street_name}{COMMUNITIES[i % len(COMMUNITIES)]}{ROOM_SUFFIX[kind]}"
        while name in used:
            name = name.replace("协商议事室", "第二协商议事室")
        used.add(name)
        pilot = i < FIGURES["pilot_rooms"]
        established = date(2019, 3, 1) + timedelta(days=rng.randint(0, 30)) if pilot else (
            date(2019, 5, 1) + timedelta(days=rng.randint(0, 200)))
        anchor = STREETS[street_name]
        lat, lon = _in_bbox(anchor[0] + rng.uniform(-0.015, 0.015), anchor[1] + rng.uniform(-0.015, 0.015))
        rooms.append(ConsultationRoom(name=name, street=streets[street_name], kind=kind, lat=lat, lon=lon,
                                      established_on=established, is_pilot=pilot))
    return rooms


def _projects(rng, rooms) -> list[LivelihoodProject]:
    solved_idx = set(rng.sample(range(FIGURES["projects"]), FIGURES["projects_solved"]))
    projects = []
    for i in range(FIGURES["projects"]):
        room = rooms[i % len(rooms)] if i < len(rooms) else rng.choice(rooms[:FIGURES["pilot_rooms"]])
        raised = max(room.established_on, date(2019, 3, 1)) + timedelta(days=rng.randint(5, 60))
        raised = min(raised, date(2019, 11, 30))
        solved = raised + timedelta(days=rng.randint(15, 120)) if i in solved_idx else None
        if solved and solved > YEAR_END:
            solved = YEAR_END - timedelta(days=rng.randint(0, 10))
            solved = max(solved, raised)
        projects.append(LivelihoodProject(
            room=room, title=f"{PROJECT_TOPICS[i % len(PROJECT_TOPICS)]}（{room.name[:4]}·{i + 1:02d}）",
            status="已解决" if solved else "推进中", raised_on=raised, solved_on=solved,
        ))
    return projects


def _proposals(rng) -> list[Proposal]:
    n = FIGURES["proposals"]
    key_idx = set(rng.sample(range(n), FIGURES["proposals_key"]))
    excellent_idx = set(rng.sample(range(n), FIGURES["proposals_excellent"]))
    proposals = []
    for i in range(n):
        submitted = date(2019, 1, 8) + timedelta(days=rng.randint(0, 20)) if i < 120 else (
            date(2019, 3, 1) + timedelta(days=rng.randint(0, 200)))
        stage = rng.choices(("办结", "已答复", "办理中", "交办", "不立案"), weights=(70, 12, 8, 3, 2))[0]
        if i in key_idx or i in excellent_idx:
            stage = rng.choice(("办结", "已答复")) if i in excellent_idx else rng.choice(("办结", "办理中"))
        assigned = submitted + timedelta(days=rng.randint(10, 25)) if stage != "不立案" else None
        replied = None
        if stage in ("已答复", "办结"):
            # Most replies within 3 months; a few late ones make the overdue list meaningful.
            replied = assigned + timedelta(days=rng.choice((30, 45, 60, 75, 80, 85, 100, 120)))
        result = rng.choices(("A", "B", "C"), weights=(60, 30, 10))[0] if replied else None
        satisfaction = rng.choices(domain.SATISFACTION, weights=(75, 20, 5))[0] if stage == "办结" else None
        proposals.append(Proposal(
            number=f"2019-{i + 1:03d}", title=f"{PROPOSAL_TOPICS[i % len(PROPOSAL_TOPICS)]}（{i + 1}）",
            proposer=f"{rng.choice(SURNAMES)}{rng.choice(GIVEN[::2])}{rng.choice(GIVEN[1::2])}等",
            submitted_on=submitted, stage=stage, handling_unit=rng.choice(UNITS) if assigned else "",
            assigned_on=assigned, replied_on=replied, result_code=result, satisfaction=satisfaction,
            is_key=i in key_idx, is_excellent=i in excellent_idx,
            lead_chair=CHAIRS[i % len(CHAIRS)] if i in key_idx else None,
            progress=("已形成督办意见，承办单位按计划推进" if i in key_idx else ""),
        ))
    return proposals


def _opinions(rng) -> list[OpinionItem]:
    n = FIGURES["opinions"]
    instructed = set(rng.sample(range(n), FIGURES["opinions_instructed"]))
    topics = ("关于工地夜间施工扰民的反映", "关于渣土车撒漏问题的反映", "关于小区停车难的反映", "关于河道黑臭的反映",
              "关于农贸市场秩序的反映", "关于学校门口交通安全的反映", "关于老旧小区改造质量的反映")
    items = []
    for i, day in enumerate(_spread_dates(rng, n, date(2019, 1, 15), date(2019, 12, 20))):
        items.append(OpinionItem(
            title=f"{topics[i % len(topics)]}（第{i + 1}期）", collector=f"民意监督员{rng.randint(1, 20):02d}",
            submitted_on=day, status="批示" if i in instructed else rng.choice(("收集", "编报", "采用")),
            instructed=i in instructed,
        ))
    return items


def _activities(rng, members) -> list[DutyActivity]:
    titles = {
        "常委会集体学习": "常委会集体学习：{}",
        "机关学习": "机关理论学习：{}",
        "界别学习研讨": "界别学习研讨：{}",
        "协商": "专题协商：{}",
        "界别活动": "界别活动：{}",
    }
    themes = ("习近平新时代中国特色社会主义思想", "人民政协理论", "扬尘治理与大气污染防治", "民营经济发展",
              "城市精细化管理", "乡村振兴", "营商环境", "“有事好商量”协商实践")
    activities = []
    for kind, n in FIGURES["activities"].items():
        for j, day in enumerate(_spread_dates(rng, n, date(2019, 1, 10), date(2019, 12, 20))):
            activities.append(DutyActivity(
                title=titles[kind].format(themes[j % len(themes)]) + f"（{j + 1}）", kind=kind, held_on=day,
                members=rng.sample(members, rng.randint(6, 30)),
            ))
    return activities


def _users(session, groups, members, password_hasher) -> list[User]:
    if password_hasher is None:
        from gangwen_dash.passwords import hash_password as password_hasher
    digest = password_hasher(DEMO_PASSWORD)
    existing = set(session.execute(select(User.username)).scalars())
    by_name = {g.name: g for g in groups}
    users = []
    for username, display, role, group_name in DEMO_USERS:
        if username in existing:
            continue
        users.append(User(username=username, display_name=display, password_hash=digest, role=role,
                          group_id=by_name[group_name].id if group_name else None, must_change_password=False))
    session.add_all(users)
    return users


def _units(session) -> dict[str, Unit]:
    """The demo's units: the rows migration 0005 made from the configured list, or new ones after a reset."""
    have = {u.name: u for u in session.execute(select(Unit)).scalars()}
    for _, name, kind, contact, email in DEMO_UNITS:
        unit = have.get(name)
        if unit is None:
            unit = have[name] = Unit(name=name, kind=kind, version=1)
            session.add(unit)
        unit.kind, unit.contact, unit.notify_email = kind, contact, email
    session.flush()
    return have


def _unit_users(session, units: dict[str, Unit], password_hasher) -> list[User]:
    if password_hasher is None:
        from gangwen_dash.passwords import hash_password as password_hasher
    digest = password_hasher(DEMO_PASSWORD)
    existing = set(session.execute(select(User.username)).scalars())
    users = [User(username=username, display_name=f"{name}联络员", password_hash=digest, role="unit",
                  unit_id=units[name].id, must_change_password=False)
             for username, name, *_ in DEMO_UNITS if username not in existing]
    session.add_all(users)
    return users


def _letters(session, units: dict[str, Unit], findings: list[Finding]) -> list:
    """A 交办单 for each department's latest hand-overs of group 1 (up to 3 open problems each)."""
    from gangwen_dash.services.letters import record_letter

    out = []
    for _, name, *_ in DEMO_UNITS[:DEMO_LETTERS]:
        mine = sorted((f for f in findings if f.responsible_unit == name and f.status != domain.ST_CLOSED
                       and f.group_id == findings[0].group_id), key=lambda f: (f.handed_over_at, f.id))[-3:]
        if mine:
            out.append((max(f.handed_over_at for f in mine), name, mine))
    letters = []
    for at, name, mine in sorted(out, key=lambda t: t[0]):
        letters.append(record_letter(session, units[name], mine, at, None, "机关管理员", "请按期整改并在看板中回复"))
    return letters
