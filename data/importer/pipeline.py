"""The one entry point for every import: log it, check the file, dispatch by kind, report, audit.

A file refused as a whole ends with status 'refused' and a Chinese message; an unexpected error ends with
'failed'. Either way no data changed, because data is only written in the importer's final transaction.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from pathlib import Path

from sqlalchemy import Engine, update

from data.accounts import audit
from data.db import create_schema
from data.importer.areas import import_areas
from data.importer.cases import import_cases
from data.importer.directory import import_centers, import_staff
from data.importer.faults import FileRefused, inspect_file
from data.importer.mapping import KINDS, default_mapping, load_mapping
from data.importer.options import ImportOptions
from data.importer.reading import open_table
from data.importer.report import Counts, ImportReport, run_dir, write_report
from data.importer.runs import create_run, end_run, get_run, set_progress
from data.maintenance import after_cases_changed
from data.models import ImportRun

LOG = logging.getLogger(__name__)


class ImportFailed(Exception):
    """An unexpected error during an import; the run is logged as failed and nothing changed."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def start_import(engine: Engine, kind: str, file_name: str, opts: ImportOptions, status: str = "running") -> int:
    """Create the log row first, so that even a refused file leaves a trace and progress can be polled."""
    create_schema(engine)
    if kind not in KINDS:
        raise FileRefused(f"未知的导入类型: {kind}（可选: {', '.join(KINDS)}）")
    return create_run(engine, kind, file_name, opts.actor, opts.dry_run, status)


def run_import(engine: Engine, kind: str, path: Path, opts: ImportOptions, import_id: int | None = None) -> ImportReport:
    """Import one file of `kind`; raises FileRefused (whole file refused) or ImportFailed."""
    name = opts.display_name or path.name
    if import_id is None:
        import_id = start_import(engine, kind, name, opts)
    try:
        counts, rejects_file, changed = _dispatch(engine, kind, path, opts, import_id)
    except FileRefused as exc:
        _close(engine, import_id, kind, name, opts, "refused", str(exc))
        raise
    except Exception as exc:
        trace = run_dir(import_id) / "error.txt"
        trace.write_text(traceback.format_exc(), encoding="utf-8")
        LOG.debug("import #%s of %s failed", import_id, name, exc_info=True)
        message = f"导入失败（{exc.__class__.__name__}: {str(exc)[:120]}），数据未作任何修改；详情见 {trace}"
        _close(engine, import_id, kind, name, opts, "failed", message)
        raise ImportFailed(message) from exc
    if changed:
        _refresh(engine, import_id)
    run = get_run(engine, import_id)
    report = ImportReport(import_id, kind, name, counts, rejects_file, opts.dry_run,
                          message=run.message if run else None)
    write_report(report)
    audit(engine, opts.actor, "import", {"id": import_id, "kind": kind, "file": name, "dry_run": opts.dry_run,
                                         **report.as_json()}, opts.address)
    return report


def _dispatch(engine: Engine, kind: str, path: Path, opts: ImportOptions, import_id: int) -> tuple[Counts, str | None, bool]:
    spatial = kind == "areas"
    info = inspect_file(path, opts.encoding, tabular=not spatial)
    set_progress(engine, import_id, 0, "读取文件", sha256=sha256_of(path))
    mapping = load_mapping(opts.mapping, kind) if opts.mapping else default_mapping(kind)
    if spatial:
        return import_areas(engine, path, mapping, opts, import_id)
    table = open_table(path, info, opts.sheet, opts.chunk_rows)
    mapping.check_header(table.header)
    if kind == "cases":
        return import_cases(engine, table, mapping, opts, import_id)
    if kind == "centers":
        return import_centers(engine, table, mapping, opts, import_id)
    return import_staff(engine, table, mapping, opts, import_id)


def _refresh(engine: Engine, import_id: int) -> None:
    """Summaries and data version after committed changes; a failure here must not pass for a failed import."""
    try:
        after_cases_changed(engine)
    except Exception as exc:
        trace = run_dir(import_id) / "error.txt"
        trace.write_text(traceback.format_exc(), encoding="utf-8")
        message = (f"数据已导入（#{import_id}），但导入后的刷新（汇总表、数据版本）失败: {exc.__class__.__name__}；"
                   f"详情见 {trace}")
        with engine.begin() as conn:
            conn.execute(update(ImportRun).where(ImportRun.id == import_id).values(message=message))
        raise ImportFailed(message) from exc


def _close(engine: Engine, import_id: int, kind: str, name: str, opts: ImportOptions, status: str, message: str) -> None:
    end_run(engine, import_id, status, message)
    audit(engine, opts.actor, "import", {"id": import_id, "kind": kind, "file": name, "status": status,
                                         "message": message}, opts.address)
