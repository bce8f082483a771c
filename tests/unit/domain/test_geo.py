"""WGS-84 ⇄ GCJ-02 conversion: published reference pairs, round trips, points outside China."""

import numpy as np
import pytest

from gangwen_dash.config import DISTRICT_BBOX
from gangwen_dash.domain import geo

# (wgs lat, wgs lon, gcj lat, gcj lon): the reference pairs of the widely used eviltransform test suite.
KNOWN = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), KNOWN)
def test_forward_matches_known_pairs(wlat, wlon, glat, glon):
    lat, lon = geo.wgs_to_gcj(wlat, wlon)
    assert lat == pytest.approx(glat, abs=1e-9)
    assert lon == pytest.approx(glon, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), KNOWN)
def test_inverse_recovers_wgs_of_known_pairs_within_a_metre(wlat, wlon, glat, glon):
    lat, lon = geo.gcj_to_wgs(glat, glon)
    assert geo.distance_m(lat, lon, wlat, wlon) < 0.01


def test_district_shift_is_about_470_metres_east_and_south():
    lat, lon = 32.06, 120.83
    glat, glon = geo.wgs_to_gcj(lat, lon)
    assert 0.0035 < glon - lon < 0.0050
    assert -0.0030 < glat - lat < -0.0012
    assert 380 < geo.distance_m(lat, lon, glat, glon) < 560


def test_round_trip_under_one_metre_across_the_district():
    b = DISTRICT_BBOX
    worst = 0.0
    for lat in np.linspace(b["lat_min"], b["lat_max"], 9):
        for lon in np.linspace(b["lon_min"], b["lon_max"], 9):
            back = geo.gcj_to_wgs(*geo.wgs_to_gcj(lat, lon))
            worst = max(worst, geo.distance_m(lat, lon, *back))
    assert worst < 1.0


@pytest.mark.parametrize(("lat", "lon"), [(51.5074, -0.1278), (48.8566, 2.3522), (-33.87, 151.21),
                                          (60.0, 120.0), (35.0, 140.0), (0.5, 110.0)])
def test_points_outside_china_are_unchanged(lat, lon):
    assert geo.wgs_to_gcj(lat, lon) == (lat, lon)
    assert geo.gcj_to_wgs(lat, lon) == (lat, lon)


def test_vectorised_forward_equals_scalar_and_leaves_outside_points():
    lats = np.array([32.06, 31.1774276, 51.5074])
    lons = np.array([120.83, 121.5272106, -0.1278])
    vlat, vlon = geo.wgs_to_gcj_arrays(lats, lons)
    for i in range(3):
        slat, slon = geo.wgs_to_gcj(lats[i], lons[i])
        assert vlat[i] == pytest.approx(slat, abs=1e-12) and vlon[i] == pytest.approx(slon, abs=1e-12)
    assert (vlat[2], vlon[2]) == (51.5074, -0.1278)


def test_distance_of_many_points_equals_each_distance_alone():
    lats = np.array([32.05, 32.0621, 31.99, 32.14])
    lons = np.array([120.82, 120.8243, 120.76, 120.92])
    many = geo.distance_m(32.06, 120.83, lats, lons)
    assert isinstance(many, np.ndarray) and many.shape == (4,)
    alone = [geo.distance_m(32.06, 120.83, float(a), float(b)) for a, b in zip(lats, lons, strict=True)]
    assert all(isinstance(d, float) for d in alone)
    assert many.tolist() == pytest.approx(alone, rel=1e-12)
    assert geo.distance_m(32.0, 120.0, 33.0, 120.0) == pytest.approx(111_195, rel=1e-3)  # one degree of latitude
