"""File-level faults: each one refuses the whole file with a clear Chinese message and changes no data."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from test_import_cases import checksum, copy_sqlite, counts

from data.importer import FileRefused, ImportOptions, run_import
from data.importer.synth import HEADER, grid_codes, synthetic_cases

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def fault_db(small_sqlite, tmp_path_factory):
    """One private copy for the module: refused files must not change it, which every test checks."""
    engine = copy_sqlite(small_sqlite, tmp_path_factory.mktemp("faults") / "db.sqlite")
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _import_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("IMPORT_DIR", str(tmp_path / "imports"))


def _good_frame(engine):
    return synthetic_cases(grid_codes(engine)[:10], 5, seed=2, prefix="FAULT")


def _xlsx(path: Path, extra: dict[str, bytes] | None = None, rows: int = 3) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(rows):
        ws.append([f"X{i}", "2023-05-01", "矛盾纠纷"] + [""] * (len(HEADER) - 3))
    wb.save(path)
    if extra:
        with zipfile.ZipFile(path, "a") as zf:
            for name, data in extra.items():
                zf.writestr(name, data)
    return path


def _bomb(path: Path) -> Path:
    """A zip that looks like a workbook but inflates a few KB into 300 MB."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"0" * (1 << 20)
            for _ in range(300):
                member.write(block)
    return path


def _make(kind: str, tmp_path: Path, engine) -> Path:
    path = tmp_path / f"{kind}.csv"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "blank":
        path.write_text("\n \n", encoding="utf-8")
    elif kind == "header_only":
        path.write_text(",".join(HEADER) + "\n", encoding="utf-8-sig")
    elif kind == "missing_columns":
        _good_frame(engine).drop(columns=["登记时间", "办理状态"]).to_csv(path, index=False)
    elif kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    elif kind == "xls":
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048)
    elif kind == "bomb":
        path = _bomb(tmp_path / "bomb.xlsx")
    elif kind == "macro":
        path = _xlsx(tmp_path / "macro.xlsx", {"xl/vbaProject.bin": b"\x00VBA"})
    elif kind == "external_link":
        path = _xlsx(tmp_path / "links.xlsx", {"xl/externalLinks/externalLink1.xml": b"<externalLink/>"})
    elif kind == "not_a_workbook":
        with zipfile.ZipFile(tmp_path / "doc.xlsx", "w") as zf:
            zf.writestr("word/document.xml", "<document/>")
        path = tmp_path / "doc.xlsx"
    elif kind == "xlsx_header_only":
        path = _xlsx(tmp_path / "head.xlsx", rows=0)
    elif kind == "too_big":
        _good_frame(engine).to_csv(path, index=False)
    return path


FAULTS = {
    "empty": "文件为空",
    "blank": "文件为空",
    "header_only": "只有表头",
    "missing_columns": "缺少必需的列: 登记时间、办理状态",
    "binary": "不是 CSV 或 xlsx",
    "xls": "xls",
    "bomb": "压缩炸弹",
    "macro": "宏",
    "external_link": "外部链接",
    "not_a_workbook": "不是 xlsx 工作簿",
    "xlsx_header_only": "只有表头",
    "too_big": "超过上限",
}


@pytest.mark.parametrize("kind", list(FAULTS))
def test_file_level_fault_is_refused_and_changes_nothing(fault_db, tmp_path, monkeypatch, kind: str) -> None:
    path = _make(kind, tmp_path, fault_db)
    if kind == "too_big":
        monkeypatch.setenv("IMPORT_MAX_MB", "0.0001")
    before, digest = counts(fault_db), checksum(fault_db)
    with pytest.raises(FileRefused) as refused:
        run_import(fault_db, "cases", path, ImportOptions())
    assert FAULTS[kind] in str(refused.value)
    assert counts(fault_db) == before and checksum(fault_db) == digest
    with fault_db.connect() as conn:
        status, message = conn.execute(text("SELECT status, message FROM import_runs ORDER BY id DESC LIMIT 1")).one()
    assert status == "refused" and FAULTS[kind] in message


def test_cli_prints_the_reason_and_exits_non_zero(fault_db, tmp_path) -> None:
    path = _make("missing_columns", tmp_path, fault_db)
    env = {**os.environ, "DATABASE_URL": str(fault_db.url), "IMPORT_DIR": str(tmp_path / "imports")}
    result = subprocess.run([sys.executable, "-m", "dashboard", "import", "cases", str(path), "--json"],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("错误: 缺少必需的列")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_bad_mapping_file_is_refused(fault_db, tmp_path) -> None:
    path = _make("too_big", tmp_path, fault_db)
    mapping = tmp_path / "map.json"
    mapping.write_text('{"columns": {"Created": "no_such_field"}}', encoding="utf-8")
    with pytest.raises(FileRefused, match="未知字段"):
        run_import(fault_db, "cases", path, ImportOptions(mapping=mapping))


@pytest.mark.parametrize("kind", ["cases", "areas", "centers", "staff"])
def test_every_import_command_has_help(kind: str) -> None:
    result = subprocess.run([sys.executable, "-m", "dashboard", "import", kind, "--help"], capture_output=True,
                            text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0 and "--mapping" in result.stdout and "--dry-run" in result.stdout
