"""Where rows belong: grid codes checked against the areas table, points assigned to the grid containing them.

Both indexes are loaded once per import. Points are compared with the stored outlines, which are GCJ-02
based; WGS84 input is shifted first. A point on a border between grids lies in both; it goes to the grid
with the lowest code so that the same file always gives the same assignment.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, text

from geo.gcj02 import wgs84_to_gcj02

ANCESTORS = ("village_code", "township_code", "county_code")


class GridIndex:
    """Grid codes with their ancestors, plus (lazily) the grid outlines for point-in-polygon assignment."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT code, village_code, township_code, county_code FROM areas WHERE level = 'grid'")).all()
        self.grids = pd.DataFrame(rows, columns=["code", *ANCESTORS]).set_index("code")
        self._shapes: gpd.GeoDataFrame | None = None

    def known(self, codes: pd.Series) -> pd.Series:
        """Mask of codes that are grids of the loaded hierarchy."""
        return codes.isin(self.grids.index)

    def ancestors(self, codes: pd.Series) -> pd.DataFrame:
        """Village, township and county code for each (known) grid code, aligned with `codes`."""
        found = self.grids.reindex(codes.to_numpy())
        found.index = codes.index
        return found

    def _outlines(self) -> gpd.GeoDataFrame:
        if self._shapes is None:
            with self._engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT code, geometry FROM areas WHERE level = 'grid' AND geometry IS NOT NULL")).all()
            codes = np.array([r[0] for r in rows], dtype=object)
            geoms = shapely.from_geojson(np.array([r[1] for r in rows], dtype=object))
            self._shapes = gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs="EPSG:4326")
        return self._shapes

    def locate(self, lon: pd.Series, lat: pd.Series, coords: str = "wgs84") -> pd.Series:
        """Grid code containing each point (None outside every grid); points in `coords` datum."""
        if lon.empty:
            return pd.Series([], dtype=object, index=lon.index)
        x, y = lon.to_numpy(dtype=float), lat.to_numpy(dtype=float)
        if coords == "wgs84":
            x, y = wgs84_to_gcj02(x, y)
        points = gpd.GeoDataFrame({"i": np.arange(len(x))}, geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")
        joined = gpd.sjoin(points, self._outlines(), how="inner", predicate="intersects")
        best = joined.groupby("i")["code"].min()
        out = pd.Series(best.reindex(np.arange(len(x))).to_numpy(), index=lon.index, dtype=object)
        return out.where(out.notna(), None)
