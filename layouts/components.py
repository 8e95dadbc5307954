"""Reusable pieces of page layouts: KPI tiles."""

from __future__ import annotations

from dataclasses import dataclass

from dash import html

from dashboard.ids import Kpi


@dataclass(frozen=True)
class TileSpec:
    key: str
    label: str
    note: str = ""
    tone: str = ""


def kpi_tile(spec: TileSpec, value: str = "—") -> html.Div:
    """One tile; its value slot has the ID `Kpi.VALUE.of(key)` so tests and callbacks can find it."""
    return html.Div(
        [
            html.Div(spec.label, className="kpi-label"),
            html.Div(value, id=Kpi.VALUE.of(spec.key), className="kpi-value"),
            html.Div(spec.note, className="kpi-note"),
        ],
        className=f"kpi {spec.tone}".strip(),
    )
