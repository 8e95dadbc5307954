"""平安指数 builders: the index map, ranking and trend, and the breakdown of one area's index into indicator
contributions and their change since the previous period. Pure: frames from `data.queries.safety` in."""

from __future__ import annotations

import math
from functools import partial

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import count_full
from dashboard.theme import BACKGROUND, BAD, BORDER, GOOD, MUTED, PANEL, SMALL_SAMPLE, TEXT
from data.queries.map import Bounds
from data.rules import SMALL_SAMPLE_MIN
from layouts.figures.backlog import month_axis_layout
from layouts.figures.common import compact_layout, empty_figure, figure, trace
from layouts.figures.map import fit_view, map_style

# Index colors: red (50 and below) through amber to green (100); fixed so that views compare.
INDEX_SCALE = [[0.0, "#a8071a"], [0.3, "#ff4d4f"], [0.55, "#faad14"], [0.8, "#36cfc9"], [1.0, "#52c41a"]]
INDEX_RANGE = (50.0, 100.0)
SMALL_FLAG = "样本少"


_compact = partial(compact_layout, top=24)  # this page's charts: `compact_layout` with 24 px above the plot


def fmt_index(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1f}"


def index_range(frame: pd.DataFrame) -> tuple[float, float]:
    """The color range of a map and ranking: the children's own spread (at least 6 points), so that close
    values still differ in color; the colorbar shows the numbers."""
    valid = frame["index"].dropna()
    if valid.empty:
        return INDEX_RANGE
    lo, hi = math.floor(float(valid.min())) - 1.0, math.ceil(float(valid.max())) + 1.0
    if hi - lo < 6:
        pad = (6 - (hi - lo)) / 2
        lo, hi = lo - pad, hi + pad
    return max(lo, 0.0), min(hi, 100.0)


def index_color(value: float, span: tuple[float, float] = INDEX_RANGE) -> str:
    """The color of a value on INDEX_SCALE over `span` (bars use the map's span, so the colors match)."""
    if value is None or math.isnan(value):
        return SMALL_SAMPLE
    lo, hi = span
    t = min(max((value - lo) / (hi - lo), 0.0), 1.0)
    for (a, ca), (b, cb) in zip(INDEX_SCALE, INDEX_SCALE[1:], strict=False):
        if t <= b:
            return ca if t - a < b - t else cb
    return INDEX_SCALE[-1][1]


def small(frame: pd.DataFrame) -> pd.Series:
    """Children whose index rests on few cases (intake below the small-sample minimum)."""
    return frame["intake"] < SMALL_SAMPLE_MIN


def map_figure(frame: pd.DataFrame, geojson_url: str, bounds: Bounds, view_key: str) -> go.Figure:
    """Children colored by their index (frame from `safety_by_child`); shapes carry their code for drilling."""
    rows = frame[frame["index"].notna()]
    if rows.empty:
        return empty_figure("没有可计算平安指数的下级区域")
    rank = {c: i + 1 for i, c in enumerate(frame["code"])}
    custom = [[n, fmt_index(v), rank[c], len(frame), count_full(k)] for c, n, v, k in
              zip(rows["code"], rows["name"], rows["index"], rows["intake"], strict=True)]
    lo, hi = index_range(frame)
    center, zoom = fit_view(bounds, (900, 460))
    return figure([trace(go.Choroplethmap,
        geojson=geojson_url, featureidkey="id", locations=rows["code"].tolist(), z=rows["index"].round(2).tolist(),
        customdata=custom, colorscale=INDEX_SCALE, zmin=lo, zmax=hi,
        marker={"line": {"color": "#4a78b0", "width": 1.2}, "opacity": 0.85},
        colorbar={"title": {"text": "平安指数", "font": {"size": 14}}, "x": 0.99, "xanchor": "right", "len": 0.6,
                  "thickness": 14, "bgcolor": "rgba(12,26,46,0.85)", "outlinewidth": 0, "tickfont": {"size": 13}},
        hovertemplate="<b>%{customdata[0]}</b><br>平安指数 %{customdata[1]}<br>排名 %{customdata[2]} / %{customdata[3]}"
                      "<br>期内案件 %{customdata[4]} 件<extra></extra>")],
        {"map": {"style": map_style(), "center": center, "zoom": zoom}, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
         "paper_bgcolor": BACKGROUND, "uirevision": view_key, "clickmode": "event",
         "hoverlabel": {"bgcolor": PANEL, "bordercolor": BORDER, "font": {"size": 15, "color": TEXT}}})


def ranking_figure(frame: pd.DataFrame) -> go.Figure:
    """Children by index, best on top (frame from `safety_by_child`); small samples flagged."""
    rows = frame[frame["index"].notna()].head(20).iloc[::-1]
    if rows.empty:
        return empty_figure("没有可计算平安指数的下级区域")
    flags = small(rows)
    span = index_range(frame)
    labels = [f"{n} · {SMALL_FLAG}" if f else n for n, f in zip(rows["name"], flags, strict=True)]
    bar = trace(go.Bar, y=labels, x=rows["index"], orientation="h", customdata=rows["code"],
                marker={"color": [SMALL_SAMPLE if f else index_color(v, span) for v, f in
                                  zip(rows["index"], flags, strict=True)]},
                text=[fmt_index(v) for v in rows["index"]], textposition="outside", cliponaxis=False,
                hovertemplate="%{y}<br>平安指数 %{x:.1f}<extra></extra>")
    return figure([bar], _compact(left=130, top=10, clickmode="event",
                                  xaxis={"range": [0, 108], "title": {"text": "平安指数（0–100）"}}))


def trend_figure(frame: pd.DataFrame) -> go.Figure:
    """The area's index month by month (frame from `safety_trend`)."""
    if frame.empty or frame["index"].isna().all():
        return empty_figure("所选时段内无法计算平安指数")
    months = pd.to_datetime(frame["month"])
    line = trace(go.Scatter, x=months, y=frame["index"], mode="lines+markers+text", name="平安指数",
                 line={"color": GOOD, "width": 3}, marker={"size": 8},
                 text=[fmt_index(v) for v in frame["index"]], textposition="top center",
                 textfont={"size": 13, "color": TEXT},
                 hovertemplate="%{x|%Y年%-m月}<br>平安指数 %{y:.1f}<extra></extra>")
    valid = frame["index"].dropna()
    y_range = [max(0.0, math.floor(valid.min()) - 6), min(100.0, math.ceil(valid.max()) + 6)]
    return figure([line], _compact(top=16, bottom=56, xaxis=month_axis_layout(len(frame), bars=False),
                                   yaxis={"range": y_range, "title": {"text": "平安指数"}}))


def breakdown_figure(frame: pd.DataFrame) -> go.Figure:
    """Each indicator's contribution (index points) against the most it could give (frame from
    `safety_breakdown`); the contributions add up to the index."""
    if frame.empty or math.isnan(frame.attrs.get("index", float("nan"))):
        return empty_figure("所选区域和时段内无法计算平安指数")
    rows = frame.iloc[::-1]
    weight_sum = float(frame.loc[frame["value"].notna(), "weight"].sum())
    full = [w / weight_sum * 100 if not math.isnan(v) else 0.0 for w, v in zip(rows["weight"], rows["value"], strict=True)]
    labels = list(rows["label"])
    most = trace(go.Bar, y=labels, x=full, orientation="h", name="满分", marker={"color": "#1d3557"}, hoverinfo="skip")
    got = trace(go.Bar, y=labels, x=rows["points"], orientation="h", name="得分（贡献）", marker={"color": [
        index_color(s) for s in rows["score"]]}, text=[_points_text(p, s) for p, s in zip(rows["points"], rows["score"],
                                                                                         strict=True)],
        textposition="outside", cliponaxis=False, customdata=list(zip(rows["value"].map(_value), rows["unit"],
                                                                     rows["weight"], strict=True)),
        hovertemplate="%{y}<br>指标值 %{customdata[0]} %{customdata[1]}<br>权重 %{customdata[2]:g}"
                     "<br>贡献 %{x:.2f} 分<extra></extra>")
    return figure([most, got], _compact(
        left=170, top=44, barmode="overlay", showlegend=False,
        title={"text": f"平安指数 {fmt_index(frame.attrs['index'])} = 各项贡献之和", "x": 0.01, "font": {"size": 16}},
        xaxis={"title": {"text": "指数分值"}, "range": [0, max(full) * 1.45 if full else 1]}))


def _points_text(points: float, score_value: float) -> str:
    return "无数据" if math.isnan(score_value) else f"{points:.1f}（{score_value:.0f}分）"


def _with_unit(v: float, unit: str) -> str:
    return "无数据" if v is None or math.isnan(v) else f"{v:,.2f} {unit}"


def _value(v: float) -> str:
    return "—" if v is None or math.isnan(v) else f"{v:,.2f}"


def changes_figure(frame: pd.DataFrame) -> go.Figure:
    """Change of each indicator's contribution since the previous period, largest moves on top."""
    rows = frame[frame["change"].notna()]
    if rows.empty:
        return empty_figure("上一时段无法计算平安指数")
    rows = rows.reindex(rows["change"].abs().sort_values(ascending=True).index)
    bar = trace(go.Bar, y=rows["label"], x=rows["change"], orientation="h",
                marker={"color": [GOOD if c >= 0 else BAD for c in rows["change"]]},
                text=[f"{c:+.2f}" for c in rows["change"]], textposition="outside", cliponaxis=False,
                customdata=list(zip(rows["prev_value"].map(_value), rows["value"].map(_value), rows["unit"],
                                    strict=True)),
                hovertemplate="%{y}<br>%{customdata[0]} → %{customdata[1]} %{customdata[2]}"
                              "<br>贡献变化 %{x:+.2f} 分<extra></extra>")
    span = max(float(rows["change"].abs().max()), 0.5) * 1.4
    before, after = frame.attrs.get("prev_index", float("nan")), frame.attrs.get("index", float("nan"))
    return figure([bar], _compact(
        left=170, top=44, title={"text": f"较上期 {fmt_index(before)} → {fmt_index(after)}", "x": 0.01, "font": {"size": 16}},
        xaxis={"range": [-span, span], "zeroline": True, "zerolinecolor": MUTED, "title": {"text": "贡献变化（分）"}}))


TABLE_COLUMNS = (("label", "指标"), ("value", "本期值"), ("prev", "上期值"), ("direction", "方向"), ("weight", "权重"),
                 ("score", "得分"), ("points", "贡献"), ("change", "贡献变化"))


def table_rows(frame: pd.DataFrame, directions: dict[str, str]) -> list[dict]:
    """Indicator table: values with units, scores, weights and contributions."""
    rows = []
    for r in frame.itertuples(index=False):
        rows.append({"label": r.label, "value": _with_unit(r.value, r.unit), "prev": _with_unit(r.prev_value, r.unit),
                     "direction": "越低越好" if directions.get(r.key) == "lower_better" else "越高越好",
                     "weight": f"{r.weight:g}", "score": "—" if math.isnan(r.score) else f"{r.score:.1f}",
                     "points": f"{r.points:.2f}", "change": "—" if math.isnan(r.change) else f"{r.change:+.2f}"})
    return rows
