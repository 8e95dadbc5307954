"""Deterministic synthetic area hierarchy: city > county > township > village > grid.

Only the county outlines (committed GeoJSON) and township names (jionlp list)
are real. Villages/communities, micro-grids, populations and every boundary
below county level are synthetic but plausible, and identical for a given seed,
so the demo data generator and the tests agree without storing 20k polygons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.apportion import apportion
from geo.codes import CITY_CODE, full_code, level_of, short_code
from geo.names import unique_names
from geo.partition import partition, polygonal, sample_points
from geo.serving import simplified, to_geojson_geometry

__all__ = [
    "AreaRecord",
    "build_areas",
    "full_code",
    "level_of",
    "short_code",
    "simplified",
    "to_geojson_geometry",
]

BOUNDARIES = Path(__file__).resolve().parent / "boundaries"
COUNTIES_FILE = BOUNDARIES / "suqian_counties.geojson"
TOWNSHIPS_FILE = BOUNDARIES / "suqian-townships.json"

CITY_NAME = "宿迁市"
CITY_POPULATION = 4_980_000
# Rough real proportions (statistical yearbook order of magnitude), jittered per seed.
COUNTY_POPULATION = {
    "321302": 850_000,  # 宿城区
    "321311": 700_000,  # 宿豫区
    "321322": 1_600_000,  # 沭阳县
    "321323": 830_000,  # 泗阳县
    "321324": 1_000_000,  # 泗洪县
}
# 宿迁经济技术开发区 is a functional zone, not a county-level division: in the
# county boundary data its territory lies inside 宿城区, so its four townships
# are filed under 宿城区.
ZONE_HOSTS = {"321371": "321302"}
# Approximate urban cores (lon, lat) where streets (街道) cluster; inside each county polygon.
COUNTY_SEATS = {
    "321302": (118.29, 33.95),
    "321311": (118.33, 33.96),
    "321322": (118.77, 34.12),
    "321323": (118.70, 33.72),
    "321324": (118.22, 33.46),
}
VILLAGE_TOTAL = 1_412
GRID_TOTAL = 18_436  # the city reports "1.8万余个微网格"
MIN_VILLAGES = 3
MIN_GRIDS = 3

# Per township kind: first code sequence, population weight, residents per village unit.
KIND_SEQ_START = {"street": 1, "town": 100, "xiang": 200, "zone": 400, "farm": 400}
KIND_WEIGHT = {"street": 2.2, "town": 1.0, "xiang": 0.65, "zone": 0.45, "farm": 0.15}
KIND_VILLAGE_SIZE = {"street": 7000.0, "town": 3400.0, "xiang": 3000.0, "zone": 4500.0, "farm": 1800.0}
GRID_SIZE = {"community": 210.0, "village": 300.0}  # residents per micro-grid


@dataclass(frozen=True)
class AreaRecord:
    """One administrative area; ancestor codes are 12-digit, None above the record's level."""

    code: str
    name: str
    level: str
    parent_code: str | None
    county_code: str | None
    township_code: str | None
    village_code: str | None
    population: int
    lon: float
    lat: float
    geometry: BaseGeometry


@dataclass
class _Node:
    """Mutable build-time area; becomes an AreaRecord at the end."""

    code: str
    name: str
    level: str
    geometry: BaseGeometry
    kind: str = ""
    population: int = 0
    seat: tuple[float, float] = (0.0, 0.0)
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)


def township_kind(name: str) -> str:
    """street (街道), town (镇), xiang (乡), farm (农场/林场/原种场) or zone (开发区, 园区)."""
    if "街道" in name:
        return "street"
    if any(word in name for word in ("农场", "林场", "原种场")):
        return "farm"
    if name.endswith("镇"):
        return "town"
    if name.endswith("乡"):
        return "xiang"
    return "zone"


def _rng(seed: int, code: str) -> np.random.Generator:
    """Independent stream per area, so a subtree does not depend on build order."""
    return np.random.default_rng([seed, int(code)])


def _load_counties() -> list[_Node]:
    """County nodes from the committed GeoJSON (never from cnmaps at run time)."""
    features = json.loads(COUNTIES_FILE.read_text(encoding="utf-8"))["features"]
    nodes = [
        _Node(full_code(f["properties"]["code"]), f["properties"]["name"], "county", shape(f["geometry"]))
        for f in features
    ]
    return sorted(nodes, key=lambda n: n.code)


def _township_names() -> dict[str, list[str]]:
    """Township names per 6-digit county code, zone townships moved to their host county."""
    data = json.loads(TOWNSHIPS_FILE.read_text(encoding="utf-8"))["counties"]
    names: dict[str, list[str]] = {}
    for county in sorted(data.values(), key=lambda c: c["code"] in ZONE_HOSTS):
        host = ZONE_HOSTS.get(county["code"], county["code"])
        names.setdefault(host, []).extend(county["townships"])
    return names


def _split(
    parent: _Node, rng: np.random.Generator, kinds: list[str], urban: dict[str, tuple[float, float]]
) -> None:
    """Cut ``parent.geometry`` into one cell per child; ``urban`` maps kind -> (sigma factor, pull)."""
    area_scale = float(np.sqrt(parent.geometry.area))
    core = [k for k in kinds if k in urban]
    keep_out = 1.5 * area_scale * min((urban[k][0] for k in core), default=0.0)
    points = np.zeros((len(kinds), 2))
    pull = np.zeros(len(kinds))
    for kind in dict.fromkeys(kinds):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        sigma, pull[idx] = urban.get(kind, (0.0, 0.0))
        points[idx] = sample_points(parent.geometry, len(idx), rng, parent.seat, sigma * area_scale, keep_out)
    cells, seats = partition(parent.geometry, points, pull, parent.seat)
    for child, cell, seat in zip(parent.children, cells, seats, strict=True):
        child.geometry = cell
        child.seat = (float(seat[0]), float(seat[1]))


def _add_townships(county: _Node, names: list[str], seed: int) -> None:
    """Townships with codes by kind (streets 0xx, towns 1xx, xiang 2xx, others 4xx) and cells."""
    rng = _rng(seed, county.code)
    counters = dict(KIND_SEQ_START)
    for name in names:
        kind = township_kind(name)
        seq_key = "zone" if kind == "farm" else kind
        code = f"{county.code[:6]}{counters[seq_key]:03d}000"
        counters[seq_key] += 1
        county.children.append(_Node(code, name, "township", county.geometry, kind, parent=county))
    kinds = [t.kind for t in county.children]
    weights = [KIND_WEIGHT[k] * rng.lognormal(0.0, 0.25) for k in kinds]
    for town, pop in zip(county.children, apportion(county.population, weights, 1), strict=True):
        town.population = pop
    _split(county, rng, kinds, {"street": (0.08, 0.15), "zone": (0.16, 0.1)})


def _community_count(town: _Node, n: int, rng: np.random.Generator) -> int:
    """Streets are mostly 社区, towns have 1-3 seat communities, farms only 居委会."""
    if town.kind == "street":
        return max(n - int(rng.integers(0, 3)), int(np.ceil(0.6 * n)))
    if town.kind == "town":
        return min(1 + int(town.population > 60_000) + int(rng.integers(0, 2)), n - 1)
    if town.kind == "xiang":
        return 1 + int(rng.random() < 0.3)
    if town.kind == "zone":
        return int(np.ceil(n / 2))
    return n


def _add_villages(town: _Node, n: int, seed: int) -> None:
    """Communities (001-199) then villages (200+), populations and cells."""
    rng = _rng(seed, town.code)
    n_comm = _community_count(town, n, rng)
    communities, villages = unique_names(rng, n_comm, n - n_comm, town.name, farm=town.kind == "farm")
    for i, name in enumerate(communities, start=1):
        town.children.append(
            _Node(f"{town.code[:9]}{i:03d}", name, "village", town.geometry, "community", parent=town)
        )
    for i, name in enumerate(villages, start=200):
        town.children.append(
            _Node(f"{town.code[:9]}{i:03d}", name, "village", town.geometry, "village", parent=town)
        )
    weights = [(1.7 if v.kind == "community" else 1.0) * rng.lognormal(0.0, 0.3) for v in town.children]
    if town.kind != "street" and n_comm:
        weights[0] *= 1.5  # the seat community
    for village, pop in zip(town.children, apportion(town.population, weights, 1), strict=True):
        village.population = pop
    sigma = 0.35 if town.kind in ("street", "zone") else 0.12
    _split(town, rng, [v.kind for v in town.children], {"community": (sigma, 0.2)})


def _add_grids(village: _Node, n: int, seed: int) -> None:
    """Micro-grids "<village>第N网格" with near-equal populations and cells."""
    rng = _rng(seed, village.code)
    for i in range(1, n + 1):
        village.children.append(
            _Node(
                f"{village.code}{i:03d}", f"{village.name}第{i}网格", "grid", village.geometry, parent=village
            )
        )
    weights = rng.lognormal(0.0, 0.2, n)
    for grid, pop in zip(village.children, apportion(village.population, weights.tolist(), 1), strict=True):
        grid.population = pop
    _split(village, rng, ["grid"] * n, {})


def _city(seed: int) -> _Node:
    """Whole tree of build-time nodes."""
    counties = _load_counties()
    city = _Node(CITY_CODE, CITY_NAME, "city", shapely.union_all([c.geometry for c in counties]))
    city.population = CITY_POPULATION
    city.children = counties
    rng = _rng(seed, CITY_CODE)
    weights = [COUNTY_POPULATION[c.code[:6]] * rng.uniform(0.985, 1.015) for c in counties]
    township_names = _township_names()
    for county, pop in zip(counties, apportion(CITY_POPULATION, weights, 1), strict=True):
        county.parent, county.population = city, pop
        county.seat = COUNTY_SEATS[county.code[:6]]
        _add_townships(county, township_names[county.code[:6]], seed)

    townships = [t for c in counties for t in c.children]
    wanted = [t.population / KIND_VILLAGE_SIZE[t.kind] for t in townships]
    for town, n in zip(townships, apportion(VILLAGE_TOTAL, wanted, MIN_VILLAGES), strict=True):
        _add_villages(town, n, seed)

    villages = [v for t in townships for v in t.children]
    wanted = [v.population / GRID_SIZE[v.kind] for v in villages]
    for village, n in zip(villages, apportion(GRID_TOTAL, wanted, MIN_GRIDS), strict=True):
        _add_grids(village, n, seed)
    return city


def _records(city: _Node) -> list[AreaRecord]:
    """Flatten breadth-first (level by level, codes ascending) into frozen records."""
    levels: list[list[_Node]] = [[city]]
    while levels[-1][0].children:
        levels.append([c for n in levels[-1] for c in n.children])
    nodes = [n for level in levels for n in level]
    points = shapely.get_coordinates(shapely.point_on_surface([n.geometry for n in nodes]))
    out: list[AreaRecord] = []
    for node, (lon, lat) in zip(nodes, points, strict=True):
        anc: dict[str, str | None] = {"county": None, "township": None, "village": None}
        cur: _Node | None = node if node.level != "grid" else node.parent
        while cur is not None:
            if cur.level in anc:
                anc[cur.level] = cur.code
            cur = cur.parent
        out.append(
            AreaRecord(
                code=node.code,
                name=node.name,
                level=node.level,
                parent_code=node.parent.code if node.parent else None,
                county_code=anc["county"],
                township_code=anc["township"],
                village_code=anc["village"],
                population=node.population,
                lon=float(lon),
                lat=float(lat),
                geometry=polygonal(node.geometry),
            )
        )
    return out


def build_areas(seed: int = 2023) -> list[AreaRecord]:
    """All areas from city to micro-grid, parents before children; same seed, same output."""
    return _records(_city(seed))
