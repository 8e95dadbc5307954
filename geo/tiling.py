"""How well a set of child polygons tiles its parent.

Shared by the tests and by boundary imports: both need one number for "gaps"
and one for "overlaps" instead of eyeballing maps.
"""

from __future__ import annotations

from collections.abc import Sequence

import shapely
from shapely.geometry.base import BaseGeometry


def tiling_error(parent: BaseGeometry, children: Sequence[BaseGeometry]) -> tuple[float, float]:
    """(gap share, overlap share) of the parent's area.

    Gap: parent area no child covers. Overlap: child area covered more than once
    or lying outside the parent. Areas are planar in the input coordinates, which
    is fine for shares of a small region in lon/lat.
    """
    area = parent.area
    if area <= 0:
        raise ValueError("parent has no area")
    union = shapely.union_all(list(children))
    gap = parent.difference(union).area / area
    inside = union.intersection(parent).area
    overlap = (sum(child.area for child in children) - inside) / area
    return max(gap, 0.0), max(overlap, 0.0)
