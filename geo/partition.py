"""Seeded Voronoi partition of a polygon into children that tile it.

Real boundaries below county level are not available offline, so synthetic ones
are cut from the county polygons: Voronoi cells of seed points inside the parent,
clipped to the parent. Clipped cells tile the parent up to float error. A few
Lloyd steps even out cell sizes; "urban" seeds are pulled toward a centre so
dense areas (streets, communities) get small cells.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

LLOYD_STEPS = 2
_MAX_DRAWS = 200


def polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """Keep only the polygon parts (clipping may add touching lines/points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    flat: list[Polygon] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, Polygon | MultiPolygon) and not part.is_empty:
            flat.extend(shapely.get_parts(part))
    return flat[0] if len(flat) == 1 else MultiPolygon(flat)


def sample_points(
    parent: BaseGeometry,
    n: int,
    rng: np.random.Generator,
    center: tuple[float, float] | None = None,
    sigma: float = 0.0,
    keep_out: float = 0.0,
) -> np.ndarray:
    """``n`` random points strictly inside ``parent``.

    With ``sigma`` > 0 they scatter normally around ``center`` (an urban core);
    otherwise uniformly, avoiding ``keep_out`` around ``center`` so rural seeds
    do not land in the core. Both constraints are dropped if the parent is too
    small or thin to satisfy them.
    """
    shapely.prepare(parent)
    minx, miny, maxx, maxy = parent.bounds
    found: list[np.ndarray] = []
    count = 0
    for attempt in range(_MAX_DRAWS):
        relaxed = attempt >= _MAX_DRAWS // 2
        batch = max(4 * n, 32)
        if center is not None and sigma > 0 and not relaxed:
            xy = rng.normal(loc=center, scale=sigma, size=(batch, 2))
        else:
            xy = np.column_stack([rng.uniform(minx, maxx, batch), rng.uniform(miny, maxy, batch)])
            if center is not None and keep_out > 0 and not relaxed:
                xy = xy[np.hypot(xy[:, 0] - center[0], xy[:, 1] - center[1]) >= keep_out]
        xy = xy[shapely.contains_xy(parent, xy[:, 0], xy[:, 1])]
        found.append(xy)
        count += len(xy)
        if count >= n:
            return np.concatenate(found)[:n]
    raise RuntimeError(f"could not place {n} points inside a polygon of area {parent.area}")


def _clipped_cells(parent: BaseGeometry, points: np.ndarray) -> np.ndarray:
    """Voronoi cells of ``points`` (in input order) clipped to ``parent``."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=parent, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(points):
        raise RuntimeError("duplicate seed points: Voronoi merged cells")
    return shapely.intersection(cells, parent)


def partition(
    parent: BaseGeometry,
    points: np.ndarray,
    pull: np.ndarray,
    center: tuple[float, float],
    steps: int = LLOYD_STEPS,
) -> tuple[list[Polygon | MultiPolygon], np.ndarray]:
    """Cells tiling ``parent`` and the relaxed seed points (one per cell).

    Each Lloyd step moves a seed to its cell's centroid, then a share ``pull``
    of the way toward ``center``; moves that would leave the parent are skipped.
    """
    points = np.asarray(points, dtype=float)
    if len(points) == 1:
        return [polygonal(parent)], points
    shapely.prepare(parent)
    target = np.asarray(center, dtype=float)
    for _ in range(steps):
        cent = shapely.get_coordinates(shapely.centroid(_clipped_cells(parent, points)))
        moved = cent + pull[:, None] * (target - cent)
        inside = shapely.contains_xy(parent, moved[:, 0], moved[:, 1])
        # Two seeds landing on the same spot would merge cells; keep the old one then.
        _, first = np.unique(np.round(moved, 12), axis=0, return_index=True)
        unique = np.zeros(len(points), dtype=bool)
        unique[first] = True
        points = np.where((inside & unique)[:, None], moved, points)
    cells = [polygonal(c) for c in _clipped_cells(parent, points)]
    if any(c.is_empty for c in cells):
        raise RuntimeError("empty Voronoi cell inside parent")
    return _merge_fragments(cells, points), points


def _merge_fragments(cells: list[Polygon | MultiPolygon], points: np.ndarray) -> list[Polygon | MultiPolygon]:
    """Give detached pieces of a cell to the neighbour sharing the longest edge with them.

    Clipping a Voronoi cell to a concave parent can leave a stray piece beyond a
    bay of the boundary; an area in two pieces looks wrong on a map. Pieces that
    touch no other cell along an edge (islands) stay where they are.
    """
    cells = list(cells)
    for i, cell in enumerate(cells):
        if not isinstance(cell, MultiPolygon):
            continue
        parts = list(cell.geoms)
        home = [k for k, part in enumerate(parts) if part.contains(shapely.Point(points[i]))]
        keep = [parts[home[0] if home else int(np.argmax([q.area for q in parts]))]]
        for part in parts:
            if part is keep[0]:
                continue
            shared = [
                (part.boundary.intersection(other.boundary).length, j)
                for j, other in enumerate(cells)
                if j != i and part.intersects(other)
            ]
            length, j = max(shared, default=(0.0, -1))
            merged = polygonal(shapely.union(cells[j], part)) if length > 0 else None
            if merged is not None and merged.is_valid and isinstance(merged, Polygon):
                cells[j] = merged
            else:
                keep.append(part)
        cells[i] = keep[0] if len(keep) == 1 else MultiPolygon(keep)
    return cells
