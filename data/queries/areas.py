"""Questions about the hierarchy itself: an area's ancestors (for the breadcrumb)."""

from __future__ import annotations

from sqlalchemy import Engine, select

from data.filters import AreaRef
from data.models import Area
from data.vocab import Level


def area_path(engine: Engine, area: AreaRef) -> list[AreaRef]:
    """The chain city → … → area, top first (the area itself last)."""
    areas = Area.__table__
    with engine.connect() as conn:
        row = conn.execute(
            select(areas.c.county_code, areas.c.township_code, areas.c.village_code).where(areas.c.code == area.code)
        ).one()
        codes = [c for c in (row.county_code, row.township_code, row.village_code) if c and c != area.code]
        found = {
            r.code: AreaRef(r.code, Level(r.level), r.name)
            for r in conn.execute(select(areas.c.code, areas.c.level, areas.c.name).where(areas.c.code.in_(codes)))
        }
        root = conn.execute(select(areas.c.code, areas.c.name).where(areas.c.level == str(Level.CITY))).one()
    chain = [AreaRef(root.code, Level.CITY, root.name)] if area.level != Level.CITY else []
    return chain + [found[c] for c in codes if c in found] + [area]
