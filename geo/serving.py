"""Shapes as the browser gets them: rounded GeoJSON, one view at a time.

build_areas keeps full precision so children tile parents exactly; only what is
sent to a map view is rounded (5 decimals ~ 1 m) to keep payloads small.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

# Simplification tolerance in degrees per level; None keeps full detail.
# Views stay well under 300 KB without it, so it is off by default.
SIMPLIFY_TOLERANCE: dict[str, float | None] = {
    "city": None,
    "county": None,
    "township": None,
    "village": None,
    "grid": None,
}


class _Area(Protocol):
    """Anything with a code, a name and a shape (AreaRecord, ORM rows)."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def geometry(self) -> BaseGeometry: ...


def to_geojson_geometry(geom: BaseGeometry, precision: int = 5) -> dict[str, Any]:
    """GeoJSON geometry dict with coordinates rounded to ``precision`` decimals.

    Snapping with set_precision first keeps the rounded polygon valid; if that
    collapses a tiny polygon, plain rounding is used instead.
    """
    snapped = shapely.set_precision(geom, 10.0**-precision)
    if snapped.is_empty:
        snapped = geom
    rounded = shapely.transform(snapped, lambda xy: np.round(xy, precision))
    return mapping(rounded)


def simplified(geom: BaseGeometry, level: str) -> BaseGeometry:
    """Geometry simplified for display at ``level``; unchanged when no tolerance is set."""
    tolerance = SIMPLIFY_TOLERANCE.get(level)
    if not tolerance:
        return geom
    return shapely.simplify(geom, tolerance, preserve_topology=True)


def feature_collection(areas: Iterable[_Area], precision: int = 5) -> dict[str, Any]:
    """One map view: the areas as a FeatureCollection with code/name properties."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": a.code,
                "properties": {"code": a.code, "name": a.name},
                "geometry": to_geojson_geometry(a.geometry, precision),
            }
            for a in areas
        ],
    }
