"""指标大屏 callbacks: fill the canvas from the URL's view, and again on every refresh tick.

Each tile group and each panel is one query and one builder, as on the pages they summarise (the numbers are
the same as on /indicators, /plan and /opinion for the same view).
"""

from __future__ import annotations

import math

import pandas as pd
from dash import Dash, Input, Output, State
from dash import html as dhtml

from callbacks.common import current_view, run_query
from dashboard.context import services
from dashboard.formatting import count_full, date_cn, percent, period_cn
from dashboard.ids import ScreenIndicatorsPage as Ids
from dashboard.ids import Shell
from data.models_strategy import PlanStatus
from data.queries import indicators as qi
from data.queries import opinion as qo
from data.queries import plan as qp
from data.queries.base import Grain
from layouts.figures import indicators as fig_ind
from layouts.figures import opinion as fig_op
from layouts.figures import plan as fig_plan
from layouts.figures.indicators import format_value, period_label, rank_text, screen_style
from layouts.screen_indicators import tile

VIEW = (State(Shell.URL, "search"), Input(Ids.REFRESH, "n_intervals"), Input(Shell.DATA_VERSION, "data"))
CLOCK_JS = """function (_n) {
    var d = new Date(), p = function (x) { return String(x).padStart(2, '0'); };
    return d.getFullYear() + '年' + (d.getMonth() + 1) + '月' + d.getDate() + '日 '
        + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
}"""


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def indicator_tiles(latest: pd.DataFrame) -> list:
    """群众安全感, 刑事案件发案率 and 反诈知晓率: latest value, period and tier or change."""
    rows = {r["code"]: r for r in latest.to_dict("records")}
    out = []
    for key, code in (("sind_safety", "safety_sense"), ("sind_crime", "crime_rate"), ("sind_fraud", "fraud_awareness")):
        r = rows.get(code)
        if r is None:
            out.append(tile(key, code, "—", "暂无数据"))
            continue
        extra = (_text(r["tier"]) if _text(r["tier"]) else
                 rank_text(r["province_rank"], r["rank_total"], _text(r["rank_group"])))
        if not extra and _text(r["change"]):
            extra = f"较上期 {r['change']:+.2f}"
        note = " · ".join(x for x in (period_label(r["period_key"]), extra) if x)
        value = format_value(r["value"], r["unit"]) if r["unit"] == "%" else f"{r['value']:.2f}"
        label = r["name"] if r["unit"] == "%" else f"{r['name']}（{r['unit']}）"
        out.append(tile(key, label, value, note, "good", bool(r["is_demo"])))
    return out


def plan_tile(items: pd.DataFrame) -> list:
    """三年计划: items done of all, with the late count and the milestone completion rate."""
    done = int((items["status"] == str(PlanStatus.DONE)).sum())
    late = int((items["status"] == str(PlanStatus.LATE)).sum())
    progress = float(items["progress"].mean()) if len(items) else float("nan")
    note = f"滞后 {late} 项 · 节点完成率 {percent(None if math.isnan(progress) else progress, 1)}"
    return [tile("sind_plan", "三年计划完成事项", f"{done}/{len(items)}", note, "", True)]


def opinion_tiles(kpis: pd.DataFrame) -> list:
    """舆情总量 and 负面占比 of the period."""
    row = kpis.iloc[0]
    share = float(row["negative_share"])
    return [tile("sind_opinion_volume", "舆情总量", count_full(row["volume"]),
                 f"上一时段 {count_full(row['previous_volume'])} 条"),
            tile("sind_negative_share", "负面占比", percent(None if math.isnan(share) else share, 1),
                 f"负面 {count_full(row['negative'])} 条", "warn")]


def tier_list(latest: pd.DataFrame) -> list:
    """The survey's latest tiers, grouped: which indicators stand in which tier, and when."""
    tiered = latest[latest["tier"].map(lambda t: bool(_text(t)))]
    if tiered.empty:
        return [dhtml.Div("暂无调查梯队数据", className="sind-empty")]
    groups = []
    for tier, part in tiered.groupby("tier", sort=False):
        when = "、".join(sorted({period_label(k) for k in part["tier_key"]}))
        demo = bool(part["tier_is_demo"].any())
        groups.append(dhtml.Div([dhtml.Div([dhtml.Strong(tier), dhtml.Span(when, className="sind-tier-when"),
                                            dhtml.Span("演示" if demo else "公开", className="ind-badge demo" if demo
                                                       else "ind-badge published")], className="sind-tier-head"),
                                 dhtml.Div("、".join(part["name"]), className="sind-tier-names")], className="sind-tier"))
    return groups


def register(app: Dash) -> None:
    """Wire the canvas: clock, header, three tile groups, the tiers and five panels."""
    app.clientside_callback(CLOCK_JS, Output(Ids.CLOCK, "children"), Input(Ids.CLOCK_TICK, "n_intervals"))

    @app.callback(Output(Ids.AREA_LABEL, "children"), Output(Ids.PERIOD_LABEL, "children"),
                  Output(Ids.DATA_DATE, "children"), Output(Ids.EXIT, "href"), *VIEW)
    def fill_head(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        return (state.area.name, period_cn(state.period.start, state.period.end), date_cn(services().today()),
                "/indicators" + state.query())

    @app.callback(Output(Ids.TILES_INDICATORS, "children"), Output(Ids.TIERS, "children"), *VIEW)
    def fill_indicator_tiles(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        latest = run_query(qi.latest_values, run_query(qi.value_area, state.area), state.period)
        return indicator_tiles(latest), tier_list(latest)

    @app.callback(Output(Ids.TILES_PLAN, "children"), *VIEW)
    def fill_plan_tile(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        return plan_tile(run_query(qp.plan_items, state.area, min(state.period.end, services().today())))

    @app.callback(Output(Ids.TILES_OPINION, "children"), *VIEW)
    def fill_opinion_tiles(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        return opinion_tiles(run_query(qo.opinion_kpis, state.area, state.period, state.kinds))

    @app.callback(Output(Ids.CRIME, "figure"), *VIEW)
    def fill_crime(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        return screen_style(fig_ind.series_figure(run_query(qi.indicator_series, state.area, "crime_rate")))

    @app.callback(Output(Ids.FRAUD, "figure"), *VIEW)
    def fill_fraud(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        return screen_style(fig_ind.series_figure(run_query(qi.indicator_series, state.area, "fraud_awareness")))

    @app.callback(Output(Ids.RANKS, "figure"), *VIEW)
    def fill_ranks(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        return screen_style(fig_ind.rank_figure(run_query(qi.rank_series, state.area)))

    @app.callback(Output(Ids.PLAN, "figure"), *VIEW)
    def fill_plan(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        when = min(state.period.end, services().today())
        return screen_style(fig_plan.domains_figure(run_query(qp.plan_by_domain, state.area, when)))

    @app.callback(Output(Ids.OPINION, "figure"), *VIEW)
    def fill_opinion(search: str | None, _tick: int | None, _version: str | None):
        state = current_view(search)
        frame = run_query(qo.opinion_over_time, state.area, state.period, state.kinds, Grain.MONTH)
        return screen_style(fig_op.volume_figure(frame, Grain.MONTH), month_ticks=True)
