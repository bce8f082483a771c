"""Leaflet and its plugins from the app, never from a CDN (intranet-proof).

Leaflet, Leaflet.markercluster and Leaflet.heat come from npm (``make assets`` copies them into
``static/vendor/``). ``Assets.served(base)`` points every element's ``default_js``/``default_css`` at the
app's own static URLs; ``Assets.inline()`` embeds the same files in the page (``map-html``).
``check_no_cdn`` refuses to render a map that would still load anything from another host.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path

import folium
from branca.element import Element, Figure

from gangwen_dash.config import PROJECT_ROOT

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

