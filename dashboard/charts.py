"""The list of exportable charts of every page (see `dashboard.exports.registry.ChartSpec`)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.exports.registry import ChartSpec
from dashboard.formatting import count_full, percent
from dashboard.urlstate import ViewState
from data.queries.summary import headline_kpis
from layouts.figures.common import base_figure
from layouts.home import MAIN_TILES, STRUCTURE_TILES

KPI_LABELS = {t.key: t.label for t in (*MAIN_TILES, *STRUCTURE_TILES)}


def home_kpi_table(engine, state: ViewState) -> pd.DataFrame:
    """Home tiles as rows: 指标, 数值."""
    row = headline_kpis(engine, state.area, state.period).iloc[0]
    values = [round(float(row[k]), 2) if k == "success_rate" else int(row[k]) for k in KPI_LABELS]
    # object dtype: counts stay integers next to the one rate (a float column would print 3454.0)
    return pd.DataFrame({"指标": list(KPI_LABELS.values()), "数值": pd.Series(values, dtype=object)})


def home_kpi_figure(frame: pd.DataFrame, state: ViewState) -> go.Figure:
    """The home tiles as a two-column table figure."""
    fig = base_figure(f"{state.area.name} 总览指标")
    shown = [percent(v) if name == "调解成功率" else count_full(v) for name, v in zip(frame["指标"], frame["数值"],
                                                                                  strict=True)]
    fig.add_trace(go.Table(header={"values": ["指标", "数值"]}, cells={"values": [frame["指标"], shown]}))
    return fig


def chart_specs() -> list[ChartSpec]:
    """Every exportable chart, page by page."""
    return [
        ChartSpec("home-kpis", "总览指标", "home", home_kpi_table, home_kpi_figure),
    ]
