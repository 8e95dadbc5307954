"""案件流转 figures: the flow diagram, stage times, escalations, handling modes and weekly intake vs closures.

Pure builders: DataFrames from `data.queries.flow` in, `go.Figure` out, every label from `data.vocab`.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import count_full
from dashboard.theme import ACCENT, GOOD, MUTED, TEXT
from data.queries.flow import FAMILY_CODES, FAMILY_COLUMN, FAMILY_ORDER, OPEN, NodeFamily, NodeFilter
from data.vocab import (
    CHANNEL_LABELS,
    HANDLING_LABELS,
    KIND_LABELS,
    MODE_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    Status,
)
from layouts.figures.common import count_axis, empty_figure, figure, trace

# One color per column of the diagram, so a node's family reads at a glance.
FAMILY_COLORS: dict[NodeFamily, str] = {
    NodeFamily.CHANNEL: "#597ef7",
    NodeFamily.KIND: "#9254de",
    NodeFamily.FIRST: "#13c2c2",
    NodeFamily.FINAL: "#faad14",
    NodeFamily.OUTCOME: "#52c41a",
}
FAMILY_TITLES: dict[NodeFamily, str] = {
    NodeFamily.CHANNEL: "来源渠道",
    NodeFamily.KIND: "案件类型",
    NodeFamily.FIRST: "首办层级",
    NodeFamily.FINAL: "终办层级",
    NodeFamily.OUTCOME: "办理结果",
}
DIMMED_LINK = "rgba(138, 164, 200, 0.10)"
STAGE_LABELS = {"dispatch": "登记→分派", "accept": "分派→受理", "close": "受理→办结", "total": "登记→办结（全程）"}
HOURS_TICKS = ((1, "1小时"), (24, "1天"), (24 * 7, "7天"), (24 * 30, "30天"), (24 * 90, "90天"))


def node_label(family: NodeFamily, code: str) -> str:
    """A node's Chinese name; first and final levels are told apart (首办·村级, 终办·县区级)."""
    if family == NodeFamily.CHANNEL:
        return CHANNEL_LABELS.get(code, code)  # type: ignore[call-overload]
    if family == NodeFamily.KIND:
        return KIND_LABELS.get(code, code)  # type: ignore[call-overload]
    if family == NodeFamily.FIRST:
        return "首办·" + HANDLING_LABELS.get(code, code)  # type: ignore[call-overload]
    if family == NodeFamily.FINAL:
        return "终办·" + HANDLING_LABELS.get(code, code)  # type: ignore[call-overload]
    if code == OPEN:
        return STATUS_LABELS[Status.OPEN]
    return OUTCOME_LABELS.get(code, code)  # type: ignore[call-overload]


def _rgba(hex_color: str, alpha: float) -> str:
    """A theme color made translucent, so overlapping links stay readable."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def sankey_nodes(paths: pd.DataFrame) -> list[tuple[NodeFamily, str, int]]:
    """The diagram's nodes (family, code, cases) column by column in vocabulary order, empty ones left out."""
    nodes = []
    for family in FAMILY_ORDER:
        totals = paths.groupby(FAMILY_COLUMN[family])["cases"].sum()
        nodes += [(family, code, int(totals[code])) for code in FAMILY_CODES[family] if totals.get(code, 0) > 0]
    return nodes


def sankey_figure(paths: pd.DataFrame, selected: NodeFilter | None = None) -> go.Figure:
    """Channel → kind → first level → final level → outcome, from `flow_paths`.

    Node customdata is the node's filter key (`family:code`) for the click handler. With a selected node,
    the flow through it is drawn in its family color and the rest dimmed; every column still sums to the
    intake.
    """
    if paths.empty or int(paths["cases"].sum()) == 0:
        return empty_figure("所选条件下暂无受理案件")
    nodes = sankey_nodes(paths)
    index = {(f, c): i for i, (f, c, _n) in enumerate(nodes)}
    hit = _through(paths, selected)
    sources, targets, values, colors = [], [], [], []
    for left, right in zip(FAMILY_ORDER, FAMILY_ORDER[1:], strict=False):
        a, b = FAMILY_COLUMN[left], FAMILY_COLUMN[right]
        grouped = paths.assign(hit=hit).groupby([a, b, "hit"], sort=True)["cases"].sum()
        for (code_a, code_b, is_hit), value in grouped.items():
            if value <= 0:
                continue
            sources.append(index[(left, code_a)])
            targets.append(index[(right, code_b)])
            values.append(int(value))
            colors.append(_link_color(left, selected, bool(is_hit)))
    titles = [{"text": FAMILY_TITLES[family], "x": i / (len(FAMILY_ORDER) - 1), "y": 1.0, "xref": "paper",
               "yref": "paper", "yanchor": "bottom", "yshift": 10, "xanchor": _anchor(i), "showarrow": False,
               "font": {"size": 15, "color": MUTED}} for i, family in enumerate(FAMILY_ORDER)]
    return figure([_sankey_trace(nodes, selected, sources, targets, values, colors)],
                  {"annotations": titles, "margin": {"l": 12, "r": 12, "t": 40, "b": 10}, "font": {"size": 15}})


def _anchor(column: int) -> str:
    """Column titles hug the outer edges and center on the inner columns."""
    return "left" if column == 0 else "right" if column == len(FAMILY_ORDER) - 1 else "center"


def _through(paths: pd.DataFrame, selected: NodeFilter | None) -> pd.Series:
    """Which paths pass through the selected node (all of them when nothing is selected)."""
    if selected is None:
        return pd.Series(True, index=paths.index)
    return paths[FAMILY_COLUMN[selected.family]] == selected.code


def _link_color(left: NodeFamily, selected: NodeFilter | None, hit: bool) -> str:
    """Links take their source column's color; with a selection only the flow through it stays bright."""
    if selected is None:
        return _rgba(FAMILY_COLORS[left], 0.30)
    return _rgba(FAMILY_COLORS[selected.family], 0.60) if hit else DIMMED_LINK


def _sankey_trace(nodes: list[tuple[NodeFamily, str, int]], selected: NodeFilter | None, sources: list[int],
                  targets: list[int], values: list[int], colors: list[str]) -> go.Sankey:
    """The Sankey trace; node customdata carries the filter key the click handler reads."""
    keys = [NodeFilter(f, c).key for f, c, _n in nodes]
    chosen = selected.key if selected else None
    node_colors = [FAMILY_COLORS[f] if chosen in (None, k) else _rgba(FAMILY_COLORS[f], 0.45)
                   for (f, _c, _n), k in zip(nodes, keys, strict=True)]
    return trace(go.Sankey,
        arrangement="fixed",
        node={
            "label": [f"{node_label(f, c)} {count_full(n)}" for f, c, n in nodes],
            "customdata": keys,
            "color": node_colors,
            "pad": 10,
            "thickness": 18,
            # A per-node line *width* breaks plotly.js' label placement (NaN transforms); vary the color instead.
            "line": {"width": 2, "color": [TEXT if k == chosen else "rgba(0, 0, 0, 0)" for k in keys]},
            "hovertemplate": "%{label}<br>点击筛选本页其他图表<extra></extra>",
        },
        link={
            "source": sources,
            "target": targets,
            "value": values,
            "color": colors,
            "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,} 件<extra></extra>",
        },
        textfont={"color": TEXT, "size": 14},
    )


def duration_text(hours: float) -> str:
    """A duration in the unit a reader expects: minutes, hours or days."""
    if hours is None or math.isnan(hours):
        return "—"
    if hours < 1:
        return f"{hours * 60:.0f}分钟"
    if hours < 48:
        return f"{hours:.1f}小时"
    return f"{hours / 24:.1f}天"


def stage_times_figure(stages: pd.DataFrame) -> go.Figure:
    """Median and 90th-percentile time per stage (from `stage_times`), on a log scale of hours."""
    shown = stages[stages["cases"] > 0]
    if shown.empty:
        return empty_figure()
    labels = [STAGE_LABELS[s] for s in shown["stage"]]
    bars = [trace(go.Bar,
        y=labels, x=shown[column], name=name, orientation="h", marker={"color": color},
        text=[duration_text(h) for h in shown[column]], textposition="outside", cliponaxis=False,
        customdata=shown["cases"], textfont={"size": 14, "color": TEXT},
        hovertemplate="%{y}<br>" + name + " %{text}<br>%{customdata:,} 件<extra></extra>",
    ) for column, name, color in (("p50_hours", "中位数", ACCENT), ("p90_hours", "90分位", "#ff7a45"))]
    top = max(float(shown["p90_hours"].max()), 1.0)
    ticks = [(v, t) for v, t in HOURS_TICKS if v <= top * 1.5]
    xaxis = {"type": "log", "tickvals": [v for v, _t in ticks], "ticktext": [t for _v, t in ticks], "tickangle": 0,
             "range": [math.log10(min(0.2, float(shown["p50_hours"].min()))), math.log10(top * 6)]}
    return figure(bars, {"xaxis": xaxis, "yaxis": {"autorange": "reversed"}, "barmode": "group",
                         "legend": {"orientation": "h", "y": 1.12, "x": 0},
                         "margin": {"l": 150, "r": 24, "t": 36, "b": 36}})


def escalation_figure(steps: pd.DataFrame) -> go.Figure:
    """Cases escalated across each level step (from `escalations`), with their share of the intake."""
    if steps.empty or int(steps["intake"].iloc[0]) == 0:
        return empty_figure()
    labels = [f"{HANDLING_LABELS[a]}→{HANDLING_LABELS[b]}" for a, b in zip(steps["from_level"], steps["to_level"],
                                                                         strict=True)]
    text = [f"{count_full(n)}件 · {_pct(s)}" for n, s in zip(steps["escalated"], steps["share"], strict=True)]
    bar = trace(go.Bar,
        y=labels, x=steps["escalated"], orientation="h", marker={"color": FAMILY_COLORS[NodeFamily.FINAL]},
        text=text, textposition="outside", cliponaxis=False, textfont={"size": 14, "color": TEXT},
        customdata=list(zip(steps["reached"], steps["rate"], strict=True)),
        hovertemplate="%{y}：%{x:,} 件<br>该级办理的 %{customdata[0]:,} 件中提级 %{customdata[1]:.1f}%<extra></extra>",
    )
    top = max(float(steps["escalated"].max()), 1.0)
    return figure([bar], {"yaxis": {"autorange": "reversed"},
                          "xaxis": {"range": [0, top * 1.6], "title": {"text": "提级案件数"}, **count_axis(top)},
                          "showlegend": False, "margin": {"l": 120, "r": 24, "t": 16, "b": 44}})


def _pct(value: float) -> str:
    """A share as text, with a dash when it is undefined (no intake)."""
    return "—" if value is None or math.isnan(value) else f"{value:.1f}%"


def modes_figure(modes: pd.DataFrame) -> go.Figure:
    """Intake by handling mode (from `handling_modes`) as a ring, shares from the query."""
    if int(modes["cases"].sum()) == 0:
        return empty_figure()
    ring = trace(go.Pie,
        labels=[MODE_LABELS[m] for m in modes["mode"]],  # type: ignore[index]
        values=modes["cases"], hole=0.55, sort=False, direction="clockwise",
        marker={"colors": [ACCENT, GOOD, "#9254de", FAMILY_COLORS[NodeFamily.FINAL]]},
        customdata=modes["share"], texttemplate="%{label}<br>%{customdata:.1f}%", textfont={"size": 14},
        insidetextorientation="horizontal", textposition="inside",
        hovertemplate="%{label}：%{value:,} 件（%{customdata:.1f}%）<extra></extra>",
    )
    total = {"text": f"受理<br><b>{count_full(int(modes['cases'].sum()))}</b>", "showarrow": False,
             "font": {"size": 18, "color": TEXT}, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper"}
    return figure([ring], {"annotations": [total], "showlegend": False, "margin": {"l": 16, "r": 16, "t": 16, "b": 16}})


def weekly_figure(weeks: pd.DataFrame) -> go.Figure:
    """Weekly intake against weekly closures (from `weekly_flow`), weeks starting on Monday.

    Full weeks are joined by a line; a partial week at either end of the period (fewer than 7 of its days
    in the period) is a hollow marker off the line, so its lower count does not read as a drop. Each series'
    traces share a legendgroup (`intake`, `closed`).
    """
    if weeks.empty or int(weeks[["intake", "closed"]].to_numpy().sum()) == 0:
        return empty_figure()
    full = weeks["days"] == 7
    lines = []
    for column, name, color in (("intake", "受理", ACCENT), ("closed", "办结", GOOD)):
        hover = "%{x|%Y年%-m月%-d日}起一周<br>" + name + " %{y:,} 件%{customdata}<extra></extra>"
        lines.append(trace(go.Scatter,
            x=weeks["week"], y=weeks[column].where(full), name=name, legendgroup=column, mode="lines+markers",
            line={"color": color, "width": 2.5}, marker={"size": 5}, customdata=[""] * len(weeks),
            hovertemplate=hover, connectgaps=False,
        ))
        part = weeks[~full]
        if not part.empty:
            lines.append(trace(go.Scatter,
                x=part["week"], y=part[column], name=f"{name}（不足一周）", legendgroup=column, showlegend=False,
                mode="markers", marker={"size": 9, "symbol": "circle-open", "color": color, "line": {"width": 2}},
                customdata=[f"（仅含时段内{d}天）" for d in part["days"]], hovertemplate=hover,
            ))
    return figure(lines, {
        "xaxis": {"tickformat": "%Y年%-m月"},
        "yaxis": {"title": {"text": "件/周"}, **count_axis(float(weeks[["intake", "closed"]].to_numpy().max()))},
        "legend": {"orientation": "h", "y": 1.12, "x": 0}, "margin": {"l": 64, "r": 24, "t": 36, "b": 40}})
