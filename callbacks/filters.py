"""Filter-bar callbacks: render the bar from the URL; write the URL when the date range or kinds change."""

from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from callbacks.common import current_view
from dashboard.auth import current_principal
from dashboard.context import services
from dashboard.ids import Filters, Shell
from dashboard.periods import QUICK_PICKS, quick_period
from dashboard.urlstate import with_params
from data.filters import short_code
from data.queries.areas import area_path
from layouts.filters import crumb_links, quick_links


def register(app: Dash) -> None:
    @app.callback(
        Output(Filters.BREADCRUMB, "children"),
        Output(Filters.QUICK, "children"),
        Output(Filters.DATES, "start_date"),
        Output(Filters.DATES, "end_date"),
        Output(Filters.KINDS, "value"),
        Input(Shell.URL, "pathname"),
        Input(Shell.URL, "search"),
    )
    def render_bar(pathname: str | None, search: str | None):
        state = current_view(search)
        path = pathname or "/"
        scope = current_principal().scope  # current_view guarantees there is one
        chain = [(a.name, path + with_params(search, area=short_code(a.code)))
                 for a in area_path(services().engine, state.area) if scope.contains(a.code)]
        today = services().today()
        picks = []
        for key, label in QUICK_PICKS.items():
            p = quick_period(key, today)
            href = path + with_params(search, **{"from": p.start.isoformat(), "to": p.end.isoformat()})
            picks.append((label, href, p == state.period))
        kinds = [str(k) for k in state.kinds]
        return (crumb_links(chain, state.area.code), quick_links(picks),
                state.period.start.isoformat(), state.period.end.isoformat(), kinds)

    @app.callback(
        Output(Shell.URL, "search", allow_duplicate=True),
        Input(Filters.DATES, "start_date"),
        Input(Filters.DATES, "end_date"),
        Input(Filters.KINDS, "value"),
        State(Shell.URL, "search"),
        prevent_initial_call=True,
    )
    def write_url(start: str | None, end: str | None, kinds: list[str] | None, search: str | None):
        state = current_view(search)
        wanted = (start[:10] if start else None, end[:10] if end else None, sorted(kinds or []))
        shown = (state.period.start.isoformat(), state.period.end.isoformat(), sorted(str(k) for k in state.kinds))
        if None in wanted[:2] or wanted == shown:
            return no_update
        return with_params(search, **{"from": wanted[0], "to": wanted[1], "kind": wanted[2]})
