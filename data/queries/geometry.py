"""Map geometry: the children of an area as one GeoJSON FeatureCollection (one map view)."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from data.filters import AreaRef, short_code
from data.models import Area
from data.vocab import Level


def child_features(engine: Engine, area: AreaRef) -> dict:
    """FeatureCollection of the area's children (a grid: the grid itself); properties code, short, name, level.

    Feature ids are the full area codes, which the choropleth's `locations` use.
    """
    areas = Area.__table__
    cond = areas.c.code == area.code if area.level == Level.GRID else areas.c.parent_code == area.code
    stmt = select(areas.c.code, areas.c.name, areas.c.level, areas.c.geometry).where(cond).order_by(areas.c.code)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    features = [
        {
            "type": "Feature",
            "id": row.code,
            "properties": {"code": row.code, "short": short_code(row.code), "name": row.name, "level": row.level},
            "geometry": json.loads(row.geometry) if row.geometry else None,
        }
        for row in rows
    ]
    return {"type": "FeatureCollection", "features": features}
