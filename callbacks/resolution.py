"""化解率 callbacks: tiles and charts from one query each for the URL's view; the toggles write the URL.

`grain=week|month` (trend buckets) and `rank=mediation|resolution` (ranking metric) are page parameters
of the URL, so a link reproduces the view and the back button undoes a toggle.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from dash import ALL, Dash, Input, Output, State, ctx, no_update

from callbacks.common import current_view, run_query
from dashboard.formatting import count_full, percent, period_cn, signed_percent
from dashboard.ids import Kpi, ResolutionPage, Shell
from dashboard.urlstate import with_params
from data.queries import resolution as q
from data.queries.base import Grain
from layouts.figures import resolution as fig
from layouts.resolution import TILES

GRAIN_PARAM, RANK_PARAM = "grain", "rank"
# Every tile and chart follows the URL and refreshes when the data version changes.
VIEW = (Input(Shell.URL, "search"), Input(Shell.DATA_VERSION, "data"))
PARAM_OF = {ResolutionPage.GRAIN: GRAIN_PARAM, ResolutionPage.RANK_METRIC: RANK_PARAM}


def _param(search: str | None, key: str) -> str:
    """One page parameter of the URL, truncated (anything long is garbage), empty when absent."""
    values = parse_qs((search or "").lstrip("?")).get(key) or [""]
    return values[0][:16]


def grain_from_search(search: str | None) -> Grain:
    """The trend's buckets from `grain=`; months unless the URL asks for weeks."""
    return Grain.WEEK if _param(search, GRAIN_PARAM) == Grain.WEEK else Grain.MONTH


def rank_from_search(search: str | None) -> q.RankMetric:
    """The ranking's metric from `rank=`; mediation success unless the URL asks for the resolution rate."""
    return q.RankMetric.RESOLUTION if _param(search, RANK_PARAM) == q.RankMetric.RESOLUTION else q.RankMetric.MEDIATION


def tile_values(kpis) -> list[str]:
    """The four tiles' texts, in TILES order, formatted like `stats` rounds them (rates 2 decimals, 同比 1)."""
    row = kpis.iloc[0]
    return [percent(row["mediation_rate"]), percent(row["resolution_rate"]), count_full(row["first_petitions"]),
            signed_percent(row["first_petitions_yoy"])]


def register(app: Dash) -> None:
    """Wire the page: tiles, five charts, the toggles' state and the toggles writing the URL."""

    @app.callback([Output(Kpi.VALUE.of(t.key), "children") for t in TILES], Output(ResolutionPage.CONTEXT, "children"),
                  *VIEW)
    def fill_tiles(search: str | None, _version: str | None):
        state = current_view(search)
        kpis = run_query(q.resolution_kpis, state.area, state.period, state.kinds)
        return [*tile_values(kpis), f"{state.area.name} · {period_cn(state.period.start, state.period.end)}"]

    @app.callback(Output(ResolutionPage.TREND, "figure"), *VIEW)
    def fill_trend(search: str | None, _version: str | None):
        state, grain = current_view(search), grain_from_search(search)
        return fig.trend_figure(run_query(q.rates_over_time, state.area, state.period, state.kinds, grain), grain)

    @app.callback(Output(ResolutionPage.CATEGORIES, "figure"), *VIEW)
    def fill_categories(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.category_figure(run_query(q.rates_by_category, state.area, state.period, state.kinds))

    @app.callback(Output(ResolutionPage.RANKING, "figure"), *VIEW)
    def fill_ranking(search: str | None, _version: str | None):
        state, metric = current_view(search), rank_from_search(search)
        ranking = run_query(q.child_ranking, state.area, state.period, state.kinds, metric)
        return fig.ranking_figure(ranking, metric)

    @app.callback(Output(ResolutionPage.PETITIONS, "figure"), *VIEW)
    def fill_petitions(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.petitions_figure(run_query(q.first_petitions_by_month, state.area, state.period))

    @app.callback(Output(ResolutionPage.REPEATS, "figure"), *VIEW)
    def fill_repeats(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.repeats_figure(run_query(q.repeat_visits_by_month, state.area, state.period, state.kinds))

    @app.callback(
        Output({"type": ResolutionPage.GRAIN, "value": ALL}, "className"),
        Output({"type": ResolutionPage.RANK_METRIC, "value": ALL}, "className"),
        Input(Shell.URL, "search"),
    )
    def mark_toggles(search: str | None):
        grain, metric = grain_from_search(search), rank_from_search(search)
        return ([_button_class(value == grain) for value in _toggle_values(ctx.outputs_list[0])],
                [_button_class(value == metric) for value in _toggle_values(ctx.outputs_list[1])])

    @app.callback(
        Output(Shell.URL, "search", allow_duplicate=True),
        Input({"type": ResolutionPage.GRAIN, "value": ALL}, "n_clicks"),
        Input({"type": ResolutionPage.RANK_METRIC, "value": ALL}, "n_clicks"),
        State(Shell.URL, "search"),
        prevent_initial_call=True,
    )
    def write_toggle(_grain_clicks, _rank_clicks, search: str | None):
        hit = ctx.triggered_id
        if not isinstance(hit, dict) or not ctx.triggered[0].get("value"):
            return no_update
        return with_params(search, **{PARAM_OF[ResolutionPage(hit["type"])]: hit["value"]})


def _toggle_values(outputs: list | dict) -> list[str]:
    """The `value` of each toggle button the callback writes to (in layout order; a lone dict for one)."""
    items = outputs if isinstance(outputs, list) else [outputs]
    return [str(o["id"].get("value")) if isinstance(o.get("id"), dict) else "" for o in items]


def _button_class(active: bool) -> str:
    """The toggle button's class; the active one shows which view the URL holds."""
    return "res-toggle-btn active" if active else "res-toggle-btn"
