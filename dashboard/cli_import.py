"""`python -m dashboard import cases|areas|centers|staff FILE`: the command-line importer.

Progress lines go to standard error, the report (or with --json exactly one JSON object) to standard output.
A file refused as a whole prints `错误: …` and exits 2; nothing is changed in that case.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from dashboard.config import Config

KIND_HELP = {
    "cases": ("import cases (CSV/xlsx; platform export headers or a --mapping file)",
              "Import cases from CSV (UTF-8 or GBK) or xlsx. Rows are upserted by case number (案件编号): "
              "a re-import changes nothing, a newer export updates cases. Bad rows are quarantined with a reason."),
    "areas": ("import area boundaries (GeoJSON, Shapefile, GeoPackage)",
              "Import areas with codes and outlines; codes, parents and geometry are validated, then upserted."),
    "centers": ("import service centers (CSV/xlsx: 中心名称, 区域编码, …)",
                "Import service centers, upserted by name; each must sit in a known area above grid level."),
    "staff": ("import stationed staff (CSV/xlsx: 姓名, 所属中心, 入驻机构)",
              "Import the people stationed in centers; unknown institutions are created in their center."),
}


def add_import_command(sub: argparse._SubParsersAction) -> None:
    """The `import` subcommand with one sub-subcommand per kind of file."""
    imp = sub.add_parser("import", help="import cases, areas, centers or staff from files",
                         description="Import data files. Each import is logged (import_runs) with a report "
                         "whose counts add up; rejected rows go to a rejects CSV and the quarantine table.")
    kinds = imp.add_subparsers(dest="import_kind", required=True, metavar="KIND")
    for kind, (help_text, description) in KIND_HELP.items():
        p = kinds.add_parser(kind, help=help_text, description=description)
        p.add_argument("file", metavar="FILE", help="the file to import")
        p.add_argument("--mapping", metavar="MAP", help="mapping file (JSON or YAML) for another export's columns")
        p.add_argument("--sheet", metavar="NAME", help="xlsx sheet (default: the first) or GeoPackage layer")
        p.add_argument("--dry-run", action="store_true", help="check and count only; change no data")
        p.add_argument("--json", action="store_true", help="print the report as one JSON object")
        p.add_argument("--encoding", metavar="ENC", help="CSV encoding (default: detect UTF-8, then GB18030)")
        p.add_argument("--coords", choices=["wgs84", "gcj02"],
                       help="datum of coordinates in the file (default: the mapping's, else wgs84)")


def run(config: Config, args: argparse.Namespace) -> int:
    """Execute `import KIND FILE`; returns the exit status."""
    from data.cards import DEFAULT_RULE, CardRule
    from data.db import create_schema, make_engine
    from data.importer import FileRefused, ImportFailed, ImportOptions, run_import

    config.ensure_sqlite_dir()
    engine = make_engine(config.database_url)
    create_schema(engine)
    opts = ImportOptions(
        mapping=Path(args.mapping) if args.mapping else None, sheet=args.sheet, dry_run=args.dry_run,
        encoding=args.encoding, coords=args.coords, actor=f"cli:{_user()}",
        rule=CardRule.from_file(config.card_rule_file) if config.card_rule_file else DEFAULT_RULE,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    try:
        report = run_import(engine, args.import_kind, Path(args.file), opts)
    except (FileRefused, ImportFailed) as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, FileRefused) else 1
    finally:
        engine.dispose()
    print_report(report, args.json)
    return 0


def print_report(report, as_json: bool) -> None:
    """An import report on standard output: one JSON object, or the plain lines."""
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print("\n".join(report.lines()))


def cli_user() -> str:
    """Who runs the command, for the import log and the audit trail."""
    return _user()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"
