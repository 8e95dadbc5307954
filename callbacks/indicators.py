"""指标与调查 callbacks: tiles, table and three charts from one query each; a table row writes `ind=` to the URL.

`ind=<indicator code>` is the page's own URL parameter (the indicator drawn over time); an unknown code falls
back to the crime rate, so a bad link still shows a page.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs

from dash import ALL, Dash, Input, Output, State, ctx, no_update

from callbacks.common import current_view, run_query
from dashboard.formatting import date_cn
from dashboard.ids import IndicatorsPage, Shell
from dashboard.urlstate import with_params
from data.queries import indicators as q
from layouts import indicators as page
from layouts.figures import indicators as fig

PARAM = "ind"
VIEW = (Input(Shell.URL, "search"), Input(Shell.DATA_VERSION, "data"))


def indicator_from_search(search: object, known: list[str] | set[str]) -> str:
    """The indicator the URL selects (`ind=`), or the default when it names none we know."""
    text = search if isinstance(search, str) else ""
    value = (parse_qs(text[:2000].lstrip("?")).get(PARAM) or [""])[0][:40]
    return value if value in known else page.DEFAULT_INDICATOR


def context_line(view_name: str, shown_name: str, period_end: date) -> str:
    """Whose values are shown (a township view shows its county's) and up to when."""
    whose = shown_name if shown_name == view_name else f"{shown_name}（{view_name}所在县区，指标按市、县区两级发布）"
    return f"{whose} · 截至 {date_cn(period_end)} 的最新发布值 · 不受案件类型筛选影响"


def register(app: Dash) -> None:
    """Wire the page: tiles and table, the series, ranks and survey charts, row clicks writing the URL."""

    @app.callback(Output(IndicatorsPage.TILES, "children"), Output(IndicatorsPage.TABLE, "children"),
                  Output(IndicatorsPage.CONTEXT, "children"), Output(IndicatorsPage.SCREEN_LINK, "href"), *VIEW)
    def fill_tiles(search: str | None, _version: str | None):
        state = current_view(search)
        shown = run_query(q.value_area, state.area)
        latest = run_query(q.latest_values, shown, state.period)
        selected = indicator_from_search(search, set(latest["code"]))
        return (page.tiles(latest), page.table(latest, selected),
                context_line(state.area.name, shown.name, state.period.end), "/screen-indicators" + state.query())

    @app.callback(Output(IndicatorsPage.SERIES, "figure"), Output(IndicatorsPage.SERIES_TITLE, "children"), *VIEW)
    def fill_series(search: str | None, _version: str | None):
        state = current_view(search)
        code = indicator_from_search(search, set(run_query(q.indicator_catalog)["code"]))
        series = run_query(q.indicator_series, state.area, code)
        title = f"{series['name'].iloc[0]}走势" if len(series) else "指标走势"
        return fig.series_figure(series), title

    @app.callback(Output(IndicatorsPage.RANKS, "figure"), *VIEW)
    def fill_ranks(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.rank_figure(run_query(q.rank_series, state.area))

    @app.callback(Output(IndicatorsPage.SURVEY, "figure"), *VIEW)
    def fill_survey(search: str | None, _version: str | None):
        state = current_view(search)
        return fig.survey_figure(run_query(q.survey_vs_cases, state.area, state.period))

    @app.callback(Output(Shell.URL, "search", allow_duplicate=True),
                  Input({"type": IndicatorsPage.ROW, "code": ALL}, "n_clicks"), State(Shell.URL, "search"),
                  prevent_initial_call=True)
    def select_row(_clicks, search: str | None):
        hit = ctx.triggered_id
        if not isinstance(hit, dict) or not ctx.triggered[0].get("value"):
            return no_update
        if indicator_from_search(search, {hit["code"]}) == hit["code"]:
            return no_update
        return with_params(search, **{PARAM: str(hit["code"])[:40]})
