"""督查地图: sites by card colour, rooms and projects, the period's problem heatmap; a site's timeline."""

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gangwen_dash import maps
from gangwen_dash.queries.sites import CARD_LABELS, CARD_MEANINGS, CARDS
from gangwen_dash.ui.filters import filter_bar
from gangwen_dash.ui.maps import load_map, load_map_data, load_site_timeline, map_tiles
from gangwen_dash.ui.session import require_actor
from gangwen_dash.ui.tables import data_table
from gangwen_dash.ui.usertext import md

require_actor(__file__)
st.title("督查地图")
fs = filter_bar()
tiles, tiles_problem = map_tiles()
if tiles_problem:
    st.warning(tiles_problem)
missing = maps.missing_assets()
if missing:
    st.error("地图脚本未安装（static/vendor 缺少 " + "、".join(missing) + "）。请在服务器上运行 `make assets` 后刷新。")
    st.stop()

title = fs.named.label
data = load_map_data(fs.period, fs.filters, title)
site_frame = data.sites
st.caption(f"{fs.caption()} · 牌色截至 {fs.period.end:%Y-%m-%d} · 底图：{tiles.label}")

counts = site_frame["card"].value_counts().to_dict()
for col, card in zip(st.columns(3), CARDS, strict=True):
    col.metric(CARD_LABELS[card], f"{counts.get(card, 0)} 个", help=CARD_MEANINGS[card], border=True)


@st.fragment
def map_and_timeline() -> None:
    """The map, the site box and the timeline: a marker click or a site choice reruns only this part
    (not the filters, the cards or the navigation), and the map's HTML is not sent again."""
    map_col, side_col = st.columns([4, 1])
    with map_col:
        if site_frame.empty:
            st.info("当前筛选条件下没有工地。")
        fmap = load_map(fs.period, fs.filters, title, tiles)
        result = st_folium(fmap, key="map.folium", height=560, use_container_width=True,
                           returned_objects=["last_object_clicked"])

    # A click on a site marker selects it in the box beside the map (only a new click overrides the box).
    clicked = (result or {}).get("last_object_clicked")
    if clicked:
        click_key = (round(clicked.get("lat", 0), 7), round(clicked.get("lng", 0), 7))
        if click_key != st.session_state.get("map.last_click"):
            st.session_state["map.last_click"] = click_key
            site_id = maps.nearest_site(site_frame, clicked.get("lat"), clicked.get("lng"), gcj02=tiles.gcj02)
            if site_id is not None:
                st.session_state["map.site"] = site_id

    names = dict(zip(site_frame["id"], site_frame["name"], strict=True))
    if st.session_state.get("map.site") not in names:
        st.session_state["map.site"] = None

    with side_col:
        selected = st.selectbox("选择工地", [None, *names], key="map.site", placeholder="点击地图上的工地或在此选择",
                                format_func=lambda i: "（未选择）" if i is None else names[i])
        if selected is not None:
            row = site_frame[site_frame["id"] == selected].iloc[0]
            last = "暂无" if pd.isna(row["last_inspected_at"]) else f"{row['last_inspected_at']:%Y-%m-%d}（{row['last_kind']}）"
            st.markdown(f"**{CARD_LABELS[row['card']]}** · {CARD_MEANINGS[row['card']]}")
            st.markdown(f"街道：{md(row['street'])}  \n最近督查：{md(last)}  \n"
                        f"未销号问题：{row['open_count']} 个（逾期 {row['overdue_count']}，严重 {row['severe_open_count']}）  \n"
                        f"工地状态：{md(row['status'])}")
        else:
            st.caption("点击地图上的工地标记，或在上方选择，查看该工地的督查与整改时间线。")

    if selected is not None:
        st.subheader(f"{md(names[selected])} · 时间线")
        tl = load_site_timeline(int(selected))
        if tl.empty:
            st.info("该工地还没有督查记录。")
        else:
            shown = tl[["at", "kind", "title", "detail"]].rename(
                columns={"at": "时间", "kind": "类型", "title": "事项", "detail": "说明"})
            data_table(shown, hide_index=True, width="stretch",
                         column_config={"时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})


map_and_timeline()
