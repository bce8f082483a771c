"""District map (督查地图): pure folium builders, no Streamlit.

Layers: construction sites as 红/黄/绿牌 markers in a FastMarkerCluster (compact rows, one shared icon
per colour, popups built in the browser on first click), consultation rooms with their livelihood
projects, a heatmap of the period's problems, the district outline and street labels; a layer control
and a legend. Every piece of user text is HTML-escaped in Python before it reaches the page, and the
JSON embedded in the page escapes ``<``, ``>`` and ``&``, so a ``<script>`` in a site name stays text.

Tiles (``resolve_tiles``): OpenStreetMap (default), 天地图 (WGS-84, key ``tk``), 高德 (GCJ-02: every point
is shifted WGS→GCJ at render time; the page converts a clicked point back with ``geo.gcj_to_wgs``),
``custom`` (any XYZ URL, e.g. an intranet 天地图 node) and ``none`` (outline and points only).

Intranet-proof: Leaflet, Leaflet.markercluster and Leaflet.heat come from npm (``make assets`` copies
them into ``static/vendor/``). ``Assets.served(base)`` points every element's ``default_js``/``default_css``
at the app's own static URLs; ``Assets.inline()`` embeds the same files in the page (``map-html``).
``check_no_cdn`` refuses to render a map that would still load anything from a CDN.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import xyzservices
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.elements import ElementAddToElement, JSCSSMixin
from folium.map import Layer
from folium.plugins import FastMarkerCluster
from folium.plugins.marker_cluster import MarkerCluster
from folium.template import Template

from gangwen_dash.config import DISTRICT_BBOX, DISTRICT_CENTER, DISTRICT_NAME, PROJECT_ROOT
from gangwen_dash.domain import geo
from gangwen_dash.queries.sites import CARD_LABELS, CARD_MEANINGS, CARDS

# --------------------------------------------------------------------------- tiles

PROVIDERS = {"osm": "OpenStreetMap", "tianditu": "天地图", "gaode": "高德地图", "custom": "自定义瓦片", "none": "无底图"}
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTR = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
TDT_URL = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
           "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}")
TDT_ATTR = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a> 审图号：GS(2024)0568号'
GAODE_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
GAODE_ATTR = '&copy; <a href="http://www.gaode.com/">Gaode.com</a>'


class TileConfigError(ValueError):
    """The tile configuration cannot be used; the message is Chinese."""


@dataclass(frozen=True)
class TileSpec:
    url: str
    attribution: str
    subdomains: str = "abc"
    name: str = ""
    overlay: bool = False  # True for a label layer drawn over the base layer


@dataclass(frozen=True)
class Tiles:
    provider: str
    layers: tuple[TileSpec, ...] = ()
    max_zoom: int = 18
    gcj02: bool = False

    @property
    def label(self) -> str:
        return PROVIDERS.get(self.provider, self.provider)

    @property
    def hosts(self) -> set[str]:
        """Host names the browser will fetch tiles from (subdomains expanded)."""
        out = set()
        for spec in self.layers:
            host = re.sub(r"^[a-z]+://", "", spec.url).split("/", 1)[0]
            if "{s}" in host:
                out.update(host.replace("{s}", s) for s in spec.subdomains)
            else:
                out.add(host)
        return out


def resolve_tiles(config: dict | None = None, provider: str | None = None) -> Tiles:
    """Tiles from the ``[tiles]`` settings (see README), ``provider`` overriding the configured one.

    Precedence of the provider: the argument, then ``GANGWEN_TILES``, then ``[tiles] provider``, then osm.
    Keys: ``tk`` (天地图), ``url``/``attribution``/``subdomains``/``coords`` (``custom``; ``coords`` is
    ``wgs84`` or ``gcj02``), ``label_url`` (custom label layer), ``max_zoom``.
    """
    cfg = dict(config or {})
    name = (provider or os.environ.get("GANGWEN_TILES") or cfg.get("provider") or "osm").strip().lower()
    max_zoom = int(cfg.get("max_zoom", 18))
    if name == "osm":
        return Tiles("osm", (TileSpec(cfg.get("url") or OSM_URL, OSM_ATTR, "abc", "OpenStreetMap"),),
                     min(max_zoom, 19))
    if name == "tianditu":
        tk = str(cfg.get("tk") or os.environ.get("GANGWEN_TIANDITU_TK") or "").strip()
        if not tk:
            raise TileConfigError("天地图需要密钥：请在 .streamlit/secrets.toml 的 [tiles] 中设置 tk（或环境变量 GANGWEN_TIANDITU_TK）")
        vec = TDT_URL.replace("{layer}", "vec").replace("{tk}", tk)
        cva = TDT_URL.replace("{layer}", "cva").replace("{tk}", tk)
        return Tiles("tianditu", (TileSpec(vec, TDT_ATTR, "01234567", "天地图"),
                                  TileSpec(cva, TDT_ATTR, "01234567", "天地图注记", overlay=True)), max_zoom)
    if name == "gaode":
        return Tiles("gaode", (TileSpec(GAODE_URL, GAODE_ATTR, "1234", "高德地图"),), max_zoom, gcj02=True)
    if name == "custom":
        url = str(cfg.get("url") or "").strip()
        attribution = str(cfg.get("attribution") or "").strip()
        if not url or not attribution:
            raise TileConfigError("自定义瓦片需要在 [tiles] 中同时设置 url 和 attribution（地图服务商署名）")
        layers = [TileSpec(url, attribution, str(cfg.get("subdomains", "abc")), str(cfg.get("name", "底图")))]
        if cfg.get("label_url"):
            layers.append(TileSpec(str(cfg["label_url"]), attribution, str(cfg.get("subdomains", "abc")), "注记",
                                   overlay=True))
        coords = str(cfg.get("coords", "wgs84")).lower()
        if coords not in ("wgs84", "gcj02"):
            raise TileConfigError(f"[tiles] coords 只能是 wgs84 或 gcj02，而不是“{coords}”")
        return Tiles("custom", tuple(layers), max_zoom, gcj02=coords == "gcj02")
    if name == "none":
        return Tiles("none", (), max_zoom)
    raise TileConfigError(f"未知的底图“{name}”，可选：osm、tianditu、gaode、custom、none")


# --------------------------------------------------------------------------- local assets

VENDOR_DIR = PROJECT_ROOT / "static" / "vendor"
# (folium resource name, path under static/vendor/) per element kind.
LEAFLET_JS = [("leaflet", "leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", "leaflet/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", "leaflet.markercluster/leaflet.markercluster.js")]
CLUSTER_CSS = [("markerclustercss", "leaflet.markercluster/MarkerCluster.css"),
               ("markerclusterdefaultcss", "leaflet.markercluster/MarkerCluster.Default.css")]
HEAT_JS = [("leaflet-heat.js", "leaflet.heat/leaflet-heat.js")]
ALL_JS = LEAFLET_JS + CLUSTER_JS + HEAT_JS
ALL_CSS = LEAFLET_CSS + CLUSTER_CSS


class AssetsMissing(RuntimeError):
    """The map JavaScript is not installed (``make assets``)."""


def missing_assets(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    return [rel for _, rel in ALL_JS + ALL_CSS if not (vendor_dir / rel).is_file()]


@dataclass(frozen=True)
class Assets:
    """Where the browser gets Leaflet and the plugins: app static URLs, or inlined in the page."""

    mode: str  # "served" or "inline"
    base_url: str = "/app/static/vendor"
    vendor_dir: Path = field(default=VENDOR_DIR)

    @classmethod
    def served(cls, base_url: str = "/app/static/vendor") -> Assets:
        return cls("served", base_url.rstrip("/"))

    @classmethod
    def inline(cls, vendor_dir: Path = VENDOR_DIR) -> Assets:
        return cls("inline", vendor_dir=vendor_dir)

    def links(self, entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if self.mode == "inline":
            return []
        return [(name, f"{self.base_url}/{rel}") for name, rel in entries]

    def check(self) -> None:
        if self.mode == "inline":
            missing = missing_assets(self.vendor_dir)
            if missing:
                raise AssetsMissing("地图脚本未安装（缺少 " + "、".join(missing) + "），请先运行 make assets")


class RawHtml(Element):
    """A header element rendered verbatim (no Jinja: library code may contain ``{{``)."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__()
        self._name = name
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        target = path.parent / match.group(1)
        if not target.is_file():
            return match.group(0)
        mime = "image/png" if target.suffix == ".png" else "image/svg+xml"
        return f"url(data:{mime};base64,{base64.b64encode(target.read_bytes()).decode()})"

    return re.sub(r"url\((images/[^)\"']+)\)", data_uri, css)


def _inline_js(path: Path) -> str:
    js = path.read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    # A literal "</script" would end the inline block early.
    return js.replace("</script", "<\\/script")


def inline_into(figure: Figure, vendor_dir: Path) -> None:
    for name, rel in ALL_CSS:
        figure.header.add_child(RawHtml(f"<style>\n{_inline_css(vendor_dir / rel)}\n</style>", name), name=name)
    for name, rel in ALL_JS:
        figure.header.add_child(RawHtml(f"<script>\n{_inline_js(vendor_dir / rel)}\n</script>", name), name=name)


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def check_no_cdn(m: folium.Map) -> None:
    """Refuse a map whose elements would load JavaScript or CSS from another host."""
    for element in _walk(m):
        for _, url in list(getattr(element, "default_js", [])) + list(getattr(element, "default_css", [])):
            if re.match(r"^(https?:)?//", url):
                raise RuntimeError(f"{type(element).__name__} would load {url} from outside the app")


# --------------------------------------------------------------------------- JSON for inline scripts


_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def js_json(value) -> str:
    """JSON safe inside a <script> block: no raw < > & and no JS line separators; UTF-8 kept (compact).

    Jinja openers are broken up too: folium/branca re-compile each element's rendered script as a Jinja
    template, so a site named ``{{ … }}`` would otherwise be evaluated on the server (template injection).
    """
    return _script_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


def js_json_columns(columns: list[list]) -> str:
    """``js_json`` of a list of columns, encoded column by column (2-3x faster than one nested dump)."""
    return _script_safe("[" + ",".join(json.dumps(c, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
                                       for c in columns) + "]")


def _script_safe(text: str) -> str:
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    # A "{" followed by "{", "%" or "#" cannot be JSON structure (an object starts with a key string),
    # so it is inside a string: write it as \u007b and no Jinja delimiter can form.
    return _JINJA_OPEN.sub(r"\\u007b", text)


def esc(value) -> str:
    """HTML-escape user text for popups and tooltips (quotes too: it may land in attributes)."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------- elements

CARD_COLOURS = {"red": "#C62828", "yellow": "#F9A825", "green": "#2E7D32"}
ROOM_COLOURS = {"in_progress": "#6A1B9A", "solved": "#1565C0"}
KINDS = ("日常督查", "抽查暗访")

MAP_CSS = """
.leaflet-container { background: #F4F1EC; font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
.gw-site { border-radius: 50%; border: 2px solid #fff; box-shadow: 0 0 2px rgba(0,0,0,.6); }
.gw-site-red { background: #C62828; } .gw-site-yellow { background: #F9A825; } .gw-site-green { background: #2E7D32; }
.gw-cluster div { color: #fff; font-weight: bold; }
.gw-cluster-red { background: rgba(198,40,40,.35); } .gw-cluster-red div { background: rgba(198,40,40,.9); }
.gw-cluster-yellow { background: rgba(249,168,37,.35); } .gw-cluster-yellow div { background: rgba(230,150,20,.95); }
.gw-cluster-green { background: rgba(46,125,50,.35); } .gw-cluster-green div { background: rgba(46,125,50,.9); }
.gw-room { border: 1px solid #fff; box-shadow: 0 0 2px rgba(0,0,0,.6); border-radius: 2px; }
.gw-room-in_progress { background: #6A1B9A; } .gw-room-solved { background: #1565C0; }
.gw-label { color: #5D4037; font-size: 12px; font-weight: bold; white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
.gw-legend { background: rgba(255,255,255,.92); padding: 6px 10px; border-radius: 4px; line-height: 1.6;
             box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 12px; }
.gw-legend i { display: inline-block; width: 12px; height: 12px; border-radius: 50%; margin-right: 6px;
               vertical-align: -1px; border: 1px solid #fff; }
.gw-legend i.sq { border-radius: 2px; width: 10px; height: 10px; }
.leaflet-control-layers { font-size: 12px; line-height: 1.4; }
.gw-pop { font-size: 13px; line-height: 1.5; min-width: 180px; }
.gw-pop b { font-size: 14px; } .gw-pop .tag { color: #fff; padding: 0 4px; border-radius: 3px; }
.gw-pop ul { margin: 4px 0 0 0; padding-left: 16px; }
"""


class MapStyle(JSCSSMixin):
    """Our own CSS (inline ``<style>`` in the header; streamlit-folium keeps inline styles)."""

    _template = Template("""{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}""")

    def __init__(self, css: str = MAP_CSS) -> None:
        super().__init__()
        self._name = "MapStyle"
        self.css = css
        self.default_js = []
        self.default_css = []


class MetricScale(MacroElement):
    """The scale bar in metres and kilometres only (Leaflet's default adds feet and miles: "mi")."""

    _template = Template("""{% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
    {% endmacro %}""")

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class RawScriptLayer:
    """Mixin for our data layers: render the script macro once and add it verbatim.

    Stock folium wraps every rendered script in ``Element(text)``, i.e. compiles it again as a Jinja
    template: for 10k sites that costs ~200 ms, and it would evaluate any ``{{`` in the data.
    """

    def render(self, **kwargs):
        figure = self.get_root()
        for name, url in getattr(self, "default_js", []):
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in getattr(self, "default_css", []):
            figure.header.add_child(CssLink(url), name=name)
        if self.show:
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        script = self._template.module.__dict__["script"]
        figure.script.add_child(RawHtml(str(script(self, kwargs)), self.get_name()), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


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


class JsLayer(RawScriptLayer, Layer):
    """A layer built by our own JavaScript ``body`` (which must ``return`` a Leaflet layer)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){ {{ this.body }} })();
        {% endmacro %}""")

    def __init__(self, body: str, name: str, overlay: bool = True, control: bool = True, show: bool = True) -> None:
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "JsLayer"
        self.body = body


class HeatLayer(RawScriptLayer, JSCSSMixin, Layer):
    """Leaflet.heat layer from compact rows ``[lat, lon, weight]`` (folium's HeatMap validates every point
    in Python one by one: ~80 ms per 10k points)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.heatLayer({{ this.data_json }}, {{ this.options|tojavascript }});
        {% endmacro %}""")

    def __init__(self, rows: list, assets: Assets, name: str, **options) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "HeatMap"
        self.data_json = js_json(rows)
        self.options = options
        self.default_js = assets.links(HEAT_JS)
        self.default_css = []


class Legend(JSCSSMixin):
    _template = Template("""
        {% macro script(this, kwargs) %}
            (function(){
                var legend = L.control({position: 'bottomleft'});
                legend.onAdd = function () {
                    var div = L.DomUtil.create('div', 'gw-legend');
                    div.innerHTML = {{ this.html_json }};
                    return div;
                };
                legend.addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}""")

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html_json = js_json(html_text)
        self.default_js = []
        self.default_css = []


def legend_html(sites: pd.DataFrame, tiles: Tiles, title: str) -> str:
    counts = sites["card"].value_counts().to_dict() if len(sites) else {}
    parts = [f"<b>{esc(title)}</b>"]
    for card in CARDS:
        parts.append(f'<i style="background:{CARD_COLOURS[card]}"></i>{CARD_LABELS[card]}'
                     f" {counts.get(card, 0)} 个 · {CARD_MEANINGS[card]}")
    parts.append(f'<i class="sq" style="background:{ROOM_COLOURS["in_progress"]}"></i>协商议事室（有推进中项目）')
    parts.append(f'<i class="sq" style="background:{ROOM_COLOURS["solved"]}"></i>协商议事室（项目均已解决）')
    parts.append("热力：本期发现问题（按严重程度加权）")
    if tiles.gcj02:
        parts.append("坐标已按 GCJ-02 偏移显示")
    return "<br>".join(parts)


# --------------------------------------------------------------------------- geography

# An approximate outline of 港闻区 (≈ 港闸区) inside its bounding box, WGS-84 (lat, lon); the south-west
# corner follows the Yangtze bank. Drawn in every mode so the no-tiles map still shows where things are.
DISTRICT_OUTLINE = [
    (32.140, 120.760), (32.138, 120.840), (32.128, 120.905), (32.095, 120.920), (32.060, 120.915),
    (32.030, 120.900), (31.995, 120.860), (31.990, 120.800), (32.000, 120.760), (32.020, 120.735),
    (32.060, 120.730), (32.100, 120.735),
]


def _shift(lat, lon, gcj02: bool):
    if not gcj02:
        return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    return geo.wgs_to_gcj_arrays(lat, lon)


def _shifted_frame(frame: pd.DataFrame, gcj02: bool) -> pd.DataFrame:
    if not gcj02 or frame.empty:
        return frame
    out = frame.copy()
    out["lat"], out["lon"] = _shift(frame["lat"], frame["lon"], True)
    return out


def outline_layer(gcj02: bool) -> JsLayer:
    lat, lon = _shift([p[0] for p in DISTRICT_OUTLINE], [p[1] for p in DISTRICT_OUTLINE], gcj02)
    pts = [[round(a, 5), round(b, 5)] for a, b in zip(lat.tolist(), lon.tolist(), strict=True)]
    body = (f"return L.polygon({js_json(pts)}, {{color: '#8D6E63', weight: 2, dashArray: '6 4', fill: true, "
            f"fillColor: '#FFFFFF', fillOpacity: 0.25, interactive: false}});")
    return JsLayer(body, name=f"{DISTRICT_NAME}区界（示意）")


def _street_labels_layer(streets: pd.DataFrame, gcj02: bool) -> JsLayer:
    s = _shifted_frame(streets, gcj02)
    rows = [[round(a, 5), round(b, 5), esc(n)] for a, b, n in zip(s["lat"], s["lon"], s["name"], strict=True)]
    body = (f"var rows = {js_json(rows)}; var g = L.layerGroup();"
            "rows.forEach(function (r) { L.marker([r[0], r[1]], {interactive: false, keyboard: false, icon: "
            "L.divIcon({className: 'gw-label', html: r[2], iconSize: null, iconAnchor: [24, 8]})}).addTo(g); });"
            "return g;")
    return JsLayer(body, name="街道名称")


def _rooms_layer(rooms: pd.DataFrame, projects: pd.DataFrame, gcj02: bool, max_titles: int = 6) -> JsLayer:
    r = _shifted_frame(rooms, gcj02)
    titles: dict[int, list] = {}
    for room_id, title, solved in zip(projects["room_id"], projects["title"], projects["solved"], strict=True):
        titles.setdefault(int(room_id), []).append(("✔ " if solved else "… ") + esc(title))
    rows = []
    for rid, name, street, kind, lat, lon, pilot, solved, doing in zip(
        r["id"], r["name"], r["street"], r["kind"], r["lat"], r["lon"], r["is_pilot"], r["projects_solved"],
        r["projects_in_progress"], strict=True,
    ):
        t = titles.get(int(rid), [])
        shown = t[:max_titles] + ([f"等 {len(t)} 项"] if len(t) > max_titles else [])
        rows.append([round(float(lat), 6), round(float(lon), 6), esc(name), esc(street), esc(kind), bool(pilot),
                     int(solved), int(doing), shown])
    body = f"""
        var rows = {js_json(rows)};
        var icons = {{doing: L.divIcon({{className: 'gw-room gw-room-in_progress', iconSize: [9, 9]}}),
                     done: L.divIcon({{className: 'gw-room gw-room-solved', iconSize: [9, 9]}})}};
        var g = L.featureGroup();
        rows.forEach(function (r) {{
            var m = L.marker([r[0], r[1]], {{icon: r[7] > 0 ? icons.doing : icons.done, row: r, zIndexOffset: -1000}});
            m.bindTooltip(r[2]);
            m.addTo(g);
        }});
        g.on('click', function (e) {{
            var m = e.layer, r = m.options.row;
            if (!r || m.getPopup()) {{ return; }}
            var list = r[8].length ? '<ul><li>' + r[8].join('</li><li>') + '</li></ul>' : '';
            m.bindPopup('<div class="gw-pop"><b>' + r[2] + '</b>' + (r[5] ? '（试点）' : '') + '<br>街道：' + r[3]
                + ' · ' + r[4] + '<br>民生项目：已解决 ' + r[6] + ' 个，推进中 ' + r[7] + ' 个' + list + '</div>',
                {{maxWidth: 340}}).openPopup();
        }});
        return g;"""
    return JsLayer(body, name="协商议事室·民生项目")


# --------------------------------------------------------------------------- the map


@dataclass
class MapData:
    """What the district map shows (WGS-84 coordinates)."""

    sites: pd.DataFrame  # queries.sites.site_cards
    rooms: pd.DataFrame  # queries.sites.rooms_with_projects [0]
    projects: pd.DataFrame  # queries.sites.rooms_with_projects [1]
    heat: pd.DataFrame  # queries.sites.finding_heat
    streets: pd.DataFrame  # queries.reference.streets
    title: str = ""


def collect_map_data(session, period, filters, title: str = "") -> MapData:
    """Everything the map shows for a period and filters: cards as of the period's end, the rooms and
    projects as of then, the period's problem heat; with a street filter only that street's rooms."""
    from gangwen_dash.queries import reference, sites

    site_frame = sites.site_cards(session, period.end, filters)
    rooms, projects = sites.rooms_with_projects(session, period.end)
    heat = sites.finding_heat(session, period, filters)
    streets = reference.streets(session)
    if filters.street_id is not None:
        streets = streets[streets["id"] == filters.street_id].reset_index(drop=True)
        rooms = rooms[rooms["street"].isin(streets["name"])].reset_index(drop=True)
        projects = projects[projects["room_id"].isin(rooms["id"])].reset_index(drop=True)
    return MapData(site_frame, rooms, projects, heat, streets, title)


def build_map(data: MapData, tiles: Tiles, assets: Assets, *, height: int | str = "100%") -> folium.Map:
    """The district map as a folium Map (pure: no I/O except reading asset files when inlining)."""
    assets.check()
    gcj = tiles.gcj02
    clat, clon = geo.wgs_to_gcj(*DISTRICT_CENTER) if gcj else DISTRICT_CENTER
    b = DISTRICT_BBOX
    m = folium.Map(location=[clat, clon], zoom_start=12, tiles=None, control_scale=False, height=height,
                   max_zoom=tiles.max_zoom, min_zoom=9, zoom_snap=0.5,
                   max_bounds=False, attribution_control=True)
    # Leaflet itself and our CSS; nothing else from folium's stock CDN list.
    m.default_js = assets.links(LEAFLET_JS)
    m.default_css = assets.links(LEAFLET_CSS)
    # folium only sets maxZoom through a tile layer: marker clustering needs it on the map (no-tiles mode).
    m.options["maxZoom"] = tiles.max_zoom
    MapStyle().add_to(m)
    MetricScale().add_to(m)

    for spec in tiles.layers:
        # A TileProvider object, not a URL string: folium would search xyzservices' catalogue (~10 ms).
        provider = xyzservices.TileProvider(name=spec.name or "tiles", url=spec.url, attribution=spec.attribution,
                                            html_attribution=spec.attribution)
        folium.TileLayer(tiles=provider, attr=spec.attribution, name=spec.name, subdomains=spec.subdomains,
                         max_zoom=tiles.max_zoom, overlay=spec.overlay, control=False).add_to(m)

    outline_layer(gcj).add_to(m)
    if tiles.provider == "none" and len(data.streets):
        _street_labels_layer(data.streets, gcj).add_to(m)

    sites = _shifted_frame(data.sites, gcj)
    SiteCluster(sites, assets).add_to(m)

    if len(data.rooms):
        _rooms_layer(data.rooms, data.projects, gcj).add_to(m)

    heat = _shifted_frame(data.heat, gcj)
    heat_rows = [list(r) for r in zip(np.round(heat["lat"].to_numpy(dtype=float), 6).tolist(),
                                      np.round(heat["lon"].to_numpy(dtype=float), 6).tolist(),
                                      heat["weight"].to_numpy(dtype=float).tolist(), strict=True)]
    max_w = max((r[2] for r in heat_rows), default=1.0)
    HeatLayer(heat_rows, assets, "问题热力（本期）", radius=28, blur=20, minOpacity=0.35, maxZoom=14,
              max=max_w).add_to(m)

    Legend(legend_html(data.sites, tiles, data.title or f"{DISTRICT_NAME}工地牌色")).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    m.fit_bounds([[b["lat_min"], b["lon_min"]], [b["lat_max"], b["lon_max"]]] if not gcj else
                 [list(geo.wgs_to_gcj(b["lat_min"], b["lon_min"])), list(geo.wgs_to_gcj(b["lat_max"], b["lon_max"]))])
    check_no_cdn(m)
    if assets.mode == "inline":
        inline_into(m.get_root(), assets.vendor_dir)
    return m


def render_html(m: folium.Map) -> str:
    """The whole page (``<!DOCTYPE html>…``) of a built map."""
    check_no_cdn(m)
    return m.get_root().render()


def standalone_html(data: MapData, tiles: Tiles, title: str | None = None) -> str:
    """One self-contained HTML file (assets inlined): opens without internet; only tiles are fetched."""
    m = build_map(data, tiles, Assets.inline())
    root = m.get_root()
    root.title = esc(title or data.title or f"{DISTRICT_NAME}督查地图")
    return render_html(m)


def nearest_site(sites: pd.DataFrame, lat: float, lon: float, *, gcj02: bool = False,
                 max_distance_m: float = 60.0) -> int | None:
    """The site under a clicked point (converted back from GCJ-02 when that layer was shown)."""
    if sites.empty or lat is None or lon is None:
        return None
    if gcj02:
        lat, lon = geo.gcj_to_wgs(lat, lon)
    d_lat = (sites["lat"].to_numpy(dtype=float) - lat) * 111_195.0
    d_lon = (sites["lon"].to_numpy(dtype=float) - lon) * 111_195.0 * np.cos(np.radians(lat))
    dist = np.hypot(d_lat, d_lon)
    i = int(np.argmin(dist))
    return int(sites["id"].iloc[i]) if dist[i] <= max_distance_m else None
