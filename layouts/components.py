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


EXPORT_FORMATS = (("png", "图片 PNG"), ("svg", "矢量图 SVG"), ("xlsx", "数据 Excel"), ("csv", "数据 CSV"))


def export_menu(chart: str, formats: tuple[tuple[str, str], ...] = EXPORT_FORMATS) -> html.Details:
    """A small 导出 menu for one chart; its links get the current view's query string from a callback."""
    from dashboard.ids import Export

    links = [html.A(label, id={"type": Export.LINK, "chart": chart, "fmt": fmt}, href=f"/export/{chart}.{fmt}",
                    download="", className="export-link") for fmt, label in formats]
    return html.Details([html.Summary("导出"), html.Div(links, className="export-items")], className="export-menu")


def report_menu(page: str) -> html.Details:
    """One-click page report (PDF and Excel workbook of every chart on the page)."""
    from dashboard.ids import Export

    links = [html.A(label, id={"type": Export.REPORT, "page": page, "fmt": fmt}, href=f"/export/report/{page}.{fmt}",
                    download="", className="export-link") for fmt, label in (("pdf", "页面报告 PDF"),
                                                                              ("xlsx", "页面报告 Excel"))]
    return html.Details([html.Summary("导出报告"), html.Div(links, className="export-items")],
                        className="export-menu report")
