"""Shell callbacks: navigation keeps the view's query string; bad URL values show a notice."""

from __future__ import annotations

from dash import Dash, Input, Output

from dashboard.context import services
from dashboard.ids import Shell
from dashboard.urlstate import parse_view
from layouts.shell import nav_links


def register(app: Dash) -> None:
    @app.callback(
        Output(Shell.NAV, "children"),
        Output(Shell.NOTICE, "children"),
        Input(Shell.URL, "pathname"),
        Input(Shell.URL, "search"),
    )
    def update_shell(pathname: str | None, search: str | None):
        svc = services()
        state = parse_view(search, svc.engine, svc.today())
        return nav_links(pathname, state.query()), "；".join(state.notices)
