"""Shell callbacks: navigation keeps the view's query string; bad URL values show a notice."""

from __future__ import annotations

from datetime import datetime

from dash import Dash, Input, Output, State, no_update
from flask import current_app, g

from callbacks.common import current_view
from dashboard.auth import current_principal, role_label
from dashboard.context import services
from dashboard.ids import Shell
from layouts.shell import nav_links, stale_badge, user_badge


def register(app: Dash) -> None:
    register_heartbeat(app)

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
        available = current_app.config.get("NAV_PATHS")
        return nav_links(pathname, state.query(), available), "；".join(state.notices), badge


def register_heartbeat(app: Dash) -> None:
    @app.callback(
        Output(Shell.DATA_VERSION, "data"),
        Output(Shell.STALE, "children"),
        Input(Shell.HEARTBEAT, "n_intervals"),
        State(Shell.DATA_VERSION, "data"),
    )
    def heartbeat(_n: int | None, shown: str | None):
        """Pages listen to DATA_VERSION: change it only when the data (or reachability) really changed."""
        facts = services().facts()
        if facts.reachable and not g.get("cc_stale_since"):
            return (no_update if facts.version == shown else facts.version), ""
        last = datetime.fromtimestamp(facts.checked_at).strftime("%m-%d %H:%M:%S") if facts.checked_at else "未知"
        return "down", stale_badge(last)
