"""专项行动 callbacks: the list and the selected campaign's three charts; a list row writes `campaign=` to the URL.

`campaign=<code>` selects the campaign shown in detail; a code the view may not see (another county's
campaign, a forged value) falls back to the newest campaign of the list.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, no_update

from callbacks.common import current_view, run_query
from dashboard.formatting import period_cn
from dashboard.ids import CampaignsPage, Shell
from dashboard.urlstate import ViewState, with_params
from data.queries import campaigns as q
from layouts import campaigns as page
from layouts.figures import campaigns as fig
from layouts.figures.common import empty_figure

PARAM = "campaign"
VIEW = (Input(Shell.URL, "search"), Input(Shell.DATA_VERSION, "data"))


def _param(search: object) -> str:
    text = search if isinstance(search, str) else ""
    return (parse_qs(text[:2000].lstrip("?")).get(PARAM) or [""])[0][:40]


def campaign_from_search(search: object, codes: list[str]) -> str | None:
    """The campaign the URL selects if it is in the list, else the first of the list (None when empty)."""
    value = _param(search)
    return value if value in codes else (codes[0] if codes else None)


def _selected(search: str | None, campaigns: Callable = q.campaign_choices
              ) -> tuple[ViewState, pd.DataFrame, str | None]:
    """The view, the campaigns it may choose from and the selected campaign's code (through the query cache).

    The charts ask `campaign_choices` (no case figures); the list panel asks `campaign_list`, which has the
    same campaigns in the same order with their figures, so it reads the campaigns once."""
    state = current_view(search)
    choices = run_query(campaigns, state.area, state.period)
    return state, choices, campaign_from_search(search, choices["code"].tolist())


def register(app: Dash) -> None:
    """Wire the page: list and title, targets, timeline and comparison, row clicks writing the URL."""

    @app.callback(Output(CampaignsPage.LIST, "children"), Output(CampaignsPage.CONTEXT, "children"),
                  Output(CampaignsPage.TITLE, "children"), Output(CampaignsPage.META, "children"), *VIEW)
    def fill_list(search: str | None, _version: str | None):
        state, listing, code = _selected(search, q.campaign_list)
        row = next((r for r in listing.to_dict("records") if r["code"] == code), None)
        context = (f"{state.area.name} · {period_cn(state.period.start, state.period.end)}内开展的专项行动 · "
                   "各行动按自身时段、范围与关联类别统计")
        return page.campaign_list(listing, code), context, row["name"] if row else "", page.meta_line(row)

    @app.callback(Output(CampaignsPage.TARGETS, "figure"), *VIEW)
    def fill_targets(search: str | None, _version: str | None):
        state, _choices, code = _selected(search)
        return fig.targets_figure(run_query(q.campaign_targets, state.area, code)) if code else empty_figure()

    @app.callback(Output(CampaignsPage.TIMELINE, "figure"), *VIEW)
    def fill_timeline(search: str | None, _version: str | None):
        state, choices, code = _selected(search)
        if code is None:
            return empty_figure()
        row = choices[choices["code"] == code].iloc[0]
        return fig.timeline_figure(run_query(q.campaign_timeline, state.area, code), row["start_date"],
                                   row["end_date"])

    @app.callback(Output(CampaignsPage.BEFORE_AFTER, "figure"), *VIEW)
    def fill_before_after(search: str | None, _version: str | None):
        state, _choices, code = _selected(search)
        return fig.before_after_figure(run_query(q.before_after, state.area, code)) if code else empty_figure()

    @app.callback(Output(Shell.URL, "search", allow_duplicate=True),
                  Input({"type": CampaignsPage.ROW, "code": ALL}, "n_clicks"), State(Shell.URL, "search"),
                  prevent_initial_call=True)
    def select_row(_clicks, search: str | None):
        hit = ctx.triggered_id
        if not isinstance(hit, dict) or not ctx.triggered[0].get("value"):
            return no_update
        code = str(hit["code"])[:40]
        return no_update if _param(search) == code else with_params(search, **{PARAM: code})
