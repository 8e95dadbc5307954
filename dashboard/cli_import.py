"""`python -m dashboard import …`: placeholder until the importer lands (see issue on data import)."""

from __future__ import annotations

import argparse

from dashboard.config import Config


def add_import_command(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("import", help="import cases, areas, centers or staff from files (not yet available)")


def run(config: Config, args: argparse.Namespace) -> int:
    print("导入功能尚未提供")
    return 2
