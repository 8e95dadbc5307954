"""What every page callback starts with: the view the URL asks for, made valid and clamped to the user's scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash.exceptions import PreventUpdate
from sqlalchemy.exc import SQLAlchemyError

from dashboard.auth import current_principal
from dashboard.context import remember, services
from dashboard.ids import Shell
from dashboard.urlstate import ViewState, parse_view
from data.cache import DatabaseDown

# The shell re-sends the data version every few seconds (unchanged most of the time): a refresh in place.
DATA_REFRESH = f"{Shell.DATA_VERSION}.data"


def paging_of(table_id: str) -> str:
    """The triggered-prop id of a server-paged table's page change."""
    return f"{table_id}.page_current"


def requested_page(triggered: list[str], page_current: Any, table_id: str) -> Any:
    """Paging and data refreshes keep the table's page; a new view, sort or filter (anything else) starts at
    the first."""
    return page_current if triggered and set(triggered) <= {paging_of(table_id), DATA_REFRESH} else 0


def current_view(search: object) -> ViewState:
    """The valid view for the URL's query string, inside the logged-in user's scope (never wider).

    The scope comes from the server-side principal; whatever the browser sent only selects inside it.
    """
    principal = current_principal()
    if principal is None or principal.scope is None:
        raise PreventUpdate
    svc = services()
    text = search if isinstance(search, str) else ""
    try:
        return remember(f"view:{principal.scope.code}:{text[:2000]}",
                        lambda: parse_view(text, svc.reader, svc.today(), principal.scope))
    except SQLAlchemyError as exc:  # database down and this view never seen: keep what the page shows
        raise PreventUpdate from exc


def run_query(fn: Callable, *args: Any) -> Any:
    """Run `fn(engine, *args)` through the query cache, keyed with the user's scope and the data version.

    When the database is down and no earlier answer is kept, the callback is skipped (the page keeps what
    it shows) rather than failing.
    """
    principal = current_principal()
    scope = principal.scope.code if principal and principal.scope else ""
    try:
        return services().query(fn, *args, scope=scope)
    except DatabaseDown as exc:
        raise PreventUpdate from exc
