"""Tests for the geography layer: committed county file, synthetic hierarchy, codes."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo.codes import full_code, level_of, short_code
from geo.gcj02 import wgs84_to_gcj02
from geo.hierarchy import COUNTIES_FILE, AreaRecord, build_areas, to_geojson_geometry
from geo.serving import feature_collection
from geo.tiling import tiling_error

COUNTIES = {
    "321302": "宿城区",
    "321311": "宿豫区",
    "321322": "沭阳县",
    "321323": "泗阳县",
    "321324": "泗洪县",
}
MAX_TILING_ERROR = 0.005
MAX_VIEW_BYTES = 300 * 1024
GRID_SAMPLE = 40


@pytest.fixture(scope="module")
def areas() -> list[AreaRecord]:
    return build_areas()


@pytest.fixture(scope="module")
def by_code(areas: list[AreaRecord]) -> dict[str, AreaRecord]:
    return {a.code: a for a in areas}


@pytest.fixture(scope="module")
def children(areas: list[AreaRecord]) -> dict[str, list[AreaRecord]]:
    out: dict[str, list[AreaRecord]] = defaultdict(list)
    for a in areas:
        if a.parent_code is not None:
            out[a.parent_code].append(a)
    return out


def _level(areas: list[AreaRecord], level: str) -> list[AreaRecord]:
    return [a for a in areas if a.level == level]


def test_committed_counties_file() -> None:
    features = json.loads(COUNTIES_FILE.read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["code"]: f["properties"]["name"] for f in features} == COUNTIES
    geoms = [shape(f["geometry"]) for f in features]
    assert all(g.is_valid and not g.is_empty for g in geoms)
    assert shapely.coverage_is_valid(np.array(geoms, dtype=object))
    assert COUNTIES_FILE.stat().st_size < 150 * 1024


def test_counts_per_level(areas: list[AreaRecord]) -> None:
    counts = Counter(a.level for a in areas)
    assert counts["city"] == 1
    assert counts["county"] == 5
    assert counts["township"] == 132
    assert 1300 <= counts["village"] <= 1500
    assert counts["grid"] >= 18_000


def test_county_records(areas: list[AreaRecord]) -> None:
    assert {short_code(a.code): a.name for a in _level(areas, "county")} == COUNTIES


def test_geometries_valid_and_non_empty(areas: list[AreaRecord]) -> None:
    geoms = np.array([a.geometry for a in areas], dtype=object)
    assert shapely.is_valid(geoms).all()
    assert not shapely.is_empty(geoms).any()
    assert {g.geom_type for g in geoms} <= {"Polygon", "MultiPolygon"}


def test_representative_points_inside(areas: list[AreaRecord]) -> None:
    geoms = np.array([a.geometry for a in areas], dtype=object)
    lon = np.array([a.lon for a in areas])
    lat = np.array([a.lat for a in areas])
    assert shapely.intersects_xy(geoms, lon, lat).all()


def _tiling_parents(areas: list[AreaRecord]) -> list[AreaRecord]:
    """City, all counties and townships, and a deterministic sample of villages."""
    villages = _level(areas, "village")
    sample = villages[:: max(1, len(villages) // GRID_SAMPLE)]
    return [a for a in areas if a.level in ("city", "county", "township")] + sample


def test_children_tile_parents(areas: list[AreaRecord], children: dict[str, list[AreaRecord]]) -> None:
    parents = _tiling_parents(areas)
    assert sum(p.level == "village" for p in parents) >= 30
    worst = (0.0, 0.0)
    for parent in parents:
        gap, overlap = tiling_error(parent.geometry, [c.geometry for c in children[parent.code]])
        assert gap < MAX_TILING_ERROR, (parent.code, gap)
        assert overlap < MAX_TILING_ERROR, (parent.code, overlap)
        worst = (max(worst[0], gap), max(worst[1], overlap))
    print(f"worst gap share {worst[0]:.2e}, worst overlap share {worst[1]:.2e}")


def test_unique_codes_and_formats(areas: list[AreaRecord]) -> None:
    codes = [a.code for a in areas]
    assert len(codes) == len(set(codes))
    for a in areas:
        assert a.code.isdigit()
        assert len(a.code) == (15 if a.level == "grid" else 12)
        assert level_of(a.code) == a.level


def test_names_unique_among_siblings(children: dict[str, list[AreaRecord]]) -> None:
    for kids in children.values():
        names = [k.name for k in kids]
        assert len(names) == len(set(names))


def _prefix(code: str) -> str:
    """Digits a descendant shares: the city's own 4, else the short code."""
    return code[:4] if level_of(code) == "city" else short_code(code)


def test_ancestor_codes(areas: list[AreaRecord], by_code: dict[str, AreaRecord]) -> None:
    for a in areas:
        expected: dict[str, str | None] = {"county": None, "township": None, "village": None}
        node: AreaRecord | None = a
        while node is not None:
            if node.level in expected:
                expected[node.level] = node.code
            node = by_code[node.parent_code] if node.parent_code else None
        assert (a.county_code, a.township_code, a.village_code) == (
            expected["county"],
            expected["township"],
            expected["village"],
        ), a.code
        if a.parent_code is not None:
            parent = by_code[a.parent_code]
            assert a.code.startswith(_prefix(parent.code)), a.code
        for anc in (a.county_code, a.township_code, a.village_code):
            if anc is not None:
                assert a.code.startswith(_prefix(anc)), (a.code, anc)


def test_code_ranges(areas: list[AreaRecord]) -> None:
    for t in _level(areas, "township"):
        seq = int(t.code[6:9])
        if "街道" in t.name:
            assert 1 <= seq < 100, t.code
        else:
            assert seq >= 100, t.code
    for v in _level(areas, "village"):
        seq = int(v.code[9:12])
        assert (seq < 200) == (not v.name.endswith("村")), (v.code, v.name)


def test_zone_townships_under_sucheng(areas: list[AreaRecord]) -> None:
    towns = {t.name: t for t in _level(areas, "township")}
    for name in ("三棵树街道", "南蔡乡", "古楚街道办", "黄河街道"):
        assert towns[name].county_code == "321302000000"


def test_populations_sum_to_parent(areas: list[AreaRecord], children: dict[str, list[AreaRecord]]) -> None:
    city = _level(areas, "city")[0]
    assert 4_900_000 <= city.population <= 5_100_000
    for a in areas:
        assert a.population > 0
        if a.level != "grid":
            assert sum(c.population for c in children[a.code]) == a.population, a.code


def test_grid_counts(areas: list[AreaRecord], children: dict[str, list[AreaRecord]]) -> None:
    for v in _level(areas, "village"):
        grids = children[v.code]
        assert len(grids) >= 3
        assert all(g.name.startswith(v.name) and g.name.endswith("网格") for g in grids)


def test_deterministic(areas: list[AreaRecord]) -> None:
    again = build_areas()
    assert [(a.code, a.population) for a in again] == [(a.code, a.population) for a in areas]
    assert all(a.geometry.equals_exact(b.geometry, 0.0) for a, b in zip(areas, again, strict=True))


def test_biggest_view_under_limit(areas: list[AreaRecord], children: dict[str, list[AreaRecord]]) -> None:
    sizes = {
        code: len(json.dumps(feature_collection(kids), ensure_ascii=False, separators=(",", ":")).encode())
        for code, kids in children.items()
    }
    biggest = max(sizes, key=sizes.__getitem__)
    print(f"biggest view: children of {biggest}, {sizes[biggest] / 1024:.1f} KB")
    assert sizes[biggest] <= MAX_VIEW_BYTES


def test_to_geojson_geometry_rounds(areas: list[AreaRecord]) -> None:
    geo = to_geojson_geometry(_level(areas, "county")[0].geometry, precision=5)
    coords = shapely.get_coordinates(shape(geo))
    assert np.allclose(coords, np.round(coords, 5), rtol=0, atol=1e-12)
    assert shape(geo).is_valid


@pytest.mark.parametrize(
    ("short", "full", "level"),
    [
        ("321300", "321300000000", "city"),
        ("321322", "321322000000", "county"),
        ("321322100", "321322100000", "township"),
        ("321322100201", "321322100201", "village"),
        ("321322100201007", "321322100201007", "grid"),
    ],
)
def test_code_round_trip(short: str, full: str, level: str) -> None:
    assert full_code(short) == full
    assert short_code(full) == short
    assert full_code(short_code(full)) == full
    assert level_of(short) == level == level_of(full)


@pytest.mark.parametrize(
    "bad", ["", "32132", "3213a0", "321322 ", "３２１３２２", "1234567", "3213000000000"]
)
def test_full_code_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        full_code(bad)


def test_short_code_round_trip_on_built_codes(areas: list[AreaRecord]) -> None:
    for a in areas[:2000]:
        assert full_code(short_code(a.code)) == a.code


def test_tiling_error_detects_gaps_and_overlaps() -> None:
    square = shapely.box(0, 0, 2, 2)
    halves = [shapely.box(0, 0, 1, 2), shapely.box(1, 0, 2, 2)]
    assert tiling_error(square, halves) == (0.0, 0.0)
    gap, overlap = tiling_error(square, [shapely.box(0, 0, 1, 2)])
    assert (gap, overlap) == (0.5, 0.0)
    gap, overlap = tiling_error(square, [shapely.box(0, 0, 1.5, 2), shapely.box(1, 0, 2, 2)])
    assert gap == 0.0 and overlap == pytest.approx(0.25)


def test_wgs84_to_gcj02_matches_cnmaps() -> None:
    geo = pytest.importorskip("cnmaps.geo")
    for lon, lat in [(118.29, 33.95), (118.77, 34.12), (117.95, 33.2)]:
        got = wgs84_to_gcj02(lon, lat)
        want = geo.wgs84_to_gcj02(lon, lat)
        assert float(got[0]) == pytest.approx(want[0], abs=1e-9)
        assert float(got[1]) == pytest.approx(want[1], abs=1e-9)
    # Outside China the datum is unchanged.
    assert tuple(map(float, wgs84_to_gcj02(2.35, 48.85))) == (2.35, 48.85)
