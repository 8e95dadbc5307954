"""What every page callback starts with: the view the URL asks for, made valid (and, later, scoped)."""

from __future__ import annotations

from dashboard.context import services
from dashboard.urlstate import ViewState, parse_view


def current_view(search: str | None) -> ViewState:
    """The valid view for the URL's query string; the one place where a page learns its area and period."""
    svc = services()
    return parse_view(search, svc.engine, svc.today())
