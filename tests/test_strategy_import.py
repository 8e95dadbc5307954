"""Imports of indicator values and media items (quarantine, idempotence, formats), the CLI commands and the
admin form for entering a value. Each test writes to its own copy of the small demo, never to the shared one.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from dashboard import cli_strategy, indicator_admin
from dashboard.config import Config
from data.db import make_engine
from data.importer.faults import FileRefused
from data.indicator_import import import_indicators, parse_period
from data.opinion_import import import_opinion

FIXTURES = Path(__file__).parent / "fixtures" / "strategy"
PASSWORD = "suqian-demo-2023"


@pytest.fixture
def db_copy(small_sqlite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private copy of the small demo (SQLite backup API, so the WAL is included)."""
    monkeypatch.setenv("IMPORT_DIR", str(tmp_path / "imports"))
    target = tmp_path / "copy.sqlite"
    source = sqlite3.connect(small_sqlite.url.database)
    dest = sqlite3.connect(target)
    source.backup(dest)
    source.close()
    dest.close()
    engine = make_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


def _all(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def test_periods_parse_in_every_documented_form() -> None:
    assert parse_period("2022").key == "2022" and parse_period("2022年").label == "2022年"
    assert parse_period("2023年上半年").key == "2023H1" and parse_period("2023h2").label == "2023年下半年"
    assert parse_period("2023年第三季度").key == "2023Q3" and parse_period("2023Q3").end.isoformat() == "2023-09-30"
    assert parse_period("2023-07").key == "2023-07" and parse_period("2023年2月").end.isoformat() == "2023-02-28"
    for bad in ("2023年第五季度", "2023-13", "去年", "1899", ""):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_indicator_import_quarantines_bad_rows_and_keeps_the_good_ones(db_copy) -> None:
    report = import_indicators(db_copy, FIXTURES / "indicators_bad_rows.csv", actor="tester")
    c = report.counts
    assert (c.received, c.rejected) == (9, 5)
    assert c.inserted + c.updated + c.unchanged == 4
    problems = _all(db_copy, "SELECT row_no, field, value, reason FROM quarantine_rows WHERE import_id = :i "
                             "ORDER BY row_no", i=report.import_id)
    by_row = {r.row_no: r for r in problems}
    assert by_row[5].field == "指标" and by_row[5].value == "不存在的指标" and "未知指标" in by_row[5].reason
    assert by_row[6].field == "期间" and by_row[6].value == "2023年第五季度"
    assert by_row[7].field == "数值" and by_row[7].value == "九十六" and by_row[7].reason == "数值须为数字"
    assert by_row[8].field == "指标+区域+期间" and "与第 2 行重复" in by_row[8].reason
    assert by_row[9].field == "全省排名" and "排名大于排名总数" in by_row[9].reason
    rejects = Path(report.rejects_file).read_text(encoding="utf-8-sig")
    assert rejects.splitlines()[0] == "行号,字段,取值,原因,原始行" and "九十六" in rejects
    # the good rows are stored with who entered them; the demo value they replaced is no longer marked demo
    (value, by, source, demo), = _all(db_copy, "SELECT value, entered_by, entry_source, is_demo FROM indicator_values "
                                               "WHERE indicator_code = 'crime_rate' AND area_code = '321300000000' "
                                               "AND period_key = '2023'")
    assert (value, by, source, bool(demo)) == (6.4, "tester", "import", False)
    assert _all(db_copy, "SELECT COUNT(*) FROM indicator_value_log WHERE import_id = :i", i=report.import_id)[0][0] == 4


def test_indicator_import_is_idempotent(db_copy) -> None:
    first = import_indicators(db_copy, FIXTURES / "indicators_bad_rows.csv")
    second = import_indicators(db_copy, FIXTURES / "indicators_bad_rows.csv")
    assert first.counts.inserted + first.counts.updated == 4
    assert (second.counts.inserted, second.counts.updated, second.counts.unchanged) == (0, 0, 4)


def test_imports_empty_the_caches_but_leave_the_case_summaries_alone(db_copy) -> None:
    from data.db import get_meta

    def state() -> tuple[str | None, str | None, int]:
        stamp = _all(db_copy, "SELECT COUNT(*) FROM sum_cases")[0][0]
        return get_meta(db_copy, "data_version"), get_meta(db_copy, "summary_source"), stamp

    version, source, rows = state()
    # A rebuild would overwrite this marker with the newest case id; a plain version bump leaves it.
    with db_copy.begin() as conn:
        conn.execute(text("UPDATE meta SET value = 'kept' WHERE key = 'summary_source'"))
    import_indicators(db_copy, FIXTURES / "indicators_bad_rows.csv")
    after = state()
    assert after[0] != version and after[1:] == ("kept", rows)
    import_opinion(db_copy, FIXTURES / "media_sample.jsonl")
    assert state()[0] not in (version, after[0])
    assert source is not None


def test_indicator_import_reads_xlsx_and_json_lines(db_copy, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["指标名称", "地区", "统计期间", "指标值"])
    sheet.append(["反诈知晓率", "泗洪县", "2023年第四季度", 82.5])
    sheet.append(["反诈知晓率", "泗洪县", "2023Q4", 83])
    path = tmp_path / "values.xlsx"
    book.save(path)
    report = import_indicators(db_copy, path)
    assert (report.counts.inserted, report.counts.rejected) == (1, 1)  # the second row is a duplicate period
    lines = tmp_path / "values.jsonl"
    lines.write_text('{"指标": "crime_rate", "区域": "321311", "期间": "2023-06", "数值": 0.5}\n'
                     'not json\n', encoding="utf-8")
    report = import_indicators(db_copy, lines)
    assert (report.counts.inserted, report.counts.rejected) == (1, 1)


def test_a_file_without_a_required_column_is_refused_whole(db_copy, tmp_path: Path) -> None:
    path = tmp_path / "no_value.csv"
    path.write_text("指标,区域,期间\ncrime_rate,321300,2023\n", encoding="utf-8")
    with pytest.raises(FileRefused, match="缺少必填列: 数值"):
        import_indicators(db_copy, path)
    status, = _all(db_copy, "SELECT status FROM import_runs ORDER BY id DESC LIMIT 1")[0]
    assert status == "refused"


def test_opinion_import_computes_sentiment_quarantines_and_is_idempotent(db_copy) -> None:
    report = import_opinion(db_copy, FIXTURES / "media_sample.jsonl", actor="tester")
    assert (report.counts.received, report.counts.inserted, report.counts.rejected) == (9, 3, 6)
    rows = {r.external_id: r for r in _all(db_copy, "SELECT external_id, source, sentiment, topic, kind, county_code, "
                                                    "reach, is_demo FROM media_items WHERE import_id = :i", i=report.import_id)}
    assert rows["wb-001"].sentiment == "negative" and rows["wb-001"].topic == "property"
    assert rows["wb-001"].county_code == "321322000000" and rows["wb-001"].reach == 1200
    assert rows["wx-002"].sentiment == "positive" and rows["wx-002"].source == "wechat"
    assert rows["nw-003"].sentiment == "neutral" and rows["nw-003"].kind == "security"
    assert not any(bool(r.is_demo) for r in rows.values())
    reasons = {r.row_no: r.reason for r in _all(db_copy, "SELECT row_no, reason FROM quarantine_rows WHERE import_id = :i",
                                                 i=report.import_id)}
    assert set(reasons) == {4, 5, 6, 7, 8, 9}
    assert "未知来源" in reasons[4] and "重复" in reasons[7] and "JSON" in reasons[6]
    again = import_opinion(db_copy, FIXTURES / "media_sample.jsonl")
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 3)


def test_opinion_import_from_csv_without_ids_uses_a_stable_hash(db_copy, tmp_path: Path) -> None:
    path = tmp_path / "media.csv"
    path.write_text("来源,发布时间,标题,正文\n微博,2023/12/1 8:00,群租房电线乱拉，消防隐患很大,住户害怕\n", encoding="utf-8")
    first = import_opinion(db_copy, path)
    second = import_opinion(db_copy, path)
    assert (first.counts.inserted, second.counts.unchanged) == (1, 1)
    (eid, topic), = _all(db_copy, "SELECT external_id, topic FROM media_items WHERE import_id = :i", i=first.import_id)
    assert eid.startswith("h:") and topic == "fire"


def _cli(db_copy, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli_strategy.add_commands(sub)
    args = parser.parse_args(list(argv))
    return cli_strategy.run(Config(database_url=str(db_copy.url)), args)


def test_cli_prints_one_json_report_and_refuses_an_empty_file(db_copy, tmp_path: Path, capsys) -> None:
    assert _cli(db_copy, "import-indicators", str(FIXTURES / "indicators_bad_rows.csv"), "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"received", "inserted", "updated", "unchanged", "rejected", "import_id", "rejects_file"}
    assert (out["received"], out["rejected"]) == (9, 5)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert _cli(db_copy, "import-opinion", str(empty)) == 2
    assert "错误: 文件为空" in capsys.readouterr().err
    assert _cli(db_copy, "import-opinion", str(FIXTURES / "media_sample.jsonl"), "--dry-run", "--json") == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["inserted"] == 3
    assert _all(db_copy, "SELECT COUNT(*) FROM media_items WHERE external_id = 'wb-001'")[0][0] == 0  # nothing written


def _admin_client(db_copy, user: str):
    from dashboard.app import create_app

    app = create_app(Config(database_url=str(db_copy.url), secret_key="t" * 32))
    indicator_admin.register(app.server)
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": user, "password": PASSWORD, "csrf": csrf}).status_code == 302
    return client


def test_admin_form_stores_a_value_with_who_and_when(db_copy) -> None:
    client = _admin_client(db_copy, "admin")
    page = client.get(indicator_admin.PATH)
    assert page.status_code == 200 and "指标录入" in page.get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {"indicator": "safety_sense", "area": "321323000000", "period": "2023H2", "value": "98.9", "csrf": csrf}
    assert client.post(indicator_admin.PATH, data={**form, "csrf": "forged"}).status_code == 400
    bad = client.post(indicator_admin.PATH, data={**form, "value": "很高"})
    assert bad.status_code == 400 and "数值：数值须为数字" in bad.get_data(as_text=True)
    done = client.post(indicator_admin.PATH, data=form)
    assert done.status_code == 303
    (value, by, source, when), = _all(db_copy, "SELECT value, entered_by, entry_source, entered_at FROM indicator_values "
                                               "WHERE indicator_code = 'safety_sense' AND area_code = '321323000000' "
                                               "AND period_key = '2023H2'")
    assert (value, by, source) == (98.9, "admin", "form") and when is not None
    assert _all(db_copy, "SELECT COUNT(*) FROM indicator_value_log l JOIN indicator_values v ON v.id = l.value_id "
                         "WHERE v.indicator_code = 'safety_sense' AND v.area_code = '321323000000' "
                         "AND v.period_key = '2023H2'")[0][0] == 2  # the demo entry and the admin's
    assert "admin" in client.get(indicator_admin.PATH).get_data(as_text=True)  # listed among recent entries


def test_admin_form_is_for_admins_only(db_copy) -> None:
    assert _admin_client(db_copy, "leader").get(indicator_admin.PATH).status_code == 403
    assert _admin_client(db_copy, "chief-321322").post(indicator_admin.PATH, data={}).status_code == 403
