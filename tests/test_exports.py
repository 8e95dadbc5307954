"""Exports: images not blank and titled, spreadsheets safe and equal to the queries, scoped and audited."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from PIL import Image
from pypdf import PdfReader

from dashboard.app import create_app
from dashboard.config import Config
from dashboard.exports.sheets import ExportMeta, add_sheet, csv_chunks, neutralize, text_column_indexes
from data.filters import Period, find_area
from data.queries.summary import headline_kpis

PASSWORD = "suqian-demo-2023"
HOSTILE = '=HYPERLINK("http://example.invalid","x")'


@pytest.fixture(scope="module")
def app(demo_db_url: str, tmp_path_factory):
    db = tmp_path_factory.mktemp("exports") / "exports.sqlite"
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), db)
    return create_app(Config(database_url=f"sqlite:///{db}", secret_key="export-test-" + "x" * 20))


def client_for(app, user: str):
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": user, "password": PASSWORD, "csrf": csrf}).status_code == 302
    return client


def test_index_lists_charts_and_errors_are_clear(app) -> None:
    client = client_for(app, "analyst")
    names = client.get("/export/").get_json()
    assert isinstance(names, list) and "home-kpis" in names
    unknown = client.get("/export/no-such-chart.png")
    assert unknown.status_code == 404 and "未知图表" in unknown.get_json()["error"]
    assert client.get("/export/home-kpis.docx").status_code == 404
    bad = client.get("/export/home-kpis.csv?from=2023-02-30")
    assert bad.status_code == 400 and "日期格式错误" in bad.get_json()["error"]
    backwards = client.get("/export/home-kpis.csv?from=2023-09-01&to=2023-01-01")
    assert backwards.status_code == 400


def test_png_is_large_not_blank_and_svg_has_title(app) -> None:
    client = client_for(app, "analyst")
    png = client.get("/export/home-kpis.png?area=321322")
    assert png.status_code == 200 and png.mimetype == "image/png"
    image = Image.open(io.BytesIO(png.data)).convert("L")
    assert image.width >= 3200 and image.height >= 1800  # 1600×900 at 2×
    low, high = image.getextrema()
    assert high - low > 100  # not one flat color
    svg = client.get("/export/home-kpis.svg?area=321322")
    root = ET.fromstring(svg.data)
    assert root.tag.endswith("svg")
    assert "总览指标" in svg.get_data(as_text=True) and "沭阳县" in svg.get_data(as_text=True)


def expected_values(app, code: str) -> dict[str, float]:
    engine = app.server.extensions["command_center"].engine
    row = headline_kpis(engine, find_area(engine, code), Period(date(2023, 1, 1), date(2023, 9, 14))).iloc[0]
    return {"矛盾纠纷化解数": int(row["disputes_handled"]), "受理案件": int(row["intake"]),
            "调解成功率": round(float(row["success_rate"]), 2), "红牌督办": int(row["red_cards"])}


def test_xlsx_and_csv_hold_the_query_numbers_for_the_chiefs_county_only(app) -> None:
    client = client_for(app, "chief-321322")
    query = "?area=321322&from=2023-01-01&to=2023-09-14"
    want = expected_values(app, "321322")
    book = load_workbook(io.BytesIO(client.get("/export/home-kpis.xlsx" + query).data))
    sheet = book.worksheets[0]
    cells = {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert cells["区域"] == "沭阳县" and cells["时段"] == "2023年1月1日至2023年9月14日"
    assert "生成时间" in cells and "数据来源" in cells
    for key, value in want.items():
        assert cells[key] == value, key
        assert isinstance(cells[key], int | float)
    raw = client.get("/export/home-kpis.csv" + query).data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    data = {r[0]: r[1] for r in rows if len(r) == 2}
    assert data["# 区域"] == "沭阳县"
    assert int(data["矛盾纠纷化解数"]) == want["矛盾纠纷化解数"]
    # Asking for another county is refused, never widened; the city is clamped and refused too.
    for other in ("321324", "321300"):
        response = client.get(f"/export/home-kpis.csv?area={other}")
        assert response.status_code == 400 and "泗洪县" not in response.get_data(as_text=True)


def test_exports_are_audited(app) -> None:
    client = client_for(app, "analyst")
    client.get("/export/home-kpis.csv?area=321311")
    engine = app.server.extensions["command_center"].engine
    from sqlalchemy import text

    with engine.connect() as conn:
        detail = conn.execute(text(
            "SELECT detail FROM audit_log WHERE action = 'export' AND actor = 'analyst' ORDER BY id DESC")).first()[0]
    assert '"chart": "home-kpis"' in detail and "321311000000" in detail


def test_display_tokens_cannot_export(app) -> None:
    from data.accounts import add_token

    engine = app.server.extensions["command_center"].engine
    _, token = add_token(engine, "321300", ["screen"])
    client = app.server.test_client()
    client.get(f"/screen?token={token}")
    assert client.get("/export/home-kpis.csv").status_code == 403


def test_spreadsheet_safety_codes_text_dates_and_formulas() -> None:
    frame = pd.DataFrame({
        "区域编码": ["321322101201", "321322101201001"],
        "案件编号": ["SQ20233213220000001", "0012"],
        "诉求内容": [HOSTILE, "+1 -2 @x"],
        "登记时间": [datetime(2023, 9, 14, 8, 30), datetime(2023, 9, 15)],
        "件数": [12, 7],
    })
    meta = ExportMeta("测试", "沭阳县", "2023年", "", datetime(2024, 1, 1))
    header = list(frame.columns)
    texts = text_column_indexes(header)
    book = Workbook(write_only=True)
    add_sheet(book, "测试", meta, header, frame.itertuples(index=False, name=None), texts)
    buffer = io.BytesIO()
    book.save(buffer)
    sheet = load_workbook(buffer).worksheets[0]
    rows = [r for r in sheet.iter_rows(min_row=9, values_only=True)]
    assert rows[0][0] == "321322101201" and rows[1][0] == "321322101201001"  # all digits, as text
    assert rows[1][1] == "0012"
    assert rows[0][2] == "'" + HOSTILE and rows[1][2] == "'+1 -2 @x"
    assert isinstance(rows[0][3], datetime) and rows[0][4] == 12
    assert sheet.cell(row=9, column=1).data_type == "s"
    text_out = b"".join(csv_chunks(meta, header, frame.itertuples(index=False, name=None), texts)).decode("utf-8-sig")
    assert "'=HYPERLINK" in text_out and "\n=HYPERLINK" not in text_out and ",=HYPERLINK" not in text_out
    assert "321322101201001" in text_out
    assert neutralize("\tcmd") == "'\tcmd" and neutralize("正常文本") == "正常文本"


def test_pdf_report_opens_and_shows_chinese(app, tmp_path) -> None:
    client = client_for(app, "analyst")
    pdf = client.get("/export/report/home.pdf?area=321323")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.data)
    reader = PdfReader(path)
    assert len(reader.pages) >= 2
    text = "".join(page.extract_text() for page in reader.pages)
    assert "泗阳县" in text and "总览指标" in text
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm missing")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(reader.pages)
    low, high = Image.open(pages[1]).convert("L").getextrema()
    assert high - low > 100
    book = load_workbook(io.BytesIO(client.get("/export/report/home.xlsx?area=321323").data))
    assert book.sheetnames[0] == "封面" and len(book.sheetnames) >= 2
