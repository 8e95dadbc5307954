"""Colors and the Plotly template: one place for the dark wall-screen look and the print-friendly light one."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from data.vocab import BacklogColor, CardColor, Kind

FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'

BACKGROUND = "#06101f"
PANEL = "#0c1a2e"
BORDER = "#1d3557"
TEXT = "#e6f0ff"
MUTED = "#8aa4c8"
ACCENT = "#2ec7ff"
GOOD = "#36cfc9"
WARN = "#faad14"
BAD = "#ff4d4f"
SMALL_SAMPLE = "#5b6b82"

CARD_COLORS = {CardColor.BLUE: "#2f7bff", CardColor.YELLOW: "#fadb14", CardColor.RED: "#ff4d4f"}
BACKLOG_COLORS = {BacklogColor.RED: "#ff4d4f", BacklogColor.YELLOW: "#fadb14", BacklogColor.GREEN: "#52c41a"}
KIND_COLORS = {Kind.DISPUTE: "#2ec7ff", Kind.PETITION: "#9254de", Kind.SECURITY: "#faad14", Kind.HAZARD: "#ff7a45"}
SEQUENTIAL = ["#0b2545", "#13315c", "#1b5e8c", "#1f8fbf", "#2ec7ff", "#9be7ff"]

DARK_TEMPLATE = "command_center_dark"
LIGHT_TEMPLATE = "command_center_light"


def template(light: bool = False) -> dict:
    """The app's Plotly template as a plain dict, fresh each call (callers may change it).

    Figures are built without Plotly's validation (layouts.figures.common.figure), so they carry the template
    itself: plotly.js knows no template names, only Python's validation turns a name into the template.
    """
    if light:
        return {"layout": {
            "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
            "font": {"family": FONT_FAMILY, "color": "#1f1f1f", "size": 14},
            "colorway": list(KIND_COLORS.values()),
            "xaxis": {"gridcolor": "#e5e5e5", "linecolor": "#999999"},
            "yaxis": {"gridcolor": "#e5e5e5", "linecolor": "#999999"},
            "margin": {"l": 56, "r": 24, "t": 64, "b": 48},
        }}
    return {"layout": {
        "paper_bgcolor": PANEL, "plot_bgcolor": PANEL,
        "font": {"family": FONT_FAMILY, "color": TEXT, "size": 14},
        "colorway": list(KIND_COLORS.values()) + ["#52c41a", "#eb2f96", "#13c2c2"],
        "xaxis": {"gridcolor": BORDER, "linecolor": BORDER, "zerolinecolor": BORDER},
        "yaxis": {"gridcolor": BORDER, "linecolor": BORDER, "zerolinecolor": BORDER},
        "legend": {"bgcolor": "rgba(0,0,0,0)"},
        "margin": {"l": 48, "r": 16, "t": 40, "b": 40},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
    }}


def register_templates() -> None:
    """Register both templates with plotly.io by name, for figures that are validated (exports restyle a
    chart with `template=LIGHT_TEMPLATE`). Idempotent; called by the app factory."""
    pio.templates[DARK_TEMPLATE] = go.layout.Template(template())
    pio.templates[LIGHT_TEMPLATE] = go.layout.Template(template(light=True))
