"""One-off export of Suqian's five county-level boundaries to a committed GeoJSON.

Run once, commit the output: the app reads ``boundaries/suqian_counties.geojson``
and never imports cnmaps at run time (no runtime downloads, no heavy dependency).

    .venv/bin/python -m geo.export_counties

The five polygons are simplified as one coverage (shared edges simplified once),
so they still tile the city outline after simplification.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
import shapely.wkb
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry

# Official 6-digit division codes; cnmaps records carry names only.
COUNTY_CODES: dict[str, str] = {
    "宿城区": "321302",
    "宿豫区": "321311",
    "沭阳县": "321322",
    "泗阳县": "321323",
    "泗洪县": "321324",
}
CITY = "宿迁市"
# Visvalingam-Whyatt tolerance in degrees (~30 m); keeps the file ~65 KB.
TOLERANCE_DEG = 0.0003
PRECISION = 5
MIN_PART_KM2 = 0.01
OUT = Path(__file__).resolve().parent / "boundaries" / "suqian_counties.geojson"

_GEOD = Geod(ellps="WGS84")


def _plain(geom: object) -> BaseGeometry:
    """cnmaps wraps geometries in MapPolygon; round-trip through WKB to get shapely."""
    return shapely.wkb.loads(geom.wkb)  # type: ignore[attr-defined]


def _polygon_parts(geom: BaseGeometry) -> list[Polygon]:
    """Polygonal parts only (make_valid may return collections with lines)."""
    return [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]


def _clean(geom: BaseGeometry) -> MultiPolygon:
    """Valid MultiPolygon without parts smaller than MIN_PART_KM2 (slivers)."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [
        p for p in _polygon_parts(geom) if abs(_GEOD.geometry_area_perimeter(p)[0]) / 1e6 >= MIN_PART_KM2
    ]
    return MultiPolygon(parts)


def load_counties() -> list[tuple[str, str, BaseGeometry]]:
    """(code, name, geometry) of the five county-level areas, straight from cnmaps."""
    from cnmaps import get_adm_maps  # only this script depends on cnmaps

    records = get_adm_maps(city=CITY, level="区县", record="all", only_polygon=False)
    out = [(COUNTY_CODES[r["district"]], r["district"], _plain(r["geometry"])) for r in records]
    if sorted(c for c, _, _ in out) != sorted(COUNTY_CODES.values()):
        raise RuntimeError(f"unexpected county set: {[n for _, n, _ in out]}")
    return sorted(out)


def load_city() -> BaseGeometry:
    """City outline from cnmaps, used only to report how well the counties cover it."""
    from cnmaps import get_adm_maps

    return _plain(get_adm_maps(city=CITY, level="市", record="all", only_polygon=False)[0]["geometry"])


def simplify_counties(geoms: list[BaseGeometry]) -> list[MultiPolygon]:
    """Coverage-simplify, round to PRECISION decimals and repair; shared vertices stay shared."""
    simple = shapely.coverage_simplify(np.array(geoms, dtype=object), TOLERANCE_DEG)
    rounded = shapely.transform(simple, lambda xy: np.round(xy, PRECISION))
    return [_clean(g) for g in rounded]


def feature_collection(rows: list[tuple[str, str, MultiPolygon]]) -> str:
    """GeoJSON text, one feature per line so diffs stay readable."""
    feats = [
        json.dumps(
            {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": mapping(geom)},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for code, name, geom in rows
    ]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(feats) + "\n]}\n"


def main() -> None:
    """Export, then print a short quality report."""
    counties = load_counties()
    simple = simplify_counties([g for _, _, g in counties])
    rows = [(code, name, geom) for (code, name, _), geom in zip(counties, simple, strict=True)]
    OUT.write_text(feature_collection(rows), encoding="utf-8")

    city = load_city()
    union = shapely.union_all(simple)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.1f} KB)")
    print(f"coverage valid: {shapely.coverage_is_valid(np.array(simple, dtype=object))}")
    print(f"all valid: {all(g.is_valid for g in simple)}")
    print(
        f"union vs cnmaps city outline, symmetric difference share: {union.symmetric_difference(city).area / city.area:.2e}"
    )
    for code, name, geom in rows:
        print(code, name, len(geom.geoms), "parts", int(shapely.get_num_coordinates(geom)), "coords")


if __name__ == "__main__":
    main()
