"""The 重大 warning banner: on its own timer, on new data and on page changes, evaluate newly arrived data, then
show the newest unacknowledged 重大 warning in the user's scope until someone acknowledges it.

`register` is idempotent and puts the banner into the layout if the shell does not have it yet, so it can be
called from the shell wiring and from the pages that need it. `AlertsPage.BANNER_STATE` holds the ids of the
warnings shown (None when there is none), for the kiosk rotation to pause on.
"""

from __future__ import annotations

import contextlib
from typing import Any

from dash import Dash, Input, Output
from dash.development.base_component import Component
from sqlalchemy.exc import SQLAlchemyError

from dashboard.auth import current_principal
from dashboard.context import services
from dashboard.ids import AlertsPage, Shell
from data.alert_rules import AlertRules, evaluate_if_new_data, unacknowledged_critical
from layouts.alert_banner import banner

REGISTERED_KEY = "ops_alert_banner"


def has_component(layout: Component, component_id: str) -> bool:
    """Whether the layout already contains a component with this id."""
    if getattr(layout, "id", None) == component_id:
        return True
    return any(getattr(c, "id", None) == component_id for c in layout._traverse())


def banner_text(titles: list[str]) -> str:
    if not titles:
        return ""
    more = f"（另有 {len(titles) - 1} 条重大预警待签收）" if len(titles) > 1 else ""
    return f"{titles[0]}{more}"


def register(app: Dash) -> None:
    """Add the banner (once) and its callback (once) to the app."""
    if app.server.config.get(REGISTERED_KEY):
        return
    app.server.config[REGISTERED_KEY] = True
    if not has_component(app.layout, AlertsPage.BANNER):
        app.layout.children.append(banner())

    @app.callback(Output(AlertsPage.BANNER, "hidden"), Output(AlertsPage.BANNER_TEXT, "children"),
                  Output(AlertsPage.BANNER_LINK, "href"), Output(AlertsPage.BANNER_STATE, "data"),
                  Input(AlertsPage.BANNER_TICK, "n_intervals"), Input(Shell.DATA_VERSION, "data"),
                  Input(Shell.URL, "pathname"))
    def refresh(_tick: Any, _version: Any, _path: Any):
        principal = current_principal()
        if principal is None or principal.scope is None:
            return True, "", "/alerts", None
        engine = services().engine
        # A broken rule file or a busy database must not hide what is stored: evaluation is best effort.
        with contextlib.suppress(SQLAlchemyError, ValueError):
            evaluate_if_new_data(engine, AlertRules.load())
        try:
            frame = unacknowledged_critical(engine, principal.scope)
        except SQLAlchemyError:
            return True, "", "/alerts", None
        if frame.empty:
            return True, "", "/alerts", None
        ids = [int(i) for i in frame["id"]]
        return False, banner_text(list(frame["title"])), f"/alerts?warning={ids[0]}", ids
