"""舆情监测 callbacks: each chart or list from one query for the URL's view; the grain toggle writes the URL.

`grain=week|month` is the page's own URL parameter for the two time charts (months unless it says weeks).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from dash import ALL, Dash, Input, Output, State, ctx, no_update

from callbacks.common import current_view, run_query
from dashboard.formatting import period_cn
from dashboard.ids import OpinionPage, Shell
from dashboard.urlstate import with_params
from data.queries import opinion as q
from data.queries.base import Grain
from data.vocab import KIND_LABELS
from layouts import opinion as page
from layouts.figures import opinion as fig

PARAM = "grain"
VIEW = (Input(Shell.URL, "search"), Input(Shell.DATA_VERSION, "data"))


def grain_from_search(search: object) -> Grain:
    """The time charts' buckets from `grain=`; months unless the URL asks for weeks."""
    text = search if isinstance(search, str) else ""
    value = (parse_qs(text[:2000].lstrip("?")).get(PARAM) or [""])[0][:16]
    return Grain.WEEK if value == Grain.WEEK else Grain.MONTH


def register(app: Dash) -> None:
    """Wire the page: tiles, seven charts and lists, the toggle's state and the toggle writing the URL."""

    @app.callback(Output(OpinionPage.TILES, "children"), Output(OpinionPage.CONTEXT, "children"), *VIEW)
    def fill_tiles(search: str | None, _version: str | None):
        state = current_view(search)
        kinds = "、".join(KIND_LABELS[k] for k in state.kinds) or "全部类型"
        context = f"{state.area.name} · {period_cn(state.period.start, state.period.end)} · {kinds}"
        return page.tiles(run_query(q.opinion_kpis, state.area, state.period, state.kinds)), context

    @app.callback(Output(OpinionPage.SURGE_TILE, "children"), Output(OpinionPage.SURGES, "children"), *VIEW)
    def fill_surges(search: str | None, _version: str | None):
        state = current_view(search)
        surges = run_query(q.opinion_surges, state.area, state.period)
        return page.surge_tile(len(surges)), page.surge_list(surges)

    @app.callback(Output(OpinionPage.VOLUME, "figure"), *VIEW)
    def fill_volume(search: str | None, _version: str | None):
        state, grain = current_view(search), grain_from_search(search)
        return fig.volume_figure(run_query(q.opinion_over_time, state.area, state.period, state.kinds, grain), grain)

    @app.callback(Output(OpinionPage.VS_CASES, "figure"), *VIEW)
    def fill_vs_cases(search: str | None, _version: str | None):
        state, grain = current_view(search), grain_from_search(search)
        return fig.vs_cases_figure(run_query(q.opinion_vs_cases, state.area, state.period, state.kinds, grain), grain)

    @app.callback(Output(OpinionPage.TOPICS, "figure"), *VIEW)
    def fill_topics(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.topics_figure(run_query(q.hot_topics, state.area, state.period, state.kinds))

    @app.callback(Output(OpinionPage.AREAS, "figure"), *VIEW)
    def fill_areas(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.areas_figure(run_query(q.opinion_by_area, state.area, state.period, state.kinds))

    @app.callback(Output(OpinionPage.SOURCES, "figure"), *VIEW)
    def fill_sources(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.sources_figure(run_query(q.opinion_by_source, state.area, state.period, state.kinds))

    @app.callback(Output(OpinionPage.NEGATIVE, "children"), *VIEW)
    def fill_negative(search: str | None, _version: str | None):
        state = current_view(search)
        return page.negative_list(run_query(q.negative_items, state.area, state.period, state.kinds))

    @app.callback(Output(OpinionPage.ACCOUNTS, "figure"), *VIEW)
    def fill_accounts(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.accounts_figure(run_query(q.account_output, state.area, state.period))

    @app.callback(Output({"type": OpinionPage.GRAIN, "value": ALL}, "className"), Input(Shell.URL, "search"))
    def mark_grain(search: str | None):
        grain = grain_from_search(search)
        outputs = ctx.outputs_list if isinstance(ctx.outputs_list, list) else [ctx.outputs_list]
        return ["op-toggle-btn active" if o["id"]["value"] == grain else "op-toggle-btn" for o in outputs]

    @app.callback(Output(Shell.URL, "search", allow_duplicate=True),
                  Input({"type": OpinionPage.GRAIN, "value": ALL}, "n_clicks"), State(Shell.URL, "search"),
                  prevent_initial_call=True)
    def write_grain(_clicks, search: str | None):
        hit = ctx.triggered_id
        if not isinstance(hit, dict) or not ctx.triggered[0].get("value"):
            return no_update
        value = Grain.WEEK if hit.get("value") == Grain.WEEK else Grain.MONTH
        return no_update if grain_from_search(search) == value else with_params(search, **{PARAM: str(value)})
