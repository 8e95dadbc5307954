"""地图 /map: the current area's children colored by a metric, a ranking beside it, a grid's people and cases.

Static frame only; `callbacks.map` fills it from the URL (area, period, kinds, metric). The grid panel's
HTML is built here from query results so that the callback stays thin.
"""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboard.formatting import date_cn
from dashboard.ids import MapPage
from data.queries.map import DEFAULT_METRIC, METRIC_LABELS, MapMetric
from data.vocab import KIND_LABELS, STATUS_LABELS, WORKER_ROLE_LABELS, Kind, Status, WorkerRole
from layouts.components import export_menu, report_menu
from layouts.figures.common import empty_figure

PATH = "/map"
TITLE = "地图"
CENTERS_ON = "on"
GRAPH_CONFIG = {"displayModeBar": False, "scrollZoom": True, "responsive": True}
# The 导出 menu of a chart sits in its panel's top right corner, over the figure's empty margin.
EXPORT_CORNER = {"position": "absolute", "top": "8px", "right": "10px", "zIndex": 5}


def layout(**_query: str) -> html.Div:
    """Title line and controls above; the map (about 60% of the width) beside the ranking or grid panel."""
    return html.Div(
        [
            html.Div(
                [
                    html.H2([html.Span(id=MapPage.AREA_NAME, className="map-area-name"),
                             html.Span(id=MapPage.SUBTITLE, className="map-subtitle")],
                            id=MapPage.TITLE, className="map-title"),
                    html.Div(
                        [
                            dcc.RadioItems(id=MapPage.METRIC, value=str(DEFAULT_METRIC), inline=True,
                                           options=[{"label": METRIC_LABELS[m], "value": str(m)} for m in MapMetric],
                                           className="map-metric"),
                            dcc.Checklist(id=MapPage.CENTERS, value=[CENTERS_ON], className="map-centers",
                                          options=[{"label": "显示服务中心", "value": CENTERS_ON}]),
                            report_menu("map"),
                        ],
                        className="map-controls",
                    ),
                ],
                className="map-head",
            ),
            html.Div(
                [
                    html.Div([dcc.Graph(id=MapPage.GRAPH, figure=empty_figure("地图加载中…"), config=GRAPH_CONFIG,
                                        className="map-graph"),
                              html.Div(export_menu("map-choropleth"), style=EXPORT_CORNER)],
                             className="map-main", style={"position": "relative"}),
                    html.Div(
                        [
                            html.Div([dcc.Graph(id=MapPage.RANKING, figure=empty_figure("排名加载中…"),
                                                config={**GRAPH_CONFIG, "scrollZoom": False},
                                                className="map-ranking-graph"),
                                      html.Div(export_menu("map-ranking"), style=EXPORT_CORNER)],
                                     className="map-ranking", style={"position": "relative"}),
                            html.Div(id=MapPage.GRID_PANEL, className="map-grid-panel"),
                        ],
                        id=MapPage.SIDE,
                        className="map-side",
                    ),
                ],
                className="map-body",
            ),
        ],
        className="map-page",
    )


def grid_panel(grid_name: str, workers: pd.DataFrame, cases: pd.DataFrame) -> list:
    """A grid's liaisons, its village's grid staff (with the grid each sits on) and its latest cases."""
    return [
        html.H3(f"{grid_name} · 网格力量", className="map-panel-title"),
        html.Div([_worker_group(workers, role) for role in WorkerRole], id=MapPage.GRID_WORKERS,
                 className="map-workers"),
        html.H3("最近登记案件", className="map-panel-title"),
        html.Div(_cases_table(cases), id=MapPage.GRID_CASES),
    ]


def _worker_group(workers: pd.DataFrame, role: WorkerRole) -> html.Div:
    """One role's people as chips; staff sitting on another grid of the village show that grid."""
    rows = workers[workers["role"] == str(role)]
    chips = [html.Span([r.name, html.Small(r.grid_name)] if role == WorkerRole.GRID_STAFF else r.name,
                       className="map-chip") for r in rows.itertuples(index=False)]
    body = chips or [html.Span("暂无", className="map-empty")]
    return html.Div([html.Div(f"{WORKER_ROLE_LABELS[role]}（{len(rows)}人）", className="map-role"), *body],
                    className="map-role-group")


def _cases_table(cases: pd.DataFrame) -> html.Table | html.Div:
    """The latest cases, newest first, with Chinese kind and status labels."""
    if cases.empty:
        return html.Div("所选时段内本网格无登记案件", className="map-empty")
    head = html.Tr([html.Th(t) for t in ("案件编号", "类型", "类别", "登记日期", "状态")])
    body = [
        html.Tr([html.Td(r.case_no), html.Td(KIND_LABELS[Kind(r.kind)]), html.Td(r.category),
                 html.Td(date_cn(pd.Timestamp(r.reported_at).date())),
                 html.Td(STATUS_LABELS[Status(r.status)], className=f"status-{r.status}")])
        for r in cases.itertuples(index=False)
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="map-cases")
