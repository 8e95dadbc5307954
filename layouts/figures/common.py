"""Helpers every figure builder uses: the template, an honest empty state."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.theme import DARK_TEMPLATE, LIGHT_TEMPLATE, MUTED


def base_figure(title: str | None = None, light: bool = False) -> go.Figure:
    """An empty figure in the app's template (dark on screen, light for documents)."""
    layout: dict = {"template": LIGHT_TEMPLATE if light else DARK_TEMPLATE}
    if title:
        layout["title"] = {"text": title, "x": 0.01, "xanchor": "left"}
    return go.Figure(layout=layout)  # one constructor: each update_layout call costs about 1 ms


def empty_figure(message: str = "所选条件下暂无数据", title: str | None = None) -> go.Figure:
    """A figure that says there is nothing to show, instead of a blank chart."""
    fig = base_figure(title)
    fig.add_annotation(text=message, showarrow=False, font={"size": 18, "color": MUTED},
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
