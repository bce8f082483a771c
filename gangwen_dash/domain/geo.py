"""WGS-84 ⇄ GCJ-02 ("Mars coordinates", used by 高德 and other Chinese web maps).

Every coordinate is stored in WGS-84. When a GCJ-02 tile layer is shown, points are shifted
WGS→GCJ at render time, and a point the user clicks on that layer is converted back with
``gcj_to_wgs`` (an iterated inverse: the forward formula has no closed-form inverse).

The forward formula is the public one (Krasovsky ellipsoid a = 6378245.0, ee = 0.00669342162296594323;
the polynomials are evaluated at (lon − 105, lat − 35)). Points outside China's box
(lon 72.004–137.8347, lat 0.8293–55.8271) are returned unchanged, as every implementation does.
Around this district the shift is about +0.0043° lon and −0.0021° lat (~470 m).
"""

from __future__ import annotations

import math

import numpy as np

from gangwen_dash.config import DISTRICT_BBOX, DISTRICT_NAME

A = 6378245.0
EE = 0.00669342162296594323
LON_MIN, LON_MAX = 72.004, 137.8347
LAT_MIN, LAT_MAX = 0.8293, 55.8271


def out_of_china(lat: float, lon: float) -> bool:
    return not (LON_MIN <= lon <= LON_MAX and LAT_MIN <= lat <= LAT_MAX)


def _delta(lat, lon, xp=math):
    """The GCJ-02 offset (dlat, dlon) in degrees at a WGS-84 point; ``xp`` is math or numpy."""
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    common = (20.0 * xp.sin(6.0 * x * pi) + 20.0 * xp.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * xp.sqrt(abs(x)) + common
    dlat = dlat + (20.0 * xp.sin(y * pi) + 40.0 * xp.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * xp.sin(y / 12.0 * pi) + 320.0 * xp.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * xp.sqrt(abs(x)) + common
    dlon = dlon + (20.0 * xp.sin(x * pi) + 40.0 * xp.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * xp.sin(x / 12.0 * pi) + 300.0 * xp.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - EE * xp.sin(rad) ** 2
    sqrt_magic = xp.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (A / sqrt_magic * xp.cos(rad) * pi)
    return dlat, dlon


def wgs_to_gcj(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    dlat, dlon = _delta(lat, lon)
    return lat + dlat, lon + dlon


def gcj_to_wgs(lat: float, lon: float, *, tolerance_deg: float = 1e-9, max_iter: int = 30) -> tuple[float, float]:
    """Inverse by fixed-point iteration: find w with wgs_to_gcj(w) == (lat, lon).

    Converges in a handful of steps to far below a centimetre (1e-9° ≈ 0.1 mm).
    """
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(max_iter):
        g_lat, g_lon = wgs_to_gcj(w_lat, w_lon)
        err_lat, err_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - err_lat, w_lon - err_lon
        if abs(err_lat) < tolerance_deg and abs(err_lon) < tolerance_deg:
            break
    return w_lat, w_lon


def wgs_to_gcj_arrays(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised forward transform for many points (map rendering); outside-China points unchanged."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    dlat, dlon = _delta(lat, lon, np)
    inside = (lon >= LON_MIN) & (lon <= LON_MAX) & (lat >= LAT_MIN) & (lat <= LAT_MAX)
    return np.where(inside, lat + dlat, lat), np.where(inside, lon + dlon, lon)


def distance_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres (haversine on a 6,371 km sphere).

    Scalars give a float; numpy arrays (e.g. every site against one clicked point) give an array.
    """
    r = 6371008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.subtract(lon2, lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    d = 2 * r * np.arcsin(np.sqrt(h))
    return float(d) if np.ndim(d) == 0 else d


def in_district(lat: float, lon: float) -> bool:
    """Inside the district's bounding box (WGS-84): the one check for sites, rooms and inspections."""
    b = DISTRICT_BBOX
    return b["lat_min"] <= lat <= b["lat_max"] and b["lon_min"] <= lon <= b["lon_max"]


def outside_district_message(lat: float, lon: float) -> str:
    b = DISTRICT_BBOX
    return (f"坐标（{lat:.5f}, {lon:.5f}）不在{DISTRICT_NAME}范围内（纬度 {b['lat_min']}–{b['lat_max']}，"
            f"经度 {b['lon_min']}–{b['lon_max']}，WGS-84）")
