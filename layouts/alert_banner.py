"""The 重大 warning banner: shown over every page (and the wall screen) while a 重大 warning in the user's scope
is not acknowledged. `callbacks.alert_banner` fills it; the shell includes `banner()` once.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.ids import AlertsPage

BANNER_SECONDS = 10  # how soon a new 重大 warning shows, and an acknowledged one goes


def banner() -> html.Div:
    """The hidden banner, its state store (truthy while an unacknowledged 重大 warning exists) and its timer."""
    return html.Div(
        [dcc.Interval(id=AlertsPage.BANNER_TICK, interval=BANNER_SECONDS * 1000),
         html.Div([html.Span("重大预警", className="ops-banner-level"),
                   html.Span(id=AlertsPage.BANNER_TEXT, className="ops-banner-text"),
                   dcc.Link("立即处置", id=AlertsPage.BANNER_LINK, href="/alerts")],
                  id=AlertsPage.BANNER, className="ops-banner", role="alert", hidden=True),
         dcc.Store(id=AlertsPage.BANNER_STATE, data=None)]
    )
