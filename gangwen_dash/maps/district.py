"""The district's geography on the map: its outline, street labels, and the WGS→GCJ shift of points.

Every coordinate is stored in WGS-84; when a GCJ-02 tile layer is shown (高德), points are shifted at
render time (``shift``/``shifted_frame``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gangwen_dash.config import DISTRICT_NAME
from gangwen_dash.domain import geo
from gangwen_dash.maps.escape import esc, js_json
from gangwen_dash.maps.layers import JsLayer

# An approximate outline of 港闻区 (≈ 港闸区) inside its bounding box, WGS-84 (lat, lon); the south-west
# corner follows the Yangtze bank. Drawn in every mode so the no-tiles map still shows where things are.
DISTRICT_OUTLINE = [
    (32.140, 120.760), (32.138, 120.840), (32.128, 120.905), (32.095, 120.920), (32.060, 120.915),
    (32.030, 120.900), (31.995, 120.860), (31.990, 120.800), (32.000, 120.760), (32.020, 120.735),
    (32.060, 120.730), (32.100, 120.735),
]


def shift(lat, lon, gcj02: bool) -> tuple[np.ndarray, np.ndarray]:
    """Points as drawn: unchanged on WGS-84 tiles, shifted to GCJ-02 on 高德-like tiles."""
    if not gcj02:
        return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    return geo.wgs_to_gcj_arrays(lat, lon)


def shifted_frame(frame: pd.DataFrame, gcj02: bool) -> pd.DataFrame:
    """``frame`` with its ``lat``/``lon`` columns as drawn (a copy when shifted)."""
    if not gcj02 or frame.empty:
        return frame
    out = frame.copy()
    out["lat"], out["lon"] = shift(frame["lat"], frame["lon"], True)
    return out


def outline_layer(gcj02: bool) -> JsLayer:
    lat, lon = shift([p[0] for p in DISTRICT_OUTLINE], [p[1] for p in DISTRICT_OUTLINE], gcj02)
    pts = [[round(a, 5), round(b, 5)] for a, b in zip(lat.tolist(), lon.tolist(), strict=True)]
    body = (f"return L.polygon({js_json(pts)}, {{color: '#8D6E63', weight: 2, dashArray: '6 4', fill: true, "
            f"fillColor: '#FFFFFF', fillOpacity: 0.25, interactive: false}});")
    return JsLayer(body, name=f"{DISTRICT_NAME}区界（示意）")


def street_labels_layer(streets: pd.DataFrame, gcj02: bool) -> JsLayer:
    s = shifted_frame(streets, gcj02)
    rows = [[round(a, 5), round(b, 5), esc(n)] for a, b, n in zip(s["lat"], s["lon"], s["name"], strict=True)]
    body = (f"var rows = {js_json(rows)}; var g = L.layerGroup();"
            "rows.forEach(function (r) { L.marker([r[0], r[1]], {interactive: false, keyboard: false, icon: "
            "L.divIcon({className: 'gw-label', html: r[2], iconSize: null, iconAnchor: [24, 8]})}).addTo(g); });"
            "return g;")
    return JsLayer(body, name="街道名称")

