"""Home callbacks: fill the headline tiles from the query layer for the URL's area and period."""

from __future__ import annotations

from dash import Dash, Input, Output

from callbacks.common import current_view, run_query
from dashboard.formatting import count_cn, count_full, percent, period_cn
from dashboard.ids import Home, Kpi, Shell
from data.queries.summary import headline_kpis
from layouts.home import MAIN_TILES, STRUCTURE_TILES

FORMATS = {"success_rate": percent, "grids": count_cn, "grid_liaisons": count_cn}
TILE_KEYS = [t.key for t in (*MAIN_TILES, *STRUCTURE_TILES)]


def register(app: Dash) -> None:
    @app.callback(
        [Output(Kpi.VALUE.of(key), "children") for key in TILE_KEYS],
        Output(Home.AREA_LABEL, "children"),
        Output(Home.PERIOD_LABEL, "children"),
        Input(Shell.URL, "search"),
        Input(Shell.DATA_VERSION, "data"),
    )
    def fill_tiles(search: str | None, _version: str | None):
        state = current_view(search)
        row = run_query(headline_kpis, state.area, state.period).iloc[0]
        values = [FORMATS.get(key, count_full)(row[key]) for key in TILE_KEYS]
        return [*values, state.area.name, period_cn(state.period.start, state.period.end)]
