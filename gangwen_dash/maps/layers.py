"""The map's own Leaflet pieces: style, metric scale, script layers (JS, heat, rooms), the legend.

Our data layers render their script once and add it verbatim (``RawScriptLayer``): stock folium would
compile every rendered script again as a Jinja template (slow for thousands of points, and it would
evaluate any ``{{`` in the data). Text reaching the page goes through ``escape.esc``/``escape.js_json``.
"""

from __future__ import annotations

import pandas as pd
from branca.element import CssLink, JavascriptLink, MacroElement
from folium.elements import ElementAddToElement, JSCSSMixin
from folium.map import Layer, LayerControl
from folium.template import Template

from gangwen_dash.maps.assets import HEAT_JS, Assets, RawHtml
from gangwen_dash.maps.escape import esc, js_json
from gangwen_dash.maps.tiles import Tiles
from gangwen_dash.queries.sites import CARD_LABELS, CARD_MEANINGS, CARDS

CARD_COLOURS = {"red": "#C62828", "yellow": "#F9A825", "green": "#2E7D32"}
ROOM_COLOURS = {"in_progress": "#6A1B9A", "solved": "#1565C0"}
KINDS = ("日常督查", "抽查暗访")
NARROW_PX = 600  # a map narrower than this (a phone) gets a folded layer list and a short legend

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
.gw-legend-narrow { font-size: 11px; line-height: 1.4; padding: 4px 8px; } .gw-legend-narrow .gw-more { display: none; }
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
                    var narrow = {{ this._parent.get_name() }}.getSize().x < NARROW_PX;
                    var div = L.DomUtil.create('div', narrow ? 'gw-legend gw-legend-narrow' : 'gw-legend');
                    div.innerHTML = {{ this.html_json }};
                    return div;
                };
                legend.addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}""".replace("NARROW_PX", str(NARROW_PX)))

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html_json = js_json(html_text)
        self.default_js = []
        self.default_css = []


def legend_html(sites: pd.DataFrame, tiles: Tiles, title: str) -> str:
    """The legend; the parts in ``gw-more`` are hidden on a narrow map (a phone), the card counts stay."""
    counts = sites["card"].value_counts().to_dict() if len(sites) else {}
    cards = [f'<i style="background:{CARD_COLOURS[card]}"></i>{CARD_LABELS[card]} {counts.get(card, 0)} 个'
             f'<span class="gw-more"> · {CARD_MEANINGS[card]}</span>' for card in CARDS]
    more = [f'<i class="sq" style="background:{ROOM_COLOURS["in_progress"]}"></i>协商议事室（有推进中项目）',
            f'<i class="sq" style="background:{ROOM_COLOURS["solved"]}"></i>协商议事室（项目均已解决）',
            "热力：本期发现问题（按严重程度加权）"]
    if tiles.gcj02:
        more.append("坐标已按 GCJ-02 偏移显示")
    return "<br>".join([f"<b>{esc(title)}</b>", *cards]) + '<span class="gw-more"><br>' + "<br>".join(more) + "</span>"


class LayerList(LayerControl):
    """folium's layer control, expanded on a wide map and folded into its button on a narrow one (a phone),
    where the open list would cover the sites."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_layers = {
                base_layers: { {%- for key, val in this.base_layers.items() %}{{ key|tojson }}: {{ val }},{% endfor %} },
                overlays: { {%- for key, val in this.overlays.items() %}{{ key|tojson }}: {{ val }},{% endfor %} },
            };
            var {{ this.get_name() }} = L.control.layers(
                {{ this.get_name() }}_layers.base_layers, {{ this.get_name() }}_layers.overlays,
                Object.assign({{ this.options|tojavascript }},
                              {collapsed: {{ this._parent.get_name() }}.getSize().x < NARROW_PX})
            ).addTo({{ this._parent.get_name() }});
            {{ this.get_name() }}._layersLink.title = '图层';
            {{ this.get_name() }}._layersLink.setAttribute('aria-label', '图层');
        {% endmacro %}""".replace("NARROW_PX", str(NARROW_PX)))

    def __init__(self) -> None:
        super().__init__(position="topright", collapsed=False)


def rooms_layer(rooms: pd.DataFrame, projects: pd.DataFrame, max_titles: int = 6) -> JsLayer:
    """Consultation rooms (coordinates as drawn) with up to ``max_titles`` of their projects in the popup."""
    r = rooms
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


