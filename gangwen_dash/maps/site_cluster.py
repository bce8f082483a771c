"""Construction sites as 红/黄/绿牌 markers in a marker cluster (compact columns, one shared icon per
colour, popups and tooltips built in the browser on first use, so 50k sites stay light)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from folium.plugins import FastMarkerCluster
from folium.plugins.marker_cluster import MarkerCluster
from folium.template import Template

from gangwen_dash.maps.assets import CLUSTER_CSS, CLUSTER_JS, Assets
from gangwen_dash.maps.escape import esc, js_json, js_json_columns
from gangwen_dash.maps.layers import CARD_COLOURS, KINDS, RawScriptLayer
from gangwen_dash.queries.sites import CARD_LABELS, CARD_MEANINGS, CARDS


class SiteCluster(RawScriptLayer, FastMarkerCluster):
    """Sites as 红/黄/绿 markers in a marker cluster; a cluster shows its worst colour.

    The data is columnar (one JSON array per field, in ``SITE_FIELDS`` order; columns serialise faster
    and smaller than rows): lat/lon in integer micro-degrees (±0.1 m), card an index into ``CARDS``,
    street and status indexes into small lookup lists, last_kind an index into ``KINDS`` or -1; text is
    already HTML-escaped. Popups and tooltips are created on first use, so 50k sites stay light.
    """

    SITE_FIELDS = ("lat", "lon", "card", "id", "name", "street", "last_day", "last_kind", "open", "overdue",
                   "severe", "status")

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                var streets = {{ this.streets_json }};
                var statuses = {{ this.statuses_json }};
                var cards = {{ this.cards_json }};
                var kinds = {{ this.kinds_json }};
                var data = {{ this.data_json }};
                var LAT = data[0], LON = data[1], CARD = data[2], NAME = data[4], STREET = data[5],
                    DAY = data[6], KIND = data[7], OPEN = data[8], OVERDUE = data[9], SEVERE = data[10],
                    STATUS = data[11];
                var icons = cards.map(function (c) {
                    return L.divIcon({className: 'gw-site gw-site-' + c.key, iconSize: [14, 14], html: ''});
                });
                function popupHtml(i) {
                    var c = cards[CARD[i]];
                    var last = DAY[i] ? (DAY[i] + (KIND[i] >= 0 ? '（' + kinds[KIND[i]] + '）' : '')) : '暂无';
                    return '<div class="gw-pop"><b>' + NAME[i] + '</b><br>'
                        + '<span class="tag" style="background:' + c.colour + '">' + c.label + '</span> ' + c.meaning
                        + '<br>街道：' + streets[STREET[i]] + '<br>最近督查：' + last
                        + '<br>未销号问题：' + OPEN[i] + ' 个（逾期 ' + OVERDUE[i] + '，严重 ' + SEVERE[i] + '）'
                        + '<br>工地状态：' + statuses[STATUS[i]] + '</div>';
                }
                var cluster = L.markerClusterGroup({{ this.options|tojavascript }});
                cluster.options.iconCreateFunction = function (cl) {
                    var worst = 2, ms = cl.getAllChildMarkers();
                    for (var k = 0; k < ms.length && worst > 0; k++) {
                        if (ms[k].options.card < worst) { worst = ms[k].options.card; }
                    }
                    var n = cl.getChildCount();
                    return L.divIcon({html: '<div><span>' + n + '</span></div>',
                        className: 'marker-cluster gw-cluster gw-cluster-' + cards[worst].key,
                        iconSize: L.point(40, 40)});
                };
                var markers = new Array(LAT.length);
                for (var i = 0; i < LAT.length; i++) {
                    markers[i] = L.marker([LAT[i] / 1e6, LON[i] / 1e6],
                                          {icon: icons[CARD[i]], card: CARD[i], site: i, riseOnHover: true});
                }
                cluster.addLayers(markers);
                cluster.on('mouseover', function (e) {
                    var m = e.layer;
                    if (m && m.options && m.options.site !== undefined && !m.getTooltip()) {
                        var i = m.options.site;
                        m.bindTooltip(NAME[i] + '（' + cards[CARD[i]].label + '）').openTooltip();
                    }
                });
                cluster.on('click', function (e) {
                    var m = e.layer;
                    if (m && m.options && m.options.site !== undefined && !m.getPopup()) {
                        m.bindPopup(popupHtml(m.options.site), {maxWidth: 320}).openPopup();
                    }
                });
                return cluster;
            })();
        {% endmacro %}""")

    def __init__(self, sites: pd.DataFrame, assets: Assets, name: str = "工地（红黄绿牌）", show: bool = True) -> None:
        MarkerCluster.__init__(self, name=name, overlay=True, control=True, show=show,
                               options={"chunkedLoading": True, "showCoverageOnHover": False, "maxClusterRadius": 50})
        self._name = "FastMarkerCluster"
        self.callback = ""
        self.data = []  # FastMarkerCluster's attribute; the sites live in data_json
        self.default_js = assets.links(CLUSTER_JS)
        self.default_css = assets.links(CLUSTER_CSS)
        streets = list(dict.fromkeys(sites["street"].tolist()))
        statuses = list(dict.fromkeys(sites["status"].tolist()))
        street_idx = {x: i for i, x in enumerate(streets)}
        status_idx = {x: i for i, x in enumerate(statuses)}
        card_idx = {c: i for i, c in enumerate(CARDS)}
        kind_idx = {k: i for i, k in enumerate(KINDS)}
        last = sites["last_inspected_at"]
        last_day = last.dt.strftime("%Y-%m-%d").fillna("").tolist() if len(sites) else []
        columns = [
            np.rint(sites["lat"].to_numpy(dtype=float) * 1e6).astype(np.int64).tolist(),
            np.rint(sites["lon"].to_numpy(dtype=float) * 1e6).astype(np.int64).tolist(),
            [card_idx[c] for c in sites["card"].tolist()],
            sites["id"].astype(np.int64).tolist(),
            [esc(n) for n in sites["name"].tolist()],
            [street_idx[x] for x in sites["street"].tolist()],
            last_day,
            [kind_idx.get(k, -1) for k in sites["last_kind"].tolist()],
            sites["open_count"].astype(np.int64).tolist(),
            sites["overdue_count"].astype(np.int64).tolist(),
            sites["severe_open_count"].astype(np.int64).tolist(),
            [status_idx[x] for x in sites["status"].tolist()],
        ]
        self.data_json = js_json_columns(columns)
        self.streets_json = js_json([esc(x) for x in streets])
        self.statuses_json = js_json([esc(x) for x in statuses])
        self.cards_json = js_json([{"key": c, "label": CARD_LABELS[c], "meaning": CARD_MEANINGS[c],
                                    "colour": CARD_COLOURS[c]} for c in CARDS])
        self.kinds_json = js_json(list(KINDS))
        self.count = len(sites)

