"""What every page callback starts with: the view the URL asks for, made valid and clamped to the user's scope."""

from __future__ import annotations

from dash.exceptions import PreventUpdate

from dashboard.auth import current_principal
from dashboard.context import services
from dashboard.urlstate import ViewState, parse_view


def current_view(search: object) -> ViewState:
    """The valid view for the URL's query string, inside the logged-in user's scope (never wider).

    The scope comes from the server-side principal; whatever the browser sent only selects inside it.
    """
    principal = current_principal()
    if principal is None or principal.scope is None:
        raise PreventUpdate
    svc = services()
    return parse_view(search, svc.engine, svc.today(), principal.scope)
