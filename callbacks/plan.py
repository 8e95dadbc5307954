"""三年计划 callbacks: statuses as of the view's end; a click on a domain writes `domain=` to the URL.

The status date is the view's last day, never after the data's as-of date, so a view of an earlier period shows
what was done and late back then. `domain=<code>` narrows the tiles, late list, timeline and table.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs

import pandas as pd
from dash import Dash, Input, Output, State, ctx, no_update

from callbacks.common import current_view, run_query
from dashboard.context import services
from dashboard.formatting import date_cn
from dashboard.ids import PlanPage, Shell
from dashboard.urlstate import ViewState, with_params
from data.queries import plan as q
from layouts import plan as page
from layouts.figures import plan as fig

PARAM = "domain"
VIEW = (Input(Shell.URL, "search"), Input(Shell.DATA_VERSION, "data"))


def domain_from_search(search: object, codes: set[str]) -> str | None:
    """The domain the URL narrows to (`domain=`), or None for all (also for unknown codes)."""
    text = search if isinstance(search, str) else ""
    value = (parse_qs(text[:2000].lstrip("?")).get(PARAM) or [""])[0][:20]
    return value if value in codes else None


def status_date(state: ViewState, as_of: date) -> date:
    """The date statuses are evaluated at: the view's end, at most the data's as-of date."""
    return min(state.period.end, as_of)


def _items(search: str | None) -> tuple[ViewState, date, pd.DataFrame, str | None, pd.DataFrame]:
    """The view, the status date, all items that apply, the selected domain and the items of that domain."""
    state = current_view(search)
    when = status_date(state, services().today())
    items = run_query(q.plan_items, state.area, when)
    domain = domain_from_search(search, set(items["domain_code"]))
    return state, when, items, domain, items[items["domain_code"] == domain] if domain else items


def register(app: Dash) -> None:
    """Wire the page: tiles, late list, table and chip; domains; timeline; domain clicks and the chip's ×."""

    @app.callback(Output(PlanPage.TILES, "children"), Output(PlanPage.LATE, "children"),
                  Output(PlanPage.TABLE, "children"), Output(PlanPage.CONTEXT, "children"),
                  Output(PlanPage.CHIP, "hidden"), Output(PlanPage.CHIP_LABEL, "children"), *VIEW)
    def fill_items(search: str | None, _version: str | None):
        state, when, items, domain, shown = _items(search)
        label = shown["domain"].iloc[0] if domain and len(shown) else ""
        context = f"{page.PLAN_NAME} · {state.area.name}适用事项 · 状态截至 {date_cn(when)} · 演示数据"
        return page.tiles(shown), page.late_list(shown), page.table(shown), context, domain is None, label

    @app.callback(Output(PlanPage.DOMAINS, "figure"), *VIEW)
    def fill_domains(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.domains_figure(run_query(q.plan_by_domain, state.area, status_date(state, services().today())))

    @app.callback(Output(PlanPage.TIMELINE, "figure"), *VIEW)
    def fill_timeline(search: str | None, _version: str | None):
        state, when, _items_all, _domain, shown = _items(search)
        return fig.timeline_figure(shown, run_query(q.plan_milestones, state.area, when), when)

    @app.callback(Output(Shell.URL, "search", allow_duplicate=True), Output(PlanPage.DOMAINS, "clickData"),
                  Input(PlanPage.DOMAINS, "clickData"), Input(PlanPage.CHIP_CLEAR, "n_clicks"),
                  State(Shell.URL, "search"), prevent_initial_call=True)
    def pick_domain(click: dict | None, _clear: int | None, search: str | None):
        if ctx.triggered_id == PlanPage.CHIP_CLEAR:
            return (with_params(search, **{PARAM: None}) if ctx.triggered[0].get("value") else no_update), None
        points = (click or {}).get("points") or []
        data = points[0].get("customdata") if points and isinstance(points[0], dict) else None
        if not isinstance(data, list) or not data:
            return no_update, None
        return with_params(search, **{PARAM: str(data[0])[:20]}), None
