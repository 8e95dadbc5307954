"""Case import: quarantine of every kind of bad row, encodings, idempotent re-import, atomicity, spatial
assignment and the foreign-format sample — on private copies of the small demo database."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import shapely
from openpyxl import Workbook
from sqlalchemy import Engine, text

from data.db import make_engine
from data.importer import ImportOptions, run_import
from data.importer.spatial import GridIndex
from data.importer.synth import HEADER, grid_codes, synthetic_cases, write_csv

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"
GOOD = 20


def copy_sqlite(engine: Engine, dst: Path) -> Engine:
    """A private copy of a session database (SQLite's backup API copies a consistent snapshot, WAL included)."""
    src = sqlite3.connect(engine.url.database)
    out = sqlite3.connect(dst)
    src.backup(out)
    src.close()
    out.close()
    return make_engine(f"sqlite:///{dst}")


@pytest.fixture
def db(small_sqlite, tmp_path, monkeypatch) -> Engine:
    monkeypatch.setenv("IMPORT_DIR", str(tmp_path / "imports"))
    engine = copy_sqlite(small_sqlite, tmp_path / "db.sqlite")
    yield engine
    engine.dispose()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("cases", "case_events", "case_cards", "areas", "service_centers", "center_staff")}


def checksum(engine: Engine) -> str:
    """A digest of every case row, its events and cards: equal digests mean the data did not change."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for sql in ("SELECT id, case_no, status, grid_code, reported_at, due_at, closed_at, outcome, card, "
                    "repeat_visits FROM cases ORDER BY id",
                    "SELECT id, case_id, step, at, level FROM case_events ORDER BY id",
                    "SELECT id, case_id, color, issued_at FROM case_cards ORDER BY id"):
            for row in conn.execute(text(sql)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def mixed_rows(engine: Engine) -> tuple[pd.DataFrame, dict[int, str]]:
    """GOOD valid rows (some with unusual but valid dates) followed by bad rows; returns the frame and
    {file row number: expected reason} for the bad ones."""
    grids = grid_codes(engine)
    good = synthetic_cases(grids[:200], GOOD, seed=5, prefix="MIX")
    good.loc[1, "登记时间"] = "2023年9月14日 10:30"
    good.loc[2, "登记时间"] = "2023/9/14"
    good.loc[3, "登记时间"] = "45183.5"  # Excel serial: 2023-09-14 12:00
    for i in (1, 2, 3):
        good.loc[i, ["办理期限", "办结时间", "办理状态", "化解结果"]] = ["2023-09-30", "", "办理中", ""]
    base = good.iloc[0].to_dict()
    bad: list[tuple[dict, str]] = []

    def add(reason: str, **changes: str) -> None:
        row = {**base, "案件编号": f"BAD{len(bad):03d}", **changes}
        bad.append((row, reason))

    add("缺少必填字段", 案件编号="")
    add("未知的网格编码", 所属网格="321399999999999")
    add("无法识别的日期", 登记时间="去年夏天")
    add("办结时间早于登记时间", 办结时间="2022-01-01 00:00:00")
    add("办理期限早于登记时间", 办理期限="2022-01-01")
    add("未知的案件类型取值", 案件类型="外星人入侵")
    add("未知的办理状态取值", 办理状态="挂起")
    add("未知的办理层级取值", 办理层级="省级")
    add("未知的化解结果取值", 化解结果="不了了之")
    add("文件内案件编号重复", 案件编号=good.loc[0, "案件编号"])
    add("数值不合理", 重访次数="-1")
    add("数值不合理", 重访次数="150")
    add("超过长度上限 64 字", 责任单位="单" * 65)
    add("含有非法控制字符", 诉求内容="内容\x07响铃")
    add("坐标超出范围", 所属网格="", 经度="200", 纬度="33.9")
    add("坐标不在任何网格内", 所属网格="", 经度="116.4", 纬度="39.9")
    add("缺少网格编码或经纬度", 所属网格="")
    add("日期晚于当前时间", 登记时间="2099-01-01", 办理期限="2099-02-01", 办结时间="2099-01-05")
    frame = pd.concat([good, pd.DataFrame([r for r, _ in bad], columns=HEADER)], ignore_index=True)
    return frame, {GOOD + 2 + i: reason for i, (_, reason) in enumerate(bad)}


def quarantined(engine: Engine, import_id: int) -> dict[int, set[str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT row_no, reason FROM quarantine_rows WHERE import_id = :i"),
                            {"i": import_id}).all()
    out: dict[int, set[str]] = {}
    for row_no, reason in rows:
        out.setdefault(row_no, set()).add(reason)
    return out


def write_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(list(frame.columns))
    for i, row in enumerate(frame.itertuples(index=False)):
        cells = list(row)
        if i == 0:  # a real date cell, as Excel stores it
            cells[1] = datetime.fromisoformat(cells[1])
        ws.append(cells)
    wb.save(path)
    return path


def test_mixed_file_quarantines_each_bad_row_with_its_reason(db, tmp_path) -> None:
    frame, expected = mixed_rows(db)
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    before = counts(db)
    report = run_import(db, "cases", path, ImportOptions())
    c = report.counts
    assert (c.received, c.inserted, c.updated, c.unchanged, c.rejected) == (len(frame), GOOD, 0, 0, len(expected))
    got = quarantined(db, report.import_id)
    assert set(got) == set(expected)
    for row_no, reason in expected.items():
        assert any(reason in r for r in got[row_no]), (row_no, reason, got[row_no])
    with db.connect() as conn:
        numbers = set(conn.execute(text("SELECT case_no FROM cases WHERE case_no LIKE 'MIX%'")).scalars())
        serial = conn.execute(text("SELECT reported_at FROM cases WHERE case_no = :n"),
                              {"n": frame.loc[3, "案件编号"]}).scalar_one()
        run = conn.execute(text("SELECT status, received, rejected FROM import_runs WHERE id = :i"),
                           {"i": report.import_id}).one()
    assert numbers == set(frame.loc[: GOOD - 1, "案件编号"])
    assert str(serial).startswith("2023-09-14 12:00")
    assert tuple(run) == ("done", len(frame), len(expected))
    assert counts(db)["cases"] == before["cases"] + GOOD
    rejects = pd.read_csv(report.rejects_file, encoding="utf-8-sig", dtype=str)
    assert list(rejects.columns) == ["行号", "字段", "取值", "原因", "原始行"]
    assert set(rejects["行号"].astype(int)) == set(expected)
    assert Path(report.rejects_file).read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("variant", ["gbk", "utf8-bom", "xlsx"])
def test_encodings_and_xlsx_give_the_same_result(db, tmp_path, variant: str) -> None:
    frame, expected = mixed_rows(db)
    frame["诉求内容"] = frame["诉求内容"].str.replace("\x07", "\x01")  # GBK can encode \x01 as well
    path = tmp_path / f"mixed-{variant}"
    if variant == "xlsx":
        frame = frame.drop(index=[i - 2 for i, r in expected.items() if "控制字符" in r]).reset_index(drop=True)
        expected = {GOOD + 2 + i: r for i, r in enumerate(r for r in expected.values() if "控制字符" not in r)}
        write_xlsx(frame, path.with_suffix(".xlsx"))
        path = path.with_suffix(".xlsx")
    else:
        frame.to_csv(path.with_suffix(".csv"), index=False, encoding="gbk" if variant == "gbk" else "utf-8-sig")
        path = path.with_suffix(".csv")
    report = run_import(db, "cases", path, ImportOptions())
    assert (report.counts.inserted, report.counts.rejected) == (GOOD, len(expected))
    got = quarantined(db, report.import_id)
    assert {k: any(expected[k] in r for r in v) for k, v in got.items()} == dict.fromkeys(expected, True)
    with db.connect() as conn:
        row = conn.execute(text("SELECT kind, category, status, content, reported_at FROM cases WHERE case_no = :n"),
                           {"n": frame.loc[0, "案件编号"]}).one()
    assert row.content == frame.loc[0, "诉求内容"] and row.kind in ("dispute", "petition", "security", "hazard")


def test_reimport_is_unchanged_and_a_newer_export_updates(db, tmp_path) -> None:
    grids = grid_codes(db)[:300]
    path = write_csv(tmp_path / "v1.csv", grids, 500, seed=3, prefix="RE")
    first = run_import(db, "cases", path, ImportOptions())
    assert first.counts.inserted == 500
    before = checksum(db)
    again = run_import(db, "cases", path, ImportOptions())
    assert (again.counts.unchanged, again.counts.inserted, again.counts.updated) == (500, 0, 0)
    assert checksum(db) == before

    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    now_closed = frame.index[frame["办理状态"] == "办理中"][:5]
    frame.loc[now_closed, ["办理状态", "办结时间", "化解结果"]] = ["已办结", "2023-12-30 18:00:00", "调解成功"]
    frame.loc[10, "办理层级"] = "县区级"
    frame.loc[10, "首办层级"] = "村级"
    frame.loc[11, "诉求内容"] = "新的诉求内容"
    newer = tmp_path / "v2.csv"
    frame.to_csv(newer, index=False, encoding="utf-8-sig")
    report = run_import(db, "cases", newer, ImportOptions())
    changed = {*frame.loc[now_closed, "案件编号"], frame.loc[10, "案件编号"], frame.loc[11, "案件编号"]}
    # 首办层级 is a new column: every case now has first_level given explicitly; only truly different rows change.
    assert report.counts.updated >= len(changed) and report.counts.inserted == 0
    with db.connect() as conn:
        for number in frame.loc[now_closed, "案件编号"]:
            case = conn.execute(text("SELECT id, status, closed_at, outcome, card FROM cases WHERE case_no = :n"),
                                {"n": number}).one()
            assert (case.status, case.outcome) == ("closed", "mediated")
            steps = conn.execute(text("SELECT step, at FROM case_events WHERE case_id = :i"), {"i": case.id}).all()
            assert ("closed", case.closed_at) in [(s, a) for s, a in steps]
            cards = conn.execute(text("SELECT color FROM case_cards WHERE case_id = :i ORDER BY issued_at"),
                                 {"i": case.id}).scalars().all()
            assert (cards[-1] if cards else None) == case.card
        escalated = conn.execute(text(
            "SELECT e.level FROM case_events e JOIN cases c ON c.id = e.case_id "
            "WHERE c.case_no = :n AND e.step = 'escalated'"), {"n": frame.loc[10, "案件编号"]}).scalars().all()
        assert escalated == ["county"]
    settled = checksum(db)
    assert run_import(db, "cases", newer, ImportOptions()).counts.unchanged == 500
    assert checksum(db) == settled


def test_dry_run_changes_no_data(db, tmp_path) -> None:
    path = write_csv(tmp_path / "dry.csv", grid_codes(db)[:50], 100, seed=4, prefix="DRY")
    before = checksum(db)
    report = run_import(db, "cases", path, ImportOptions(dry_run=True))
    assert report.counts.inserted == 100 and report.dry_run
    assert checksum(db) == before


def test_spatial_assignment_inside_on_a_border_and_outside(db) -> None:
    grids = GridIndex(db)
    with db.connect() as conn:
        rows = conn.execute(text("SELECT code, lon, lat, geometry FROM areas WHERE level = 'grid' "
                                 "ORDER BY code LIMIT 400")).all()
    inside = rows[0]
    shapes = {r.code: shapely.from_geojson(r.geometry) for r in rows}
    border = _shared_vertex(shapes)
    assert border is not None, "no two neighbouring grids in the sample"
    (x, y), codes = border
    lon = pd.Series([inside.lon, x, 116.4])
    lat = pd.Series([inside.lat, y, 39.9])
    found = grids.locate(lon, lat, coords="gcj02")
    assert found.tolist() == [inside.code, min(codes), None]


def _shared_vertex(shapes: dict[str, shapely.Geometry]) -> tuple[tuple[float, float], list[str]] | None:
    """A vertex that two grid outlines share exactly: a point lying on the border of both."""
    owners: dict[tuple[float, float], list[str]] = {}
    for code, geom in shapes.items():
        for xy in {tuple(p) for p in shapely.get_coordinates(geom)}:
            owners.setdefault(xy, []).append(code)
    for xy, codes in owners.items():
        if len(codes) >= 2:
            return xy, codes
    return None


def test_points_become_grids_through_an_import(db, tmp_path) -> None:
    with db.connect() as conn:
        grid = conn.execute(text("SELECT code, lon, lat FROM areas WHERE level = 'grid' ORDER BY code LIMIT 1")).one()
    frame = synthetic_cases([grid.code], 2, seed=8, prefix="PT")
    frame["所属网格"] = ""
    frame["经度"], frame["纬度"] = [str(grid.lon), "116.4"], [str(grid.lat), "39.9"]
    path = tmp_path / "points.csv"
    frame.to_csv(path, index=False)
    report = run_import(db, "cases", path, ImportOptions(coords="gcj02"))
    assert (report.counts.inserted, report.counts.rejected) == (1, 1)
    with db.connect() as conn:
        row = conn.execute(text("SELECT grid_code, village_code, county_code FROM cases WHERE case_no = :n"),
                           {"n": frame.loc[0, "案件编号"]}).one()
    assert row.grid_code == grid.code and row.county_code.startswith("3213")


def test_foreign_311_sample_loads_through_its_mapping(db) -> None:
    report = run_import(db, "cases", SAMPLES / "311_requests.csv",
                        ImportOptions(mapping=SAMPLES / "311_mapping.yaml"))
    assert report.counts.received == 40 and report.counts.inserted == 40 and report.counts.rejected == 0
    with db.connect() as conn:
        rows = conn.execute(text("SELECT kind, category, channel, status, outcome, responsible_unit, grid_code "
                                 "FROM cases WHERE case_no LIKE '58%'")).all()
    assert {r.kind for r in rows} <= {"security", "dispute", "petition", "hazard"}
    assert {r.channel for r in rows} <= {"hotline_12345", "online_petition"}
    assert all(r.grid_code and len(r.grid_code) == 15 for r in rows)
    assert all((r.outcome == "resolved") == (r.status == "closed") for r in rows)
    assert "公安局" in {r.responsible_unit for r in rows}


def test_chinese_sample_loads(db) -> None:
    report = run_import(db, "cases", SAMPLES / "cases_sample.csv", ImportOptions(coords="gcj02"))
    assert (report.counts.inserted, report.counts.rejected) == (30, 0)


def test_cli_json_report_has_exactly_the_documented_keys(db, tmp_path) -> None:
    path = write_csv(tmp_path / "cli.csv", grid_codes(db)[:20], 30, seed=6, prefix="CLI")
    result = _cli(db, "import", "cases", str(path), "--json")
    assert result.returncode == 0, result.stderr
    import json

    report = json.loads(result.stdout)
    assert set(report) == {"received", "inserted", "updated", "unchanged", "rejected", "import_id", "rejects_file"}
    assert report["received"] == 30 == report["inserted"]


def _cli(engine: Engine, *args: str, **popen) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": str(engine.url)}
    return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300, **popen)


def test_killed_import_leaves_the_database_unchanged_and_can_be_rerun(db, tmp_path) -> None:
    path = write_csv(tmp_path / "big.csv", grid_codes(db), 60_000, seed=7, prefix="KILL")
    before, digest = counts(db), checksum(db)
    env = {**os.environ, "DATABASE_URL": str(db.url), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "import", "cases", str(path)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    deadline = time.monotonic() + 240
    for line in proc.stderr:  # progress lines; the case rows are written but not yet committed here
        seen.append(line.strip())
        if "已写入案件" in line or time.monotonic() > deadline:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, seen
    assert "已写入案件" in seen[-1] and not any("提交事务" in s for s in seen)
    assert counts(db) == before and checksum(db) == digest
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM cases WHERE case_no LIKE 'KILL%'")).scalar_one() == 0
    rerun = _cli(db, "import", "cases", str(path), "--json")
    assert rerun.returncode == 0, rerun.stderr
    assert counts(db)["cases"] == before["cases"] + 60_000


@pytest.fixture
def pg_import_db(pg_url, tmp_path, monkeypatch):
    """The small demo in a database of its own (never the shared `test` database, which other tests read)."""
    import psycopg

    from data.demo import build_demo

    monkeypatch.setenv("IMPORT_DIR", str(tmp_path / "imports"))
    name = f"import_test_{os.getpid()}"
    admin_url = pg_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    build_demo(url, cases=8_000, seed=7, log=lambda _m: None)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_postgresql_gives_the_same_results(pg_import_db, db, tmp_path) -> None:
    frame, expected = mixed_rows(db)
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    results = []
    for engine in (db, pg_import_db):
        report = run_import(engine, "cases", path, ImportOptions())
        again = run_import(engine, "cases", path, ImportOptions())
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT case_no, grid_code, status, reported_at, closed_at, card FROM cases "
                                     "WHERE case_no LIKE 'MIX%' ORDER BY case_no")).all()
            events = conn.execute(text("SELECT c.case_no, e.step, e.at FROM case_events e JOIN cases c "
                                       "ON c.id = e.case_id WHERE c.case_no LIKE 'MIX%' ORDER BY 1, 2")).all()
        results.append((report.as_json() | {"import_id": 0, "rejects_file": None}, again.counts.unchanged,
                        quarantined(engine, report.import_id),
                        [(r[0], r[1], r[2], str(r[3])[:19], str(r[4])[:19], r[5]) for r in rows],
                        [(e[0], e[1], str(e[2])[:19]) for e in events]))
    assert results[0] == results[1]
    assert results[1][1] == GOOD


def test_cards_of_imported_cases_follow_the_card_rule(db, tmp_path) -> None:
    from data.cards import DEFAULT_RULE, cards_for
    from data.db import as_of_date
    from data.importer.upsert import as_of_end

    path = write_csv(tmp_path / "cards.csv", grid_codes(db)[:100], 400, seed=12, prefix="CARD")
    run_import(db, "cases", path, ImportOptions())
    as_of = as_of_end(as_of_date(db))
    with db.connect() as conn:
        cases = conn.execute(text("SELECT id, due_at, closed_at, card FROM cases WHERE case_no LIKE 'CARD%'")).all()
        issued = conn.execute(text("SELECT k.case_id, k.color, k.issued_at FROM case_cards k JOIN cases c "
                                   "ON c.id = k.case_id WHERE c.case_no LIKE 'CARD%' ORDER BY k.issued_at")).all()
    by_case: dict[int, list[tuple[str, str]]] = {}
    for case_id, color, at in issued:
        by_case.setdefault(case_id, []).append((color, str(at)[:19]))
    with_cards = 0
    for case in cases:
        due = pd.Timestamp(case.due_at).to_pydatetime()
        closed = pd.Timestamp(case.closed_at).to_pydatetime() if case.closed_at else None
        expected = [(str(c), str(at)[:19]) for c, at in cards_for(DEFAULT_RULE, due, closed, as_of)]
        assert by_case.get(case.id, []) == expected, case
        assert case.card == (expected[-1][0] if expected else None)
        with_cards += bool(expected)
    assert with_cards > 0


def test_a_row_wider_than_the_header_is_quarantined_not_truncated(db, tmp_path) -> None:
    lines = (SAMPLES / "cases_sample.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[3] += ",多出的值"
    path = tmp_path / "ragged.csv"
    path.write_text("\n\n" + "\n".join(lines) + "\n", encoding="utf-8")  # blank lines before the header too
    report = run_import(db, "cases", path, ImportOptions(coords="gcj02"))
    assert (report.counts.inserted, report.counts.rejected) == (29, 1)
    assert quarantined(db, report.import_id) == {6: {"字段数多于表头（多出的值见取值）"}}
