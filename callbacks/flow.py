"""案件流转 callbacks: each chart from one query for the URL's view; a flow-diagram click writes `node=`.

The node filter lives in the URL like the area and period, so a link reproduces it and the browser's
back button removes it again.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, no_update

from callbacks.common import current_view, run_query
from dashboard.formatting import count_full, period_cn
from dashboard.ids import FlowPage, Shell
from dashboard.urlstate import with_params
from data.queries import flow as q
from layouts.figures import flow as fig

NODE_PARAM = "node"
# Every chart follows the URL and refreshes when the data version changes (an import, the database back).
VIEW = (Input(Shell.URL, "search"), Input(Shell.DATA_VERSION, "data"))


def node_from_search(search: str | None) -> q.NodeFilter | None:
    """The node filter named by the URL's `node=` parameter; None when absent or unknown."""
    values = parse_qs((search or "").lstrip("?")).get(NODE_PARAM) or [None]
    return q.NodeFilter.parse(values[0][:64] if values[0] else None)


def node_from_click(click: dict | None) -> q.NodeFilter | None:
    """The node a Sankey click hit (its customdata is the filter key); None for links and anything else."""
    points = click.get("points") if isinstance(click, dict) else None
    first = points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}
    data = first.get("customdata")
    return q.NodeFilter.parse(data[:64]) if isinstance(data, str) else None


def search_after_click(search: str | None, clicked: q.NodeFilter) -> str:
    """The URL after clicking a node: filter by it, or clear the filter when it is already the active one."""
    current = node_from_search(search)
    return with_params(search, **{NODE_PARAM: None if current == clicked else clicked.key})


def register(app: Dash) -> None:
    """Wire the page: the diagram and context line, the chip, four detail charts, the click and the ✕."""

    @app.callback(Output(FlowPage.SANKEY, "figure"), Output(FlowPage.CONTEXT, "children"), *VIEW)
    def fill_sankey(search: str | None, _version: str | None):
        state = current_view(search)
        paths = run_query(q.flow_paths, state.area, state.period, state.kinds)
        context = (f"{state.area.name} · {period_cn(state.period.start, state.period.end)} · "
                   f"受理 {count_full(int(paths['cases'].sum()))} 件")
        return fig.sankey_figure(paths, node_from_search(search)), context

    @app.callback(Output(FlowPage.CHIP, "hidden"), Output(FlowPage.CHIP_LABEL, "children"), Input(Shell.URL, "search"))
    def fill_chip(search: str | None):
        node = node_from_search(search)
        return (True, "") if node is None else (False, fig.node_label(node.family, node.code))

    @app.callback(Output(FlowPage.STAGES, "figure"), *VIEW)
    def fill_stages(search: str | None, _version: str | None):
        state = current_view(search)
        stages = run_query(q.stage_times, state.area, state.period, state.kinds, node_from_search(search))
        return fig.stage_times_figure(stages)

    @app.callback(Output(FlowPage.ESCALATIONS, "figure"), *VIEW)
    def fill_escalations(search: str | None, _version: str | None):
        state = current_view(search)
        steps = run_query(q.escalations, state.area, state.period, state.kinds, node_from_search(search))
        return fig.escalation_figure(steps)

    @app.callback(Output(FlowPage.MODES, "figure"), *VIEW)
    def fill_modes(search: str | None, _version: str | None):
        state = current_view(search)
        modes = run_query(q.handling_modes, state.area, state.period, state.kinds, node_from_search(search))
        return fig.modes_figure(modes)

    @app.callback(Output(FlowPage.WEEKLY, "figure"), *VIEW)
    def fill_weekly(search: str | None, _version: str | None):
        state = current_view(search)
        weeks = run_query(q.weekly_flow, state.area, state.period, state.kinds, node_from_search(search))
        return fig.weekly_figure(weeks)

    @app.callback(
        Output(Shell.URL, "search", allow_duplicate=True),
        Output(FlowPage.SANKEY, "clickData"),
        Input(FlowPage.SANKEY, "clickData"),
        State(Shell.URL, "search"),
        prevent_initial_call=True,
    )
    def click_node(click: dict | None, search: str | None):
        node = node_from_click(click)
        if node is None:
            return no_update, None
        return search_after_click(search, node), None

    @app.callback(
        Output(Shell.URL, "search", allow_duplicate=True),
        Input(FlowPage.CHIP_CLEAR, "n_clicks"),
        State(Shell.URL, "search"),
        prevent_initial_call=True,
    )
    def clear_node(n_clicks: int | None, search: str | None):
        return with_params(search, **{NODE_PARAM: None}) if n_clicks else no_update
