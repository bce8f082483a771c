"""Tile configuration (``resolve_tiles``): which base layers the maps draw and from which hosts.

OpenStreetMap (default), 天地图 (WGS-84, key ``tk``), 高德 (GCJ-02: every point is shifted WGS→GCJ at
render time; a clicked point is converted back with ``geo.gcj_to_wgs``), ``custom`` (any XYZ URL, e.g. an
intranet 天地图 node) and ``none`` (outline and points only).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

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

