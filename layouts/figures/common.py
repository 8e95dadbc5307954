"""Helpers every figure builder uses: the template, an honest empty state."""

from __future__ import annotations

import json
import os
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType

from dashboard.theme import MUTED, template

CHART_FONT = 15  # the pages' charts (the wall screens use larger type)
# Set to "1" (the test suite does) to have every figure also checked by Plotly's validation: see `figure`.
STRICT_ENV = "DASHBOARD_STRICT_FIGURES"
T = TypeVar("T", bound=BaseTraceType)


def base_figure(title: str | None = None, light: bool = False) -> go.Figure:
    """An empty figure in the app's template (dark on screen, light for documents)."""
    return figure([], _titled(title), light=light)


def _titled(title: str | None) -> dict:
    """The layout's title, left-aligned, or nothing."""
    return {"title": {"text": title, "x": 0.01, "xanchor": "left"}} if title else {}


def figure(traces: list, layout: dict, light: bool = False) -> go.Figure:
    """A figure in the app's template built in one constructor, from its traces and its whole layout (nested
    dicts, no magic underscores), without Plotly's validation.

    Validation walks every property against the schema and copies the template: 3–6 ms of a chart's 4–8 ms
    on a warm request, for an answer that, for a correct figure, is the same JSON. The test suite sets
    STRICT_ENV, so every figure a test builds is also validated there (a misspelt property raises) and must
    send the same JSON validated as not.
    """
    fig = go.Figure(data=traces, layout={"template": template(light), **layout}, _validate=False)
    if os.environ.get(STRICT_ENV) == "1":
        check_figure(fig)
    return fig


def trace(kind: type[T], **props: Any) -> T:
    """A trace built without Plotly's validation, which costs about 0.9 ms a trace (a chart's lines, bars).

    Its pandas columns become numpy arrays here, as Plotly's serializer would make them, but without its trip
    through narwhals for each one (about 0.25 ms an array). `figure` validates the whole figure, traces
    included, when STRICT_ENV is set (the test suite).
    """
    return kind(**{name: _array(value) for name, value in props.items()}, _validate=False)


def _array(value: Any) -> Any:
    """A pandas Series, Index or DataFrame as the numpy array Plotly sends; anything else as it is. Time zones
    are the exception (Plotly strips them first), so such a column is left to Plotly."""
    if isinstance(value, pd.Series | pd.Index | pd.DataFrame) and not any(
            isinstance(t, pd.DatetimeTZDtype) for t in (value.dtypes if isinstance(value, pd.DataFrame)
                                                        else [value.dtype])):
        return value.to_numpy()
    return value


def check_figure(fig: go.Figure) -> None:
    """Raise unless Plotly's validation accepts `fig` and the validated figure serializes to the same JSON."""
    validated = go.Figure(fig.to_plotly_json())
    if json.loads(validated.to_json()) != json.loads(fig.to_json()):
        raise ValueError("the figure's JSON changes under Plotly's validation")


def empty_figure(message: str = "所选条件下暂无数据", title: str | None = None) -> go.Figure:
    """A figure that says there is nothing to show, instead of a blank chart."""
    note = {"text": message, "showarrow": False, "font": {"size": 18, "color": MUTED}, "xref": "paper",
            "yref": "paper", "x": 0.5, "y": 0.5}
    return figure([], {**_titled(title), "annotations": [note], "xaxis": {"visible": False},
                       "yaxis": {"visible": False}})


def count_axis(top: float, unit: str | None = None) -> dict:
    """A count axis from zero with whole-number ticks only: up to 10 it steps by 1, since Plotly's own step for
    a small range is 0.2 or 0.5 and would print "0.2 件" (or, formatted as integers, repeated labels).
    `top` is the largest value drawn on the axis (a stack's total); `unit` becomes the axis title."""
    axis: dict = {"rangemode": "tozero", "tickformat": ",d"}
    if top <= 10:
        axis["dtick"] = 1
    if unit:
        axis["title"] = {"text": unit}
    return axis


def compact_layout(top: int, left: int = 56, bottom: int = 44, **layout) -> dict:
    """A page chart's layout: its margins, the chart font and the legend in a row above the plot (`layout`
    adds to it). Fresh dicts each call: callers may change them."""
    return {"margin": {"l": left, "r": 16, "t": top, "b": bottom}, "font": {"size": CHART_FONT},
            "legend": {"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"}, **layout}


def vline(x: object, line: dict) -> dict:
    """A layout shape: a vertical line at `x` over the plot's full height, the dict `add_vline` would add."""
    return {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain", "line": line}


def two_panels(left: list, right: list, layout: dict, *, widths: tuple[float, float] = (0.5, 0.5),
               gap: float = 0.12, share_y: bool = False) -> go.Figure:
    """Two charts side by side (axes x/y and x2/y2) in one constructor, the layout of make_subplots(1, 2).

    make_subplots and add_trace(row=, col=) cost about 10 ms per figure; this builds the same axes directly.
    `layout` may carry xaxis, xaxis2, yaxis, yaxis2 settings; they are merged with the panel domains. The
    `right` traces are moved onto x2/y2 in place.
    """
    split = (1 - gap) * widths[0] / (widths[0] + widths[1])
    axes = {"xaxis": {"domain": [0.0, split], "anchor": "y"}, "xaxis2": {"domain": [split + gap, 1.0], "anchor": "y2"},
            "yaxis": {"anchor": "x"}, "yaxis2": {"anchor": "x2"}}
    if share_y:
        axes["yaxis2"].update(matches="y", showticklabels=False)
    merged = {**layout, **{k: {**v, **layout.get(k, {})} for k, v in axes.items()}}
    for trace in right:
        trace.update(xaxis="x2", yaxis="y2")
    return figure([*left, *right], merged)
