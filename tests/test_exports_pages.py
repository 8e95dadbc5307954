"""Exports of every page's charts: images drawn and titled, spreadsheets equal to the queries, safe and scoped.

The app runs on a copy of the demo database with one hostile case added (its 诉求内容 is a spreadsheet
formula), through Flask's test client, logged in like a person through /login.
"""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import subprocess
import types
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import unquote

import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import text

from dashboard.app import create_app
from dashboard.charts import area_labels, chart_specs, overdue_case_rows, to_paper
from dashboard.config import Config
from dashboard.ids import Export
from dashboard.urlstate import ViewState
from data.filters import Period, find_area
from data.queries import flow as flow_q
from data.queries import map as map_q
from data.queries import overdue as overdue_q
from data.queries import resolution as resolution_q
from data.queries import screen as screen_q
from data.vocab import CHANNEL_LABELS

PASSWORD = "suqian-demo-2023"
HOSTILE = '=HYPERLINK("http://example.invalid","x")'
HOSTILE_NO = "SQ20233213229999999"
COUNTY = "321322"
YEAR = Period(date(2023, 1, 1), date(2023, 12, 31))
VIEW = f"?area={COUNTY}&from=2023-01-01&to=2023-12-31"
SPECS = {s.name: s for s in chart_specs()}
PAGES = ("map", "flow", "resolution", "overdue", "screen")
EXPECTED = {
    "map": ["map-choropleth", "map-ranking"],
    "flow": ["flow-sankey", "flow-stages", "flow-escalations", "flow-modes", "flow-weekly"],
    "resolution": ["resolution-kpis", "resolution-trend", "resolution-categories", "resolution-ranking",
                   "resolution-petitions", "resolution-repeats"],
    "overdue": ["overdue-kpis", "overdue-due-soon", "overdue-by-area", "overdue-aging", "overdue-by-unit",
                "overdue-cards-by-area", "overdue-cards-trend", "overdue-cases"],
    "screen": ["screen-kpis", "screen-trend", "screen-flow", "screen-map", "screen-ranking", "screen-red-cards"],
}
PAGE_CHARTS = [name for names in EXPECTED.values() for name in names]
IMAGE_CHARTS = [name for name in PAGE_CHARTS if SPECS[name].figure is not None]


# --- fixtures ---------------------------------------------------------------------------------------------


def _add_hostile_case(url: str) -> None:
    """Copy a county-321322 case as a new open, long-overdue case whose content is a spreadsheet formula."""
    from data.db import make_engine
    from data.models import Case

    engine = make_engine(url)
    columns = [c.name for c in Case.__table__.columns]
    overrides = {"id": "(SELECT MAX(id) + 1 FROM cases)", "case_no": f"'{HOSTILE_NO}'", "status": "'open'",
                 "closed_at": "NULL", "outcome": "NULL", "reported_at": "'2023-06-01 09:00:00.000000'",
                 "due_at": "'2023-07-01 09:00:00.000000'", "content": ":content"}
    picked = ", ".join(overrides.get(c, c) for c in columns)
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO cases ({', '.join(columns)}) SELECT {picked} FROM cases "  # noqa: S608
                          f"WHERE county_code = '{COUNTY}000000' ORDER BY id LIMIT 1"), {"content": HOSTILE})
    engine.dispose()


@pytest.fixture(scope="module")
def app(demo_db_url: str, tmp_path_factory):
    db = tmp_path_factory.mktemp("exports-pages") / "exports.sqlite"
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), db)
    _add_hostile_case(f"sqlite:///{db}")
    return create_app(Config(database_url=f"sqlite:///{db}", secret_key="export-pages-" + "x" * 20))


def client_for(app, user: str):
    client = app.server.test_client()
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    assert client.post("/login", data={"username": user, "password": PASSWORD, "csrf": csrf}).status_code == 302
    return client


@pytest.fixture(scope="module")
def analyst(app):
    return client_for(app, "analyst")


@pytest.fixture(scope="module")
def engine(app):
    return app.server.extensions["command_center"].engine


@pytest.fixture(scope="module")
def county(engine):
    return find_area(engine, COUNTY)


# --- helpers ----------------------------------------------------------------------------------------------


def sheet_table(data: bytes) -> tuple[list[str], list[tuple]]:
    """Header and data rows of an export's first sheet (6 meta rows, a blank row, then the header)."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "标题"
    return [str(h) for h in rows[7]], [tuple(r) for r in rows[8:]]


def plain(value: object) -> object:
    """One value as comparable across pandas and openpyxl: NaN and None alike, floats rounded, dates as dates."""
    value = value.item() if hasattr(value, "item") and not isinstance(value, str) else value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime):
        return value.date() if (value.hour, value.minute, value.second) == (0, 0, 0) else value
    if isinstance(value, float):
        return round(value, 6)
    return value


def column_values(header: list[str], rows: list[tuple], name: str) -> list[object]:
    i = header.index(name)
    return [plain(r[i]) for r in rows]


def not_blank(png: bytes) -> Image.Image:
    """The PNG, after checking that its drawing area (between title and footnote) holds a real picture."""
    image = Image.open(io.BytesIO(png)).convert("L")
    body = image.crop((0, int(image.height * 0.15), image.width, int(image.height * 0.85)))
    dark = sum(body.histogram()[:200])
    assert dark > body.width * body.height * 0.005, "the chart area is (almost) empty"
    low, high = body.getextrema()
    assert high - low > 100
    return image


# Per chart: the query the page calls (engine, area, period) → DataFrame, and a couple of its columns with the
# Chinese header they must appear under in the xlsx. Compared as multisets of rows, so sorting does not matter.
Query = Callable[..., pd.DataFrame]
CHECKS: dict[str, tuple[Query, dict[str, str]]] = {
    "map-choropleth": (map_q.child_metrics, {"code": "区域编码", "cases": "案件数", "success_rate": "调解成功率（%）"}),
    "map-ranking": (map_q.child_metrics, {"code": "区域编码", "overdue": "逾期在办", "red_cards": "红牌"}),
    "flow-sankey": (flow_q.flow_paths, {"cases": "案件数"}),
    "flow-stages": (flow_q.stage_times, {"cases": "案件数", "p50_hours": "中位数（小时）", "p90_hours": "90分位（小时）"}),
    "flow-escalations": (flow_q.escalations, {"escalated": "提级案件数", "share": "占受理比例（%）"}),
    "flow-modes": (flow_q.handling_modes, {"cases": "案件数", "share": "占受理比例（%）"}),
    "flow-weekly": (flow_q.weekly_flow, {"week": "周（周一）", "intake": "受理", "closed": "办结"}),
    "resolution-trend": (resolution_q.rates_over_time, {"closed": "办结", "resolved": "化解", "rate": "化解率（%）"}),
    "resolution-categories": (resolution_q.rates_by_category, {"category": "类别", "closed": "办结", "rate": "化解率（%）"}),
    "resolution-ranking": (resolution_q.child_ranking, {"code": "区域编码", "closed": "本期办结", "rate_prev": "上年同期比率（%）"}),
    "resolution-petitions": (lambda e, a, p, _k=(): resolution_q.first_petitions_by_month(e, a, p),
                             {"month": "月份", "current": "本期", "previous": "上年同期"}),
    "resolution-repeats": (resolution_q.repeat_visits_by_month, {"current": "本期", "previous": "上年同期"}),
    "overdue-due-soon": (overdue_q.due_soon_cases, {"case_no": "案件编号", "unit": "责任单位"}),
    "overdue-by-area": (overdue_q.overdue_by_child, {"code": "区域编码", "overdue": "逾期在办"}),
    "overdue-aging": (overdue_q.overdue_aging, {"bucket": "逾期时长", "overdue": "逾期在办"}),
    "overdue-by-unit": (overdue_q.overdue_by_unit, {"unit": "责任单位", "overdue": "逾期在办"}),
    "overdue-cards-by-area": (overdue_q.cards_by_child, {"code": "区域编码", "red": "红牌", "blue": "蓝牌"}),
    "overdue-cards-trend": (overdue_q.cards_by_week, {"week": "周（周一）", "yellow": "黄牌", "red": "红牌"}),
    "screen-trend": (screen_q.monthly_intake, {"month": "月份", "cases": "案件数"}),
    "screen-flow": (screen_q.flow_levels, {"cases": "案件数"}),
    "screen-map": (screen_q.open_by_child, {"code": "区域编码", "open": "在办案件"}),
    "screen-ranking": (screen_q.open_by_child, {"code": "区域编码", "open": "在办案件"}),
    "screen-red-cards": (screen_q.latest_red_cards, {"case_no": "案件编号", "unit": "责任单位"}),
}
# Tiles exported as 指标/数值 rows: the tile label and the query column behind it.
KPI_CHECKS: dict[str, tuple[Query, dict[str, str]]] = {
    "resolution-kpis": (resolution_q.resolution_kpis, {"调解成功率": "mediation_rate", "初信初访": "first_petitions"}),
    "overdue-kpis": (overdue_q.overdue_summary, {"逾期在办案件": "overdue", "红牌督办": "red"}),
    "screen-kpis": (screen_q.screen_kpis, {"今日受理": "intake_today", "调解成功率": "success_rate",
                                           "逾期在办": "overdue"}),
}


# --- the registry and the menus ----------------------------------------------------------------------------


def _ids(component) -> list:
    """Every `id` in a Dash component tree."""
    found = [component.id] if getattr(component, "id", None) is not None else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            found += _ids(child)
    return found


def test_every_chart_of_the_pages_is_registered_once() -> None:
    for page, names in EXPECTED.items():
        registered = [s.name for s in chart_specs() if s.page == page]
        assert set(names) <= set(registered), page
    assert len(SPECS) == len(chart_specs())  # names are unique (Registry refuses duplicates too)
    assert SPECS["overdue-cases"].rows is not None and SPECS["overdue-cases"].count is not None


@pytest.mark.parametrize("page", PAGES)
def test_each_page_has_a_report_menu_and_menus_only_for_registered_charts(app, page: str) -> None:
    import importlib

    with app.server.app_context():
        ids = _ids(importlib.import_module(f"layouts.{page}").layout())
    links = {i["chart"] for i in ids if isinstance(i, dict) and i.get("type") == Export.LINK}
    reports = {i["page"] for i in ids if isinstance(i, dict) and i.get("type") == Export.REPORT}
    assert reports == {page}
    assert links <= set(SPECS), links - set(SPECS)
    if page != "screen":  # the wall screen offers only the page report (see layouts.screen)
        assert links == set(EXPECTED[page])


def test_the_overdue_list_is_streamed_not_loaded(engine, county) -> None:
    state = ViewState(county, YEAR, ())
    header, rows = overdue_case_rows(engine, state)
    assert isinstance(rows, types.GeneratorType)  # nothing is read before the response asks for it
    first = next(rows)
    assert len(first) == len(header)
    rows.close()  # a client that goes away closes the cursor


def test_the_csv_response_stays_a_stream(analyst) -> None:
    # A body read into memory before sending gets a Content-Length; a stream cannot know its length.
    response = analyst.get(f"/export/overdue-cases.csv{VIEW}", buffered=False)
    try:
        assert response.status_code == 200 and "Content-Length" not in response.headers
        assert next(iter(response.response)).startswith(b"\xef\xbb\xbf")
    finally:
        response.close()
    small = analyst.get(f"/export/overdue-aging.csv{VIEW}")
    assert small.status_code == 200 and small.data.startswith(b"\xef\xbb\xbf")


def test_printed_map_labels_sit_on_their_points_and_never_overlap() -> None:
    center = {"lon": 118.3, "lat": 34.0}
    assert to_paper(118.3, 34.0, center, 9.0) == pytest.approx((0.5, 0.5))
    east, north = to_paper(118.4, 34.1, center, 9.0)
    assert east > 0.5 and north > 0.5  # paper y grows upwards, like north
    children = pd.DataFrame({"code": ["a", "b", "c"], "name": ["甲镇", "乙镇", "丙镇"], "lon": [118.3, 118.3, 118.45],
                             "lat": [34.0, 34.0, 34.0], "cases": [5, 9, 7]})
    labels = area_labels(children, map_q.MapMetric.CASES, center, 9.0)
    assert [n["text"] for n in labels] == ["<b>乙镇</b><br>9", "<b>丙镇</b><br>7"]  # 甲 would cover 乙: left out


# --- images -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", IMAGE_CHARTS)
def test_png_is_large_and_drawn_and_svg_carries_the_title(analyst, name: str) -> None:
    png = analyst.get(f"/export/{name}.png{VIEW}")
    assert png.status_code == 200 and png.mimetype == "image/png", png.data[:200]
    image = not_blank(png.data)
    assert image.width >= 3200 and image.height >= 1800
    svg = analyst.get(f"/export/{name}.svg{VIEW}")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert ET.fromstring(svg.data).tag.endswith("svg")
    body = svg.get_data(as_text=True)
    assert SPECS[name].title in body and "沭阳县" in body


def test_the_full_case_list_has_no_image(analyst) -> None:
    response = analyst.get(f"/export/overdue-cases.png{VIEW}")
    assert response.status_code == 404 and "xlsx" in response.get_json()["error"]


# --- spreadsheets -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_xlsx_holds_the_query_numbers(analyst, engine, county, name: str) -> None:
    query, columns = CHECKS[name]
    want = query(engine, county, YEAR, ())
    header, rows = sheet_table(analyst.get(f"/export/{name}.xlsx{VIEW}").data)
    assert len(rows) == len(want)
    assert len(want) > 0
    got = sorted(zip(*(column_values(header, rows, h) for h in columns.values()), strict=True), key=repr)
    expected = sorted(zip(*([plain(v) for v in want[c]] for c in columns), strict=True), key=repr)
    assert got == expected


@pytest.mark.parametrize("name", sorted(KPI_CHECKS))
def test_xlsx_of_tiles_holds_the_query_values(analyst, engine, county, name: str) -> None:
    query, keys = KPI_CHECKS[name]
    want = query(engine, county, YEAR, ())
    _header, rows = sheet_table(analyst.get(f"/export/{name}.xlsx{VIEW}").data)
    values = {r[0]: r[1] for r in rows}
    for label, column in keys.items():
        assert plain(values[label]) == plain(want[column].iloc[0]), label
    assert isinstance(values[next(iter(keys))], int | float)


def test_spreadsheets_show_chinese_labels_not_codes(analyst) -> None:
    header, rows = sheet_table(analyst.get(f"/export/flow-sankey.xlsx{VIEW}").data)
    assert header[0] == "来源渠道"
    assert set(column_values(header, rows, "来源渠道")) <= set(CHANNEL_LABELS.values())


@pytest.mark.parametrize("name", PAGE_CHARTS)
def test_csv_starts_with_a_bom_decodes_and_matches_the_xlsx(analyst, name: str) -> None:
    raw = analyst.get(f"/export/{name}.csv{VIEW}").data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    meta = {r[0]: r[1] for r in rows[:6]}
    assert meta["# 区域"] == "沭阳县" and meta["# 标题"] == SPECS[name].title
    header, xlsx_rows = sheet_table(analyst.get(f"/export/{name}.xlsx{VIEW}").data)
    assert rows[6] == header
    assert len(rows) - 7 == len(xlsx_rows)


def test_page_parameters_of_the_url_are_followed(analyst, engine, county) -> None:
    node = flow_q.NodeFilter(flow_q.NodeFamily.KIND, "dispute")
    want = flow_q.handling_modes(engine, county, YEAR, (), node)
    header, rows = sheet_table(analyst.get(f"/export/flow-modes.xlsx{VIEW}&node=kind:dispute").data)
    assert column_values(header, rows, "案件数") == want["cases"].tolist()
    unfiltered = flow_q.handling_modes(engine, county, YEAR, ())
    assert want["cases"].sum() < unfiltered["cases"].sum()
    header, rows = sheet_table(analyst.get(f"/export/map-ranking.xlsx{VIEW}&metric=success_rate").data)
    rates = [r for r in column_values(header, rows, "调解成功率（%）") if r is not None]
    assert rates == sorted(rates, reverse=True)


# --- the streamed case list: safety, codes, scope, cap ------------------------------------------------------


def test_hostile_content_is_neutralized_in_the_case_list(analyst) -> None:
    header, rows = sheet_table(analyst.get(f"/export/overdue-cases.xlsx{VIEW}").data)
    hostile = [r for r in rows if r[header.index("案件编号")] == HOSTILE_NO]
    assert len(hostile) == 1
    assert hostile[0][header.index("诉求内容")] == "'" + HOSTILE
    raw = analyst.get(f"/export/overdue-cases.csv{VIEW}").data.decode("utf-8-sig")
    fields = [f for row in csv.reader(io.StringIO(raw)) for f in row]
    assert "'" + HOSTILE in fields and HOSTILE not in fields


def test_codes_keep_all_their_digits_as_text(analyst) -> None:
    data = analyst.get(f"/export/overdue-cases.xlsx{VIEW}").data
    header, rows = sheet_table(data)
    towns, grids = column_values(header, rows, "乡镇街道编码"), column_values(header, rows, "网格编码")
    assert all(isinstance(c, str) and len(c) == 12 and c.isdigit() for c in towns)
    assert all(isinstance(c, str) and len(c) == 15 and c.isdigit() for c in grids)
    cell = load_workbook(io.BytesIO(data)).worksheets[0].cell(row=9, column=header.index("乡镇街道编码") + 1)
    assert cell.data_type == "s"
    header, rows = sheet_table(analyst.get("/export/map-choropleth.xlsx?area=321300").data)
    assert "321322000000" in column_values(header, rows, "区域编码")  # trailing zeros kept: text, not a number


def test_case_list_holds_every_overdue_case_in_the_page_order(analyst, engine, county) -> None:
    header, rows = sheet_table(analyst.get(f"/export/overdue-cases.xlsx{VIEW}").data)
    summary = overdue_q.overdue_summary(engine, county, YEAR)
    assert len(rows) == int(summary["overdue"].iloc[0])
    first_page = overdue_q.overdue_cases_page(engine, county, YEAR, (), overdue_q.TableRequest())
    assert column_values(header, rows, "案件编号")[:len(first_page.rows)] == first_page.rows["case_no"].tolist()
    days = column_values(header, rows, "逾期天数")
    assert days == sorted(days, reverse=True) and min(days) >= 1


def test_a_chiefs_export_holds_only_their_county(app, engine) -> None:
    chief = client_for(app, f"chief-{COUNTY}")
    header, rows = sheet_table(chief.get("/export/map-ranking.xlsx").data)
    codes = column_values(header, rows, "区域编码")
    with engine.connect() as conn:
        townships = conn.execute(text("SELECT COUNT(*) FROM areas WHERE parent_code = :c"),
                                 {"c": f"{COUNTY}000000"}).scalar_one()
    assert len(codes) == townships and all(c.startswith(COUNTY) for c in codes)
    raw = chief.get("/export/overdue-cases.csv?from=2021-01-01&to=2023-12-31").data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(raw)))
    town = table[6].index("乡镇街道编码")
    assert len(table) > 8 and all(r[town].startswith(COUNTY) for r in table[7:])
    assert HOSTILE_NO in {r[0] for r in table[7:]}
    refused = chief.get("/export/overdue-cases.csv?area=321324")
    assert refused.status_code == 400 and "泗洪" not in refused.get_data(as_text=True)


def test_over_the_row_cap_is_refused_with_413(analyst, monkeypatch) -> None:
    monkeypatch.setenv("EXPORT_MAX_ROWS", "5")
    for fmt in ("csv", "xlsx"):
        response = analyst.get(f"/export/overdue-cases.{fmt}{VIEW}")
        assert response.status_code == 413
        assert "上限" in response.get_json()["error"] and "5" in response.get_json()["error"]
    assert analyst.get(f"/export/overdue-by-area.csv{VIEW}").status_code == 200  # small tables are not capped
    monkeypatch.setenv("EXPORT_MAX_ROWS", "1000000")
    assert analyst.get(f"/export/overdue-cases.csv{VIEW}").status_code == 200


# --- page reports -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_pdf_report_of_each_page_opens_and_shows_chinese(analyst, page: str, tmp_path) -> None:
    import importlib

    response = analyst.get(f"/export/report/{page}.pdf{VIEW}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    path = tmp_path / f"{page}.pdf"
    path.write_bytes(response.data)
    reader = PdfReader(path)
    drawn = [s for s in chart_specs() if s.page == page and s.figure is not None]
    assert len(reader.pages) == 1 + len(drawn)
    # Extracted CJK may come back as compatibility or radical code points (⻚ for 页): compare NFKC text.
    text_all = unicodedata.normalize("NFKC", "".join(p.extract_text() for p in reader.pages))
    assert f"{importlib.import_module(f'layouts.{page}').TITLE} " in text_all and "报告" in text_all
    assert "沭阳县" in text_all and any(s.title in text_all for s in drawn)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm missing")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(reader.pages)
    low, high = Image.open(pages[1]).convert("L").getextrema()
    assert high - low > 100
    book = load_workbook(io.BytesIO(analyst.get(f"/export/report/{page}.xlsx{VIEW}").data))
    tabled = [s for s in chart_specs() if s.page == page and s.rows is None]
    assert book.sheetnames[0] == "封面" and len(book.sheetnames) == 1 + len(tabled)


# --- in a browser -----------------------------------------------------------------------------------------


def _download(page, chart: str, fmt: str):
    """Open a chart's 导出 menu and click one format like a person; the download that arrives."""
    from playwright.sync_api import expect

    menu = page.locator(".export-menu").filter(has=page.locator(f"a[href^='/export/{chart}.']"))
    menu.locator("summary").click()
    link = menu.locator(f"a[href^='/export/{chart}.{fmt}']")
    expect(link).to_have_attribute("href", f"/export/{chart}.{fmt}{VIEW}")  # the link follows the URL's view
    link.wait_for(state="visible")
    with page.expect_download() as info:
        link.click()
    return info.value, link.get_attribute("href")


def test_flow_export_menu_downloads_files_for_the_view(live_server: str, page, tmp_path) -> None:
    from browser_helpers import screenshot

    page.goto(f"{live_server}/flow{VIEW}")
    page.locator(".flow-sankey-panel .sankey-node").first.wait_for(timeout=30_000)
    download, href = _download(page, "flow-modes", "xlsx")
    assert href == f"/export/flow-modes.xlsx{VIEW}"
    assert unquote(download.suggested_filename) == "flow-modes_沭阳县_20230101-20231231.xlsx"
    path = tmp_path / "modes.xlsx"
    download.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"PK")
    header, rows = sheet_table(data)
    assert header[0] == "办理方式" and len(rows) == 4
    screenshot(page, "export-flow-menu")
    download, _href = _download(page, "flow-sankey", "png")
    assert download.suggested_filename.endswith(".png")
    png = tmp_path / "sankey.png"
    download.save_as(png)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    not_blank(png.read_bytes())
