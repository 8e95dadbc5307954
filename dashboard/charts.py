"""The list of exportable charts of every page (see `dashboard.exports.registry.ChartSpec`).

Each spec calls the same query and the same figure builder as the page's callback, with the page's own URL
parameters (`metric=`, `node=`, `grain=`, `rank=`, parsed by the page's own functions, defaults when absent),
so a file shows what the screen shows. Data columns get Chinese headers; codes and case numbers keep headers
containing 编码/编号 so that spreadsheets hold them as text. Figures are made printable here (light colors,
map geometry embedded) without touching the page's builders.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from flask import has_request_context, request
from sqlalchemy import Engine, Select, func, select

from callbacks.flow import node_from_search
from callbacks.map import parse_metric
from callbacks.overdue import child_label
from callbacks.resolution import grain_from_search, rank_from_search
from dashboard import charts_ops, charts_strategy
from dashboard.exports.registry import ChartSpec
from dashboard.exports.render import HEIGHT, TITLE_MARGIN, WIDTH
from dashboard.formatting import count_full, percent
from dashboard.theme import BACKGROUND, BORDER, MUTED, PANEL, TEXT
from dashboard.urlstate import ViewState
from data.models import Area
from data.queries import flow as flow_q
from data.queries import overdue as overdue_q
from data.queries import resolution as resolution_q
from data.queries import screen as screen_q
from data.queries.base import CASES, child_level
from data.queries.geometry import child_features
from data.queries.map import area_bounds, centers_in_view, child_metrics
from data.queries.summary import headline_kpis
from data.vocab import (
    CHANNEL_LABELS,
    HANDLING_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    MODE_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    Status,
)
from layouts.figures import flow as flow_fig
from layouts.figures import map as map_fig
from layouts.figures import overdue as overdue_fig
from layouts.figures import resolution as resolution_fig
from layouts.figures import screen as screen_fig
from layouts.figures.common import base_figure
from layouts.home import MAIN_TILES, STRUCTURE_TILES
from layouts.overdue import TILES as OVERDUE_TILES
from layouts.resolution import TILES as RESOLUTION_TILES
from layouts.screen import TILES as SCREEN_TILES

KPI_LABELS = {t.key: t.label for t in (*MAIN_TILES, *STRUCTURE_TILES)}
DataFn = Callable[[Engine, ViewState], pd.DataFrame]
FigureFn = Callable[[pd.DataFrame, ViewState], go.Figure]


# --- shared helpers ------------------------------------------------------------------------------------------


def page_search() -> str:
    """The export request's query string: page parameters (metric, node, grain, rank) live there, not in the view."""
    return request.query_string.decode("utf-8", "replace")[:2000] if has_request_context() else ""


def with_labels(frame: pd.DataFrame, labels: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """Add `<column>_label` beside each coded column: the builders keep reading codes, the files show Chinese."""
    return frame.assign(**{f"{col}_label": frame[col].map(lambda c, m=mapping: m.get(c, c)) for col, mapping
                           in labels.items()})


def kpi_frame(pairs: list[tuple[str, object]]) -> pd.DataFrame:
    """Tiles as rows 指标, 数值 (object dtype, so counts stay integers beside a rate)."""
    return pd.DataFrame({"指标": [p[0] for p in pairs], "数值": pd.Series([p[1] for p in pairs], dtype=object)})


def _cell_text(value: object) -> str:
    """A table figure's cell: counts with separators, rates with two decimals, dates readable, blanks empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return count_full(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, datetime | pd.Timestamp):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def kpi_figure(frame: pd.DataFrame, _state: ViewState) -> go.Figure:
    """Tiles (指标, 数值) as a table figure, formatted like the tiles: rates as percents, counts in full."""
    shown = [percent(v) if isinstance(v, float) else count_full(v) for v in frame["数值"]]
    fig = base_figure()
    fig.add_trace(go.Table(header={"values": ["指标", "数值"], "font": {"size": 16}, "height": 34},
                           cells={"values": [frame["指标"].tolist(), shown], "font": {"size": 15}, "height": 32}))
    return fig


def table_figure(columns: dict[str, str] | None) -> FigureFn:
    """A builder drawing a table's rows as a plotly Table (tiles and lists have no chart on the page)."""

    def build(frame: pd.DataFrame, _state: ViewState) -> go.Figure:
        shown = frame[[c for c in columns if c in frame.columns]].rename(columns=columns) if columns else frame
        fig = base_figure()
        cells = [[_cell_text(v.item() if hasattr(v, "item") else v) for v in shown[c]] for c in shown.columns]
        fig.add_trace(go.Table(header={"values": list(shown.columns), "font": {"size": 16}, "height": 34},
                               cells={"values": cells, "font": {"size": 15}, "height": 32}))
        return fig

    return build


# Dark-theme colors a builder sets explicitly, and what they become on paper (the light template covers the rest).
PRINT_COLORS = {
    TEXT: "#1f1f1f", MUTED: "#595959", PANEL: "#ffffff", BACKGROUND: "#eef2f7", BORDER: "#c9d3e0",
    "rgba(12,26,46,0.85)": "rgba(255,255,255,0.85)", "rgba(6,16,31,0.6)": "rgba(255,255,255,0.85)",
}
_PRINT_KEYS = {k.lower().replace(" ", ""): v for k, v in PRINT_COLORS.items()}
_SKIP_KEYS = frozenset({"geojson", "template", "customdata", "x", "y", "z", "locations", "lon", "lat", "values"})


def _recolor(node: Any) -> Any:
    """Swap the dark theme's explicit colors for print ones, anywhere in a figure's JSON (data arrays skipped)."""
    if isinstance(node, dict):
        return {k: v if k in _SKIP_KEYS else _recolor(v) for k, v in node.items() if k != "template"}
    if isinstance(node, list):
        return [_recolor(v) for v in node]
    if isinstance(node, str):
        return _PRINT_KEYS.get(node.lower().replace(" ", ""), node)
    return node


def printable(build: FigureFn) -> FigureFn:
    """The page's builder, recolored for a white page: light text on white would otherwise vanish."""

    def build_printable(frame: pd.DataFrame, state: ViewState) -> go.Figure:
        return go.Figure(_recolor(build(frame, state).to_plotly_json()))

    return build_printable


def spec(name: str, title: str, page: str, data: DataFn, figure: FigureFn,
         columns: dict[str, str] | None = None) -> ChartSpec:
    """A ChartSpec whose figure is printable."""
    return ChartSpec(name, title, page, data, printable(figure), columns)


# --- 总览 ------------------------------------------------------------------------------------------------------


def home_kpi_table(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Home tiles as rows: 指标, 数值."""
    row = headline_kpis(engine, state.area, state.period).iloc[0]
    values = [round(float(row[k]), 2) if k == "success_rate" else int(row[k]) for k in KPI_LABELS]
    # object dtype: counts stay integers next to the one rate (a float column would print 3454.0)
    return pd.DataFrame({"指标": list(KPI_LABELS.values()), "数值": pd.Series(values, dtype=object)})


def home_kpi_figure(frame: pd.DataFrame, state: ViewState) -> go.Figure:
    """The home tiles as a two-column table figure."""
    fig = base_figure(f"{state.area.name} 总览指标")
    shown = [percent(v) if name == "调解成功率" else count_full(v) for name, v in zip(frame["指标"], frame["数值"],
                                                                                  strict=True)]
    fig.add_trace(go.Table(header={"values": ["指标", "数值"]}, cells={"values": [frame["指标"], shown]}))
    return fig


# --- 地图 ------------------------------------------------------------------------------------------------------

MAP_COLUMNS = {"code": "区域编码", "name": "区域名称", "population": "常住人口", "cases": "案件数",
               "per_thousand": "每千人案件数", "handled": "办结纠纷", "mediated": "调解成功",
               "success_rate": "调解成功率（%）", "overdue": "逾期在办", "red_cards": "红牌"}
# The map's drawing area in an exported image: the full width, the height between title and footnote.
PRINT_MAP_PX = (WIDTH, HEIGHT - 2 * TITLE_MARGIN)


def map_children(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The children with every map metric (the map callback's query), in code order."""
    return child_metrics(engine, state.area, state.period, state.kinds)


def map_ranked(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The children in the ranking's order for the URL's metric."""
    return map_fig.ranking_order(map_children(engine, state), parse_metric(page_search()))


def map_with_geometry(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The children plus what the image needs in `attrs`: their geometry (kaleido cannot fetch the app's
    /geo URL), the area's bounds and the service centers the page shows by default."""
    frame = map_children(engine, state)
    frame.attrs = {"geojson": child_features(engine, state.area), "bounds": area_bounds(engine, state.area),
                   "centers": centers_in_view(engine, state.area)}
    return frame


def _mercator(lat: float) -> float:
    """Web Mercator y of a latitude (radians of the projected plane)."""
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def to_paper(lon: float, lat: float, center: dict[str, float], zoom: float,
             size: tuple[int, int] = PRINT_MAP_PX) -> tuple[float, float]:
    """Where a lon/lat lies on the map's paper (0–1), as MapLibre projects it (Web Mercator, 512 px tiles)."""
    world = map_fig.TILE_PX * 2 ** zoom
    x = (lon - center["lon"]) / 360.0 * world
    y = (_mercator(lat) - _mercator(center["lat"])) / (2 * math.pi) * world
    return 0.5 + x / size[0], 0.5 + y / size[1]


LABEL_FONT = 13
LABEL_SHIFT = -24  # px: the label sits below its point, so a service-center dot there stays visible


def _label_box(x: float, y: float, name: str, value: str, size: tuple[int, int] = PRINT_MAP_PX) -> tuple:
    """A label's pixel box (left, top, right, bottom), estimated: CJK characters are about one font size wide."""
    width = max(len(name), len(value) * 0.6) * LABEL_FONT + 8
    height = 2 * LABEL_FONT * 1.35 + 6
    cx, cy = x * size[0], (1 - y) * size[1] - LABEL_SHIFT
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def _overlaps(box: tuple, placed: list[tuple]) -> bool:
    """Whether a label box would cover one already placed."""
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed)


def area_labels(children: pd.DataFrame, metric: Any, center: dict[str, float], zoom: float) -> list[dict]:
    """Name and value of the children at their representative points (a printed map cannot be hovered).

    Highest values are placed first; a label that would cover one already placed is left out (the ranking and
    the spreadsheet list every child), so crowded counties stay legible.
    """
    texts = dict(zip(children["code"], map_fig.metric_labels(children, metric), strict=True))
    placed: list[tuple] = []
    notes = []
    for row in map_fig.ranking_order(children, metric).itertuples(index=False):
        if pd.isna(row.lon) or pd.isna(row.lat):
            continue
        x, y = to_paper(float(row.lon), float(row.lat), center, zoom)
        box = _label_box(x, y, row.name, texts[row.code])
        if not (0 <= x <= 1 and 0 <= y <= 1) or _overlaps(box, placed):
            continue
        placed.append(box)
        notes.append({"x": x, "y": y, "xref": "paper", "yref": "paper", "showarrow": False,
                      "text": f"<b>{row.name}</b><br>{texts[row.code]}", "font": {"size": LABEL_FONT, "color": "#1f1f1f"},
                      "bgcolor": "rgba(255,255,255,0.75)", "borderpad": 2, "yshift": LABEL_SHIFT})
    return notes


def map_image(frame: pd.DataFrame, state: ViewState) -> go.Figure:
    """The page's choropleth with its geometry inline, fitted to the exported image and labelled."""
    metric, below = parse_metric(page_search()), child_level(state.area.level)
    bounds = frame.attrs["bounds"]
    fig = map_fig.choropleth_map(frame, metric, frame.attrs["geojson"], bounds, frame.attrs["centers"],
                                 str(below) if below else None, view_key=state.area.code)
    center, zoom = map_fig.fit_view(bounds, PRINT_MAP_PX)
    fig.update_layout(map={"center": center, "zoom": zoom}, annotations=area_labels(frame, metric, center, zoom))
    return fig


def map_ranking_image(frame: pd.DataFrame, state: ViewState) -> go.Figure:
    """The page's ranking of the children by the URL's metric."""
    below = child_level(state.area.level)
    metric = parse_metric(page_search())
    return map_fig.ranking_figure(frame, metric, f"{LEVEL_LABELS[below]}排名" if below else "")


def map_specs() -> list[ChartSpec]:
    """地图: the choropleth and the ranking (both from `child_metrics`, as the page draws them)."""
    return [
        spec("map-choropleth", "地图 · 下级区域分布", "map", map_with_geometry, map_image, MAP_COLUMNS),
        spec("map-ranking", "地图 · 下级区域排名", "map", map_ranked, map_ranking_image, MAP_COLUMNS),
    ]


# --- 案件流转 ---------------------------------------------------------------------------------------------------

OUTCOME_NAMES = {**{str(k): v for k, v in OUTCOME_LABELS.items()}, flow_q.OPEN: STATUS_LABELS[Status.OPEN]}


def _node() -> flow_q.NodeFilter | None:
    """The flow-diagram node the export's URL filters by (`node=`), as on the page."""
    return node_from_search(page_search())


def flow_paths(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The intake per path through the diagram, with Chinese names beside the codes."""
    paths = flow_q.flow_paths(engine, state.area, state.period, state.kinds)
    return with_labels(paths, {"channel": CHANNEL_LABELS, "kind": KIND_LABELS, "first_level": HANDLING_LABELS,
                               "final_level": HANDLING_LABELS, "outcome": OUTCOME_NAMES})


def flow_stages(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Stage durations for the view and node, with the stage names."""
    stages = flow_q.stage_times(engine, state.area, state.period, state.kinds, _node())
    return with_labels(stages, {"stage": flow_fig.STAGE_LABELS})


def flow_escalations(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Escalations per level step for the view and node, with level names."""
    steps = flow_q.escalations(engine, state.area, state.period, state.kinds, _node())
    return with_labels(steps, {"from_level": HANDLING_LABELS, "to_level": HANDLING_LABELS})


def flow_modes(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Intake by handling mode for the view and node, with mode names."""
    return with_labels(flow_q.handling_modes(engine, state.area, state.period, state.kinds, _node()),
                       {"mode": MODE_LABELS})


def flow_weekly(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Weekly intake and closures for the view and node."""
    return flow_q.weekly_flow(engine, state.area, state.period, state.kinds, _node())


def flow_specs() -> list[ChartSpec]:
    """案件流转: the diagram and the four detail charts (the detail charts follow `node=`)."""
    return [
        spec("flow-sankey", "案件流转全景", "flow", flow_paths, lambda f, _s: flow_fig.sankey_figure(f, _node()),
             {"channel_label": "来源渠道", "kind_label": "案件类型", "first_level_label": "首办层级",
              "final_level_label": "终办层级", "outcome_label": "办理结果", "cases": "案件数"}),
        spec("flow-stages", "各环节用时", "flow", flow_stages, lambda f, _s: flow_fig.stage_times_figure(f),
             {"stage_label": "环节", "cases": "案件数", "p50_hours": "中位数（小时）", "p90_hours": "90分位（小时）"}),
        spec("flow-escalations", "逐级提级", "flow", flow_escalations, lambda f, _s: flow_fig.escalation_figure(f),
             {"from_level_label": "提级前层级", "to_level_label": "提级后层级", "escalated": "提级案件数",
              "reached": "经该层级办理", "share": "占受理比例（%）", "rate": "该级提级率（%）", "intake": "受理"}),
        spec("flow-modes", "办理方式", "flow", flow_modes, lambda f, _s: flow_fig.modes_figure(f),
             {"mode_label": "办理方式", "cases": "案件数", "share": "占受理比例（%）"}),
        spec("flow-weekly", "每周受理与办结", "flow", flow_weekly, lambda f, _s: flow_fig.weekly_figure(f),
             {"week": "周（周一）", "days": "时段内天数", "intake": "受理", "closed": "办结"}),
    ]


# --- 化解率 -----------------------------------------------------------------------------------------------------

RATE_COLUMNS = {"closed": "办结", "resolved": "化解", "rate": "化解率（%）"}
MONTHLY_COLUMNS = {"month": "月份", "current": "本期", "previous": "上年同期"}


def resolution_kpis(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The four tiles as rows, unrounded (the tiles round them)."""
    kpis = resolution_q.resolution_kpis(engine, state.area, state.period, state.kinds)
    keys = ("mediation_rate", "resolution_rate", "first_petitions", "first_petitions_yoy")
    return kpi_frame([(tile.label, first_value(kpis, key)) for tile, key in zip(RESOLUTION_TILES, keys, strict=True)])


def first_value(frame: pd.DataFrame, column: str) -> object:
    """The first row's value as a plain int or float, read by column: a row of mixed columns would turn counts
    into floats (NaN stays NaN: an empty cell)."""
    value = frame[column].iloc[0]
    return value.item() if hasattr(value, "item") else value


def resolution_trend(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Rates per bucket at the URL's grain (`grain=`, months by default), with series names."""
    rates = resolution_q.rates_over_time(engine, state.area, state.period, state.kinds,
                                         grain_from_search(page_search()))
    return rates.assign(kind_label=rates["kind"].map(resolution_fig.kind_series_name))


def resolution_categories(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Rates per category in the chart's order, with kind names."""
    cats = resolution_q.rates_by_category(engine, state.area, state.period, state.kinds)
    return with_labels(resolution_fig.category_order(cats), {"kind": KIND_LABELS})


def resolution_ranking(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The children's rates for the URL's ranking metric (`rank=`, mediation by default)."""
    return resolution_q.child_ranking(engine, state.area, state.period, state.kinds, rank_from_search(page_search()))


def resolution_petitions(engine: Engine, state: ViewState) -> pd.DataFrame:
    """First petitions per month beside the year before (kinds do not apply, as on the page)."""
    return resolution_q.first_petitions_by_month(engine, state.area, state.period)


def resolution_repeats(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Repeat visits per month beside the year before."""
    return resolution_q.repeat_visits_by_month(engine, state.area, state.period, state.kinds)


def resolution_specs() -> list[ChartSpec]:
    """化解率: the tiles and the five charts."""
    ranking_columns = {"code": "区域编码", "name": "区域名称", "closed": "本期办结", "success": "本期成功",
                       "rate": "本期比率（%）", "closed_prev": "上年同期办结", "success_prev": "上年同期成功",
                       "rate_prev": "上年同期比率（%）"}
    return [
        spec("resolution-kpis", "化解率指标", "resolution", resolution_kpis, kpi_figure),
        spec("resolution-trend", "化解率走势", "resolution", resolution_trend,
             lambda f, _s: resolution_fig.trend_figure(f, grain_from_search(page_search())),
             {"bucket": "时间（起始日）", "kind_label": "类型", **RATE_COLUMNS}),
        spec("resolution-categories", "分类别化解率", "resolution", resolution_categories,
             lambda f, _s: resolution_fig.category_figure(f),
             {"kind_label": "案件类型", "category": "类别", **RATE_COLUMNS}),
        spec("resolution-ranking", "下级区域排名", "resolution", resolution_ranking,
             lambda f, _s: resolution_fig.ranking_figure(f, rank_from_search(page_search())), ranking_columns),
        spec("resolution-petitions", "初信初访", "resolution", resolution_petitions,
             lambda f, _s: resolution_fig.petitions_figure(f), MONTHLY_COLUMNS),
        spec("resolution-repeats", "重访", "resolution", resolution_repeats,
             lambda f, _s: resolution_fig.repeats_figure(f), MONTHLY_COLUMNS),
    ]


# --- 逾期督办 ---------------------------------------------------------------------------------------------------

AREAS = Area.__table__
CARD_COLUMNS = {"blue": "蓝牌", "yellow": "黄牌", "red": "红牌"}
OVERDUE_CASE_HEADER = ["案件编号", "案件类型", "类别", "乡镇街道编码", "乡镇街道", "村社区", "网格编码", "责任单位",
                       "登记时间", "办理期限", "逾期天数", "督办牌", "诉求内容"]
STREAM_BATCH = 2_000  # rows fetched from the database cursor at a time while streaming


def overdue_kpis(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The four tiles as rows, counts as integers."""
    summary = overdue_q.overdue_summary(engine, state.area, state.period, state.kinds)
    keys = ("overdue", "red", "due_24h", "due_48h")
    return kpi_frame([(tile.label, first_value(summary, key)) for tile, key in zip(OVERDUE_TILES, keys, strict=True)])


def overdue_frame(query: Callable[..., pd.DataFrame]) -> DataFn:
    """A data function running one overdue query for the view, as the page's callback does."""

    def data(engine: Engine, state: ViewState) -> pd.DataFrame:
        return query(engine, state.area, state.period, state.kinds)

    data.__doc__ = query.__doc__
    return data


def overdue_due_soon(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The due-soon list as the page shows it, with kind names."""
    soon = overdue_q.due_soon_cases(engine, state.area, state.period, state.kinds)
    return with_labels(soon, {"kind": KIND_LABELS})


def overdue_first_page(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The table's first page as the page shows it (the full list streams through `overdue_case_rows`)."""
    page = overdue_q.overdue_cases_page(engine, state.area, state.period, state.kinds, overdue_q.TableRequest())
    return pd.DataFrame(overdue_fig.table_rows(page.rows, state.period.hi))


def overdue_case_count(engine: Engine, state: ViewState) -> int:
    """How many rows the full export would hold (checked against EXPORT_MAX_ROWS before streaming)."""
    stmt = select(func.count()).select_from(CASES).where(
        overdue_q.overdue_at(state.area, state.period.hi, state.kinds))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def overdue_case_select(state: ViewState) -> Select:
    """Every overdue case at the end of the period, most overdue first (the page's default order), with places."""
    at = state.period.hi
    town, village = AREAS.alias("town"), AREAS.alias("village")
    source = CASES.outerjoin(town, town.c.code == CASES.c.township_code).outerjoin(
        village, village.c.code == CASES.c.village_code)
    return (
        select(CASES.c.case_no, CASES.c.kind, CASES.c.category, CASES.c.township_code, town.c.name.label("town"),
               village.c.name.label("village"), CASES.c.grid_code, CASES.c.responsible_unit, CASES.c.reported_at,
               CASES.c.due_at, overdue_q.card_rank(at).label("card"), CASES.c.content)
        .select_from(source)
        .where(overdue_q.overdue_at(state.area, at, state.kinds))
        .order_by(CASES.c.due_at, CASES.c.id)
    )


def _stream_overdue(engine: Engine, state: ViewState) -> Iterator[tuple]:
    """Rows straight from a streaming cursor, a batch at a time: the whole list is never held in memory."""
    at = state.period.hi
    with engine.connect() as conn:
        result = conn.execute(overdue_case_select(state).execution_options(yield_per=STREAM_BATCH))
        for r in result:
            yield (r.case_no, KIND_LABELS.get(r.kind, r.kind), r.category, r.township_code, r.town, r.village,
                   r.grid_code, r.responsible_unit, r.reported_at, r.due_at, overdue_fig.days_overdue(r.due_at, at),
                   overdue_fig.card_label(overdue_q.rank_color(r.card)), r.content)


def overdue_case_rows(engine: Engine, state: ViewState) -> tuple[list[str], Iterator[tuple]]:
    """The full overdue-case list for the streamed CSV/xlsx export: header and a lazy row iterator."""
    return list(OVERDUE_CASE_HEADER), _stream_overdue(engine, state)


def overdue_specs() -> list[ChartSpec]:
    """逾期督办: the tiles, the due-soon list, five charts and the full case list (streamed)."""
    area_columns = {"code": "区域编码", "name": "区域名称"}
    return [
        spec("overdue-kpis", "逾期督办指标", "overdue", overdue_kpis, kpi_figure),
        spec("overdue-due-soon", "即将到期（48小时内）", "overdue", overdue_due_soon,
             table_figure({"case_no": "案件编号", "kind_label": "类型", "unit": "责任单位", "due_at": "办理期限"}),
             {"case_no": "案件编号", "kind_label": "类型", "unit": "责任单位", "due_at": "办理期限"}),
        spec("overdue-by-area", "逾期在办 · 按区域", "overdue", overdue_frame(overdue_q.overdue_by_child),
             lambda f, s: overdue_fig.overdue_by_area_figure(f, child_label(s.area)),
             {**area_columns, "overdue": "逾期在办"}),
        spec("overdue-aging", "逾期时长分布", "overdue", overdue_frame(overdue_q.overdue_aging),
             lambda f, _s: overdue_fig.aging_figure(f), {"bucket": "逾期时长", "overdue": "逾期在办"}),
        spec("overdue-by-unit", "责任单位逾期 Top 15", "overdue", overdue_frame(overdue_q.overdue_by_unit),
             lambda f, _s: overdue_fig.overdue_by_unit_figure(f), {"unit": "责任单位", "overdue": "逾期在办"}),
        spec("overdue-cards-by-area", "督办牌 · 按区域", "overdue", overdue_frame(overdue_q.cards_by_child),
             lambda f, s: overdue_fig.cards_by_area_figure(f, child_label(s.area)), {**area_columns, **CARD_COLUMNS}),
        spec("overdue-cards-trend", "督办牌发放趋势（按周）", "overdue", overdue_frame(overdue_q.cards_by_week),
             lambda f, _s: overdue_fig.cards_trend_figure(f), {"week": "周（周一）", **CARD_COLUMNS}),
        ChartSpec("overdue-cases", "逾期案件清单", "overdue", overdue_first_page, None, None,
                  rows=overdue_case_rows, count=overdue_case_count),
    ]


# --- 大屏 -------------------------------------------------------------------------------------------------------

SCREEN_MAP_PX = PRINT_MAP_PX


def screen_kpis(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The wall's five tiles as rows, unrounded."""
    kpis = screen_q.screen_kpis(engine, state.area, state.period, state.kinds)
    keys = ("intake_today", "disputes_handled", "success_rate", "overdue", "red_cards")
    return kpi_frame([(tile.label, first_value(kpis, key)) for tile, key in zip(SCREEN_TILES, keys, strict=True)])


def screen_trend(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Monthly intake by kind over the last 12 months, with kind names."""
    return with_labels(screen_q.monthly_intake(engine, state.area, state.period, state.kinds), {"kind": KIND_LABELS})


def screen_flow(engine: Engine, state: ViewState) -> pd.DataFrame:
    """First-level → final-level counts, with level names."""
    return with_labels(screen_q.flow_levels(engine, state.area, state.period, state.kinds),
                       {"first_level": HANDLING_LABELS, "final_level": HANDLING_LABELS})


def screen_open(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Open cases per child at the period end (map and ranking share it)."""
    return screen_q.open_by_child(engine, state.area, state.period, state.kinds)


def screen_map_data(engine: Engine, state: ViewState) -> pd.DataFrame:
    """Open cases per child, with the children's geometry and the area's bounds for the image."""
    frame = screen_open(engine, state)
    frame.attrs = {"geojson": child_features(engine, state.area), "bounds": screen_q.area_bounds(engine, state.area)}
    return frame


def screen_map_image(frame: pd.DataFrame, state: ViewState) -> go.Figure:
    """The wall's map with its geometry inline, fitted to the exported image."""
    fig = screen_fig.map_figure(frame, frame.attrs["geojson"], state.area.code, frame.attrs["bounds"])
    if not frame.empty:
        fig.update_layout(map=screen_fig.map_view(frame.attrs["bounds"], *SCREEN_MAP_PX))
    return fig


def screen_red_cards(engine: Engine, state: ViewState) -> pd.DataFrame:
    """The latest red cards, as the ticker lists them."""
    return screen_q.latest_red_cards(engine, state.area, state.period, state.kinds)


def screen_specs() -> list[ChartSpec]:
    """大屏: tiles, trend, flow, map, ranking and the red-card list (exported, not offered on the wall)."""
    open_columns = {"code": "区域编码", "name": "区域名称", "open": "在办案件"}
    red_columns = {"issued_at": "签发时间", "case_no": "案件编号", "township": "乡镇街道", "village": "村社区",
                   "unit": "责任单位"}
    return [
        spec("screen-kpis", "大屏指标", "screen", screen_kpis, kpi_figure),
        spec("screen-trend", "近12个月受理趋势", "screen", screen_trend, lambda f, _s: screen_fig.trend_figure(f),
             {"month": "月份", "kind_label": "案件类型", "cases": "案件数"}),
        spec("screen-flow", "案件流转（首办层级 → 办结层级）", "screen", screen_flow,
             lambda f, _s: screen_fig.flow_figure(f),
             {"first_level_label": "首办层级", "final_level_label": "办结层级", "cases": "案件数"}),
        spec("screen-map", "在办案件分布", "screen", screen_map_data, screen_map_image, open_columns),
        spec("screen-ranking", "在办案件最多的区域", "screen", screen_open, lambda f, _s: screen_fig.ranking_figure(f),
             open_columns),
        spec("screen-red-cards", "最新红牌督办", "screen", screen_red_cards, table_figure(red_columns), red_columns),
    ]


def chart_specs() -> list[ChartSpec]:
    """Every exportable chart, page by page."""
    return [
        ChartSpec("home-kpis", "总览指标", "home", home_kpi_table, home_kpi_figure),
        *map_specs(),
        *flow_specs(),
        *resolution_specs(),
        *overdue_specs(),
        *screen_specs(),
        *charts_ops.CHARTS,
        *charts_strategy.CHARTS,
    ]
