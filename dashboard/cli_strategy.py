"""`python -m dashboard import-indicators FILE` and `import-opinion FILE`: the strategic pages' imports.

Wiring (in dashboard/cli.py): `cli_strategy.add_commands(sub)` in `build_parser`, and both command names mapped
to `cli_strategy.run` in COMMANDS. The report goes to standard output (with --json exactly one JSON object with
the keys received, inserted, updated, unchanged, rejected, import_id, rejects_file); a file refused as a whole
prints `错误: …` on standard error and exits 2, changing nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dashboard.cli_import import cli_user, print_report
from dashboard.config import Config

COMMANDS = {
    "import-indicators": ("import indicator values (CSV/xlsx/JSON lines: 指标, 区域, 期间, 数值, …)",
                          "Import published indicator values. Rows are upserted by indicator, area and period (a "
                          "re-import changes nothing); bad rows (unknown indicator, bad period, non-numeric value, "
                          "duplicate) are quarantined with a reason. Who imported and when is kept on every value."),
    "import-opinion": ("import media items (CSV/xlsx/JSON lines: 来源, 发布时间, 标题, 正文, 区域, 传播量, 编号)",
                       "Import public-opinion items. Sentiment and topic are computed offline on import; rows are "
                       "upserted by 编号 (or a hash of source, time and title); bad rows are quarantined."),
}


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add both import commands to the main parser's subcommands."""
    for name, (help_text, description) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=description)
        p.add_argument("file", metavar="FILE", help="the file to import (.csv, .xlsx, .jsonl)")
        p.add_argument("--sheet", metavar="NAME", help="xlsx sheet (default: the first)")
        p.add_argument("--encoding", metavar="ENC", help="CSV encoding (default: detect UTF-8, then GB18030)")
        p.add_argument("--dry-run", action="store_true", help="check and count only; change no data")
        p.add_argument("--json", action="store_true", help="print the report as one JSON object")


def run(config: Config, args: argparse.Namespace) -> int:
    """Execute one of the commands; returns the exit status."""
    from data.db import create_schema, make_engine
    from data.importer.faults import FileRefused
    from data.indicator_import import import_indicators
    from data.opinion_import import import_opinion

    config.ensure_sqlite_dir()
    engine = make_engine(config.database_url)
    create_schema(engine)
    run_import = import_indicators if args.command == "import-indicators" else import_opinion
    try:
        report = run_import(engine, Path(args.file), actor=f"cli:{cli_user()}", dry_run=args.dry_run, sheet=args.sheet,
                            encoding=args.encoding)
    except FileRefused as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print_report(report, args.json)
    return 0
