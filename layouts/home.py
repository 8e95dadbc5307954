"""总览 home: the headline tiles for the chosen area and period (default: this year to the data's date)."""

from __future__ import annotations

from dash import html

from dashboard.ids import Home
from layouts.components import TileSpec, export_menu, kpi_tile, report_menu

PATH = "/"
TITLE = "总览"

MAIN_TILES: tuple[TileSpec, ...] = (
    TileSpec("disputes_handled", "矛盾纠纷化解数", "时段内办结的矛盾纠纷"),
    TileSpec("success_rate", "调解成功率", "调解成功 / 办结纠纷", "good"),
    TileSpec("cases_open", "在办案件", "时段末仍在办理"),
    TileSpec("red_cards", "红牌督办", "时段末在办案件中的红牌", "bad"),
)
STRUCTURE_TILES: tuple[TileSpec, ...] = (
    TileSpec("intake", "受理案件", "时段内登记的各类案件"),
    TileSpec("institutions", "入驻机构", "市县乡三级中心"),
    TileSpec("center_staff", "入驻人员", "市县乡三级中心"),
    TileSpec("villages", "村（社区）", "四级联动服务站"),
    TileSpec("grids", "微网格", "精网微格"),
    TileSpec("grid_liaisons", "微网格联络员", ""),
    TileSpec("demo_grids", "示范网格", ""),
)


def layout(**_query: str) -> html.Div:
    """Static frame; the values are filled by `callbacks.home` from the URL's area and period."""
    return html.Div(
        [
            html.Div([export_menu("home-kpis"), report_menu("home")], className="cc-toolbar"),
            html.Div([html.Span(id=Home.AREA_LABEL), " · ", html.Span(id=Home.PERIOD_LABEL)],
                     className="cc-subtitle"),
            html.Div([kpi_tile(t) for t in MAIN_TILES], id=Home.KPIS, className="kpi-row"),
            html.Div("网络与受理", className="cc-section-title"),
            html.Div([kpi_tile(t) for t in STRUCTURE_TILES], id=Home.STRUCTURE, className="kpi-row small"),
        ]
    )
