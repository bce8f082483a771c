"""督查录入: record an inspection on a tablet (1024×768 landscape / 768×1024 portrait).

Layout only: reads go through gangwen_dash.ui.entry (cached), the write through
services.inspections.record_inspection. Every widget saves the server-side draft on change.

Length: one form, laid out in the order an inspector fills it on site (① 工地, ② 督查信息, ③ 检查表与问题,
提交); its state handling lives in ui/entry.py.
"""

import streamlit as st
from streamlit_folium import st_folium

from gangwen_dash import domain, maps, photos
from gangwen_dash.config import get_settings, local_now
from gangwen_dash.services.base import PermissionDenied, ValidationFailed
from gangwen_dash.services.inspections import default_due_date, record_inspection
from gangwen_dash.services.permissions import can
from gangwen_dash.services.sites import register_site
from gangwen_dash.ui import chrome, reads
from gangwen_dash.ui import entry as ui
from gangwen_dash.ui.geolocate import geolocate
from gangwen_dash.ui.loaders import load_groups, load_streets
from gangwen_dash.ui.maps import asset_base_url, map_tiles
from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.units import load_unit_names
from gangwen_dash.ui.usertext import md

actor = require_actor(__file__)
ss = st.session_state

chrome.touch_targets()  # tablet ergonomics: 48 px touch targets, no horizontal scrolling

st.title("督查录入")
if not can(actor.role, "inspection.record")[0]:
    st.info("主席/副主席为只读角色，不能录入督查记录。")
    st.stop()


@st.dialog("督查记录已保存", icon=":material/task_alt:")
def _saved(notice: dict) -> None:
    st.success(notice["text"], icon=":material/check_circle:")
    for fid in notice["finding_ids"][:6]:
        chrome.page_link("pages/tracking.py", f"在整改跟踪中查看问题 #{fid}", {"finding": fid})
    if st.button("继续录入下一条", type="primary", key="entry.saved_ok", width="stretch"):
        st.rerun()


@st.dialog("清空重填？")
def _confirm_clear() -> None:
    st.text("将清空本页已填写的全部内容和已上传的照片，且不能恢复。")
    c1, c2 = st.columns(2)
    if c1.button("取消", key="entry.clear_cancel", width="stretch"):
        st.rerun()
    if c2.button("确定清空", type="primary", key="entry.clear_ok", width="stretch"):
        ui.reset_entry(actor)
        st.rerun()


@st.dialog("移除此问题？")
def _confirm_remove(slot: str, title: str) -> None:
    st.text(f"“{title}”已填写的描述和照片将被删除。")
    c1, c2 = st.columns(2)
    if c1.button("保留", key="entry.remove_cancel", width="stretch"):
        st.rerun()
    if c2.button("确定移除", type="primary", key="entry.remove_ok", width="stretch"):
        ui.remove_finding(actor, slot)
        st.rerun()


restored = ui.restore_entry_draft(actor)
pending = ss.pop("entry._pending_site", None)
if pending is not None:  # chosen by a widget further down in the previous run
    ss["entry.site"], ss["entry.site_q"] = pending, ""
    ui.save_entry_draft(actor)
notice = ss.pop(ui.NOTICE, None)
if notice:
    _saved(notice)  # a dialog in the middle of the screen: seen wherever the user had scrolled to
elif restored:
    st.info("已恢复上次未提交的草稿（含已上传的照片）。")
# Far from 提交 and behind a confirmation: a slip must not wipe a whole inspection.
if st.button("清空重填…", key="entry.clear", icon=":material/delete_sweep:", type="tertiary"):
    _confirm_clear()

save = ui.save_entry_draft
kw = {"on_change": save, "args": (actor,)}
now = local_now().replace(second=0, microsecond=0)  # the district's clock, not the server's


def current_errors() -> tuple[dict[str, str], set[str]]:
    """The submit's errors that are still true (a fixed field loses its error at once)."""
    shown, confirmable = ui.shown_errors(group_id, now)
    shown.update({f"f.{slot}.photos": message for slot, message in ss.get(ui.STAGE_ERRORS, {}).items()})
    return shown, confirmable


BANNER = "entry._banner"  # how many errors the page's banner counts


def fragment_errors() -> dict[str, str]:
    """Errors inside a fragment; when a fix changed their number, rerun the page so the banner agrees."""
    errors, _ = current_errors()
    if len(errors) != ss.get(BANNER, 0):
        st.rerun()
    return errors


def err(field: str, errors: dict[str, str]) -> None:
    if field in errors:
        st.error(md(errors[field]), icon=":material/error:")


# --------------------------------------------------------------------------- group and defaults
groups = load_groups()
if actor.group_id is not None:
    group_id = actor.group_id
else:
    ss.setdefault("entry.group", int(groups.id.iloc[0]) if len(groups) else None)
    names = dict(zip(groups.id, groups.name, strict=True))
    group_id = st.selectbox("督查组", list(names), format_func=lambda i: names.get(i, str(i)), key="entry.group",
                            **kw)
roster, last_used, group_name = ui.load_roster(group_id) if group_id is not None else (None, [], None)
errors, confirmable = current_errors()
ss[BANNER] = len(errors)
if errors:
    st.error(f"提交未成功：有 {len(errors)} 处需要修改，见下方红色提示。")
ss.setdefault("entry.kind", domain.KIND_ROUTINE)
ss.setdefault("entry.date", now.date())
ss.setdefault("entry.time", now.time())
ss.setdefault("entry.loc_source", domain.LOC_SITE)
ss.setdefault("entry.site_q", "")
ss.setdefault("entry.street", 0)
ss.setdefault("entry.notes", "")
ss.setdefault("entry.site", None)
if "entry.members" not in ss and roster is not None:
    # plain ints (not numpy's): the draft keeps them, and a restored draft matches the options
    ss["entry.members"] = [int(m) for m in (last_used or list(roster.member_id)) if m in set(roster.member_id)]
for item in domain.CHECKLIST_ITEMS:
    ss.setdefault(f"entry.check.{item}", None)
ui.token()

# --------------------------------------------------------------------------- 1 site
st.subheader("① 工地")
streets = load_streets()
street_names = dict(zip(streets.id, streets.name, strict=True))
c1, c2 = st.columns([3, 2])
c1.text_input("搜索工地（名称、街道或地址）", key="entry.site_q", placeholder="如：唐闸、华府", **kw)
c2.selectbox("街道", [0, *street_names], key="entry.street",
             format_func=lambda i: street_names.get(i, "全部街道"), **kw)
found = ui.load_site_search(ss["entry.site_q"], ss["entry.street"] or None)
options = {int(r.site_id): f"{r.name}（{r.street}）" for r in found.itertuples()}

g1, g2 = st.columns([2, 3])
with g1:
    position = geolocate("entry.geo", "获取当前位置（附近工地）")
if position and "error" in position:
    st.warning(md(position["error"]))
elif position:
    ss[ui.DEVICE_POS] = position
device = ss.get(ui.DEVICE_POS)
if device:
    g2.caption(f"当前位置：{device['lat']:.5f}, {device['lon']:.5f}（精度约 {device['accuracy']:.0f} 米）")
    near = ui.load_nearest_sites(device["lat"], device["lon"])
    if len(near):
        near_opts = {int(r.site_id): f"{md(r.name)} · {r.distance_m:.0f} 米" for r in near.itertuples()}  # pills: Markdown
        picked = st.pills("附近工地", list(near_opts), format_func=near_opts.get, key="entry.near")
        if picked is not None and ss.get("entry.site") != picked:
            ss["entry._pending_site"] = picked  # set before the widgets on the next run
            st.rerun()
    else:
        st.caption("5 公里内没有已登记的工地，可在下方登记新工地。")

current = ss.get("entry.site")
if current is not None and current not in options:
    info = ui.load_site_info(current)
    if info:
        options = {current: f"{info['name']}（{info['street']}）", **options}
if current is not None and current not in options:
    ss["entry.site"] = None
st.selectbox("选择工地", list(options), key="entry.site", format_func=options.get,
             placeholder=f"从 {len(options)} 个结果中选择…" if options else "没有找到，请换个关键词或登记新工地", **kw)
err("site_id", errors)
site = ui.load_site_info(ss.get("entry.site"))
if site:
    st.caption(f":material/location_on: {md(site['street'])} · {md(site['address']) or '—'} · 坐标 {site['lat']:.5f}, {site['lon']:.5f}")

with st.expander("登记新工地", icon=":material/add_location_alt:", expanded=bool(ss.get("entry._site_errors"))):
    site_errors = ss.get("entry._site_errors", {})
    with st.form("entry.register_form", clear_on_submit=False, border=False):
        name = st.text_input("工地名称", key="entry.new_name")
        if "name" in site_errors:
            st.error(md(site_errors["name"]))
        street_id = st.selectbox("所属街道", list(street_names), format_func=street_names.get, index=None,
                                 key="entry.new_street", placeholder="请选择")
        if "street_id" in site_errors:
            st.error(md(site_errors["street_id"]))
        address = st.text_input("地址（可选）", key="entry.new_address")
        lat0, lon0 = (device["lat"], device["lon"]) if device else (None, None)
        a1, a2 = st.columns(2)
        new_lat = a1.number_input("纬度（WGS-84）", value=lat0, format="%.6f", step=0.0001, key="entry.new_lat")
        new_lon = a2.number_input("经度（WGS-84）", value=lon0, format="%.6f", step=0.0001, key="entry.new_lon")
        st.caption("已获取当前位置时自动填入；也可按工地公示牌或地图读数填写。")
        if "location" in site_errors:
            st.error(md(site_errors["location"]))
        registered = st.form_submit_button("登记并选用该工地", width="stretch")
    if registered:
        try:
            new_id = register_site(actor, {"name": name, "street_id": street_id, "lat": new_lat, "lon": new_lon,
                                           "address": address})
        except ValidationFailed as exc:
            ss["entry._site_errors"] = exc.errors
            st.rerun()
        except PermissionDenied as exc:
            st.error(md(exc))
        else:
            ss.pop("entry._site_errors", None)
            reads.clear()
            ss["entry._pending_site"] = new_id
            st.rerun()

# --------------------------------------------------------------------------- 2 inspection
st.subheader("② 督查信息")
k1, k2, k3 = st.columns([2, 1, 1])
k1.segmented_control("督查类型", domain.INSPECTION_KINDS, key="entry.kind", required=True, **kw)
k2.date_input("日期", key="entry.date", max_value=now.date(), format="YYYY-MM-DD", **kw)
k3.time_input("时间", key="entry.time", step=300, **kw)
err("kind", errors)
err("inspected_at", errors)
if actor.group_id is not None:
    st.caption(f"督查组：{md(group_name) or '—'}")
err("group_id", errors)
if roster is not None:
    member_names = {int(i): name for i, name in zip(roster.member_id, roster.name, strict=True)}
    st.multiselect("参加委员（默认为本组上次名单）", list(member_names), format_func=member_names.get,
                   key="entry.members", placeholder="请选择委员", **kw)
    err("member_ids", errors)

st.segmented_control("定位方式", domain.LOCATION_SOURCES, key="entry.loc_source", required=True, **kw)
source = ss.get("entry.loc_source")
if source == domain.LOC_DEVICE:
    if device:
        st.caption(f"使用设备定位：{device['lat']:.5f}, {device['lon']:.5f}")
    else:
        st.caption("请先点上方“获取当前位置”。")
elif source == domain.LOC_MAP:
    if ss.get("entry.lat") is None and site:
        ss["entry.lat"], ss["entry.lon"] = site["lat"], site["lon"]
    tiles, tiles_warning = map_tiles()
    if tiles_warning:
        st.caption(tiles_warning)
    here = (ss["entry.lat"], ss["entry.lon"]) if ss.get("entry.lat") is not None else None
    picked = st_folium(maps.build_pick_map(here, tiles, maps.Assets.served(asset_base_url())), key="entry.pickmap",
                       height=300, returned_objects=["last_clicked"], use_container_width=True)
    click = (picked or {}).get("last_clicked")
    point = maps.click_to_wgs(click, tiles)
    if point and point != ss.get("entry._last_click"):
        ss["entry._last_click"] = point
        ss["entry.lat"], ss["entry.lon"] = point
        save(actor)
        st.rerun()
    st.caption("在地图上点一下即可选点；也可直接修改下面的坐标（WGS-84）。")
    m1, m2 = st.columns(2)
    m1.number_input("纬度", key="entry.lat", format="%.6f", step=0.0001, **kw)
    m2.number_input("经度", key="entry.lon", format="%.6f", step=0.0001, **kw)
err("location", errors)

# --------------------------------------------------------------------------- 3 checklist and 4 findings
# Fragments: a tap on the checklist reruns the checklist and the finding blocks only, a change inside
# one finding block reruns that block only (not the site search, the map or the roster).
settings = get_settings()


def _severity_changed(slot: str) -> None:
    sev = ss.get(f"entry.f.{slot}.severity")
    if sev:
        ss[f"entry.f.{slot}.due"] = default_due_date(sev, ss.get("entry.date") or now.date())
    save(actor)


def _add_extra() -> None:
    extras = list(ss.get(ui.EXTRAS, []))
    n = max([int(s[1:]) for s in extras] + [0]) + 1
    ss[ui.EXTRAS] = [*extras, f"x{n}"]
    save(actor)


def _title(slot: str) -> str:
    if slot in domain.CHECKLIST_ITEMS:
        return f"{slot} {domain.CHECKLIST_ITEMS[slot]} — 不符合"
    return f"其他问题：{ss.get(f'entry.f.{slot}.category') or ''}"


@st.fragment
def finding_block(slot: str, found_on) -> None:
    errors = fragment_errors()
    ui.init_finding_slot(slot, found_on)
    with st.container(border=True):
        h1, h2 = st.columns([3, 1], vertical_alignment="center")
        if slot in domain.CHECKLIST_ITEMS:
            h1.markdown(f"**{_title(slot)}**")
        else:
            h1.selectbox("问题类别", domain.EXTRA_CATEGORIES, key=f"entry.f.{slot}.category", **kw)
        if h2.button("移除此问题", key=f"entry.f.{slot}.drop", icon=":material/close:", width="stretch"):
            if ui.kept_text(slot):
                _confirm_remove(slot, _title(slot))
            else:
                ui.remove_finding(actor, slot)
                st.rerun()  # the whole page: the checklist shows the item as not chosen again
        err(f"f.{slot}.category", errors)
        s1, s2 = st.columns([3, 2])
        s1.segmented_control("问题程度", domain.SEVERITIES, key=f"entry.f.{slot}.severity", required=True,
                             on_change=_severity_changed, args=(slot,))
        s2.date_input("整改期限", key=f"entry.f.{slot}.due", format="YYYY-MM-DD", **kw)
        days = settings.deadline_days.get(ss.get(f"entry.f.{slot}.severity") or "", 0)
        s1.caption(f"默认期限：{ss.get(f'entry.f.{slot}.severity')} {days} 天（可改）")
        err(f"f.{slot}.severity", errors)
        err(f"f.{slot}.due", errors)
        st.selectbox("责任单位", load_unit_names(), key=f"entry.f.{slot}.unit", **kw)
        err(f"f.{slot}.unit", errors)
        st.text_area("问题描述", key=f"entry.f.{slot}.desc", height=80, placeholder="如：砂石料堆放未覆盖防尘网",
                     **kw)
        err(f"f.{slot}.desc", errors)
        st.file_uploader("问题照片（拍照或从相册选择，可多张；JPEG/PNG/WebP，单张 ≤ 15 MB）",
                         type=["jpg", "jpeg", "png", "webp"], accept_multiple_files=True,
                         key=ui.uploader_key(slot), on_change=ui.stage_photos, args=(actor, slot),
                         max_upload_size=photos.MAX_BYTES // (1024 * 1024))
        if st.toggle("用相机直接拍照", key=f"entry.f.{slot}.use_camera", **kw):
            st.camera_input("拍照", key=ui.camera_key(slot), on_change=ui.stage_photos, args=(actor, slot))
        staged = ui.staged_photos(slot)
        if staged:
            st.caption(f"已保存照片 {len(staged)} 张（断网或刷新也不会丢失）")
            for col, item in zip(st.columns(4), staged, strict=False):
                with col:
                    st.image(item["thumb_path"], caption=md(item["name"]), width="stretch")
                    st.button("移除", key=f"entry.f.{slot}.rm_{item['sha']}.remove", on_click=ui.unstage_photo,
                              args=(actor, slot, item["sha"]), width="stretch")
            if len(staged) > 4:
                st.caption(f"另有 {len(staged) - 4} 张未显示")
        err(f"f.{slot}.photos", errors)
        st.checkbox("现场交办（当场交给责任单位，进入整改中）", key=f"entry.f.{slot}.handover", **kw)
    ui.keep_finding(slot)


@st.fragment
def checklist_and_findings() -> None:
    errors = fragment_errors()
    st.subheader("③ 检查清单（六个百分之百）")
    st.caption("每项点一下：符合 / 不符合 / 不适用（再点一下不会取消）。选“不符合”会打开该项的问题登记。")
    for item, label in domain.CHECKLIST_ITEMS.items():
        st.segmented_control(f"{item} {label}", domain.CHECKLIST_RESULTS, key=f"entry.check.{item}",
                             required=True, on_change=ui.checklist_changed, args=(actor, item))
        err(f"checklist.{item}", errors)
    err("checklist", errors)
    kept = ui.hidden_kept_items()
    if kept:
        st.caption(f"{'、'.join(kept)} 已不是“不符合”：已填写的问题内容仍保留（提交时不包含），改回“不符合”即可恢复；"
                   "不再需要请改回后点“移除此问题”。")

    st.subheader("④ 发现的问题")
    found_on = ss["entry.date"] if ss.get("entry.date") else now.date()
    slots = ui.finding_slots()
    if not slots:
        st.caption("暂无问题。检查清单中选“不符合”，或点下方按钮添加其他类别的问题。")
    for slot in slots:
        finding_block(slot, found_on)
    st.button("添加其他问题（监测监控、喷淋雾炮、夜间施工…）", icon=":material/add:", key="entry.add_extra",
              on_click=_add_extra, width="stretch")


checklist_and_findings()

st.text_area("备注（可选）", key="entry.notes", height=68, **kw)
err("notes", errors)
if confirmable:  # the service said these photos contradict the site: the user may confirm them
    st.checkbox("确认提交存疑照片（照片将被标记为位置/时间不符）", key="entry.confirm_flagged", **kw)

# --------------------------------------------------------------------------- submit
submitted = st.button("提交督查记录", type="primary", key="entry.submit", icon=":material/send:", width="stretch")

if submitted:
    if group_id is None:
        st.error("您的账号未分配督查组，不能录入。")
        st.stop()
    ss.pop(ui.STAGE_ERRORS, None)
    command, slots_sent = ui.build_command(group_id)
    ss["entry._slots"] = slots_sent
    try:
        with st.spinner("正在保存…"):
            result = record_inspection(actor, command)
    except ValidationFailed as exc:
        ss[ui.ERRORS] = exc.errors
        ss[ui.CONFIRM_FIELDS] = sorted(exc.needs_confirmation)
        st.rerun()
    except PermissionDenied as exc:
        st.error(md(exc))
    else:
        reads.clear()
        ui.reset_entry(actor)
        n = len(result.finding_ids)
        text = (f"已保存督查记录 #{result.inspection_id}" + (f"，登记问题 {n} 个" if n else "，未发现问题")
                + ("（此前已提交过，未重复保存）" if result.duplicate else "") + "。")
        ss[ui.NOTICE] = {"text": text, "inspection_id": result.inspection_id, "finding_ids": result.finding_ids}
        st.rerun()
