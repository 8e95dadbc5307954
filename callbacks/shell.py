"""Shell callbacks: navigation keeps the view's query string; bad URL values show a notice."""

from __future__ import annotations

from dash import Dash, Input, Output

from callbacks.common import current_view
from dashboard.auth import current_principal, role_label
from dashboard.ids import Shell
from layouts.shell import nav_links, user_badge


def register(app: Dash) -> None:
    @app.callback(
        Output(Shell.NAV, "children"),
        Output(Shell.NOTICE, "children"),
        Output(Shell.USER, "children"),
        Input(Shell.URL, "pathname"),
        Input(Shell.URL, "search"),
    )
    def update_shell(pathname: str | None, search: str | None):
        state = current_view(search)
        principal = current_principal()
        badge = user_badge(principal.name, role_label(principal), not principal.via_token)
        return nav_links(pathname, state.query()), "；".join(state.notices), badge
