"""Command line: `python -m dashboard init-db | demo | serve | stats`.

Errors are printed in plain words on stderr with a non-zero exit status, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from dashboard.config import Config, ConfigError


class CliError(Exception):
    """A user mistake: printed as one line, exit status 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"不是整数: {text!r}") from exc
    if value <= 0:
        raise argparse.ArgumentTypeError(f"必须大于 0: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard",
        description="宿迁市社会治理指挥中心 — social-governance command center. "
        "Database from DATABASE_URL (default: SQLite file under instance/).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init-db", help="create the tables in an empty database (keeps existing data)",
                   description="Create every table and index that does not exist yet at DATABASE_URL.")

    demo = sub.add_parser(
        "demo",
        help="rebuild the database with the demo city (drops existing data)",
        description="Drop all tables at DATABASE_URL and build the demo: Suqian's real counties and townships, "
        "synthetic villages and micro-grids, and cases calibrated to the city's published figures.",
    )
    demo.add_argument("--cases", type=_positive_int, default=60_000, help="number of cases (default 60000)")
    demo.add_argument("--seed", type=int, default=2023, help="random seed; the same seed gives the same data")

    serve = sub.add_parser("serve", help="serve the dashboard (development server)",
                           description="Serve the dashboard with Flask's server; use gunicorn in production.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_positive_int, default=8050, help="port (default 8050)")

    st = sub.add_parser(
        "stats",
        help="print the headline figures for a period",
        description="Print the headline figures (disputes handled, mediation success rate, first-time "
        "petitions and their change on a year earlier, structure, open cases and cards) for a period, "
        "computed by the same queries as the pages.",
    )
    st.add_argument("--from", dest="date_from", required=True, metavar="DATE", help="first day, YYYY-MM-DD")
    st.add_argument("--to", dest="date_to", required=True, metavar="DATE", help="last day, YYYY-MM-DD")
    st.add_argument("--area", metavar="CODE", help="restrict to this area's subtree (e.g. 321322)")
    st.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = Config.from_env()
        return COMMANDS[args.command](config, args)
    except (CliError, ConfigError, ValueError, LookupError) as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2


def _init_db(config: Config, _args: argparse.Namespace) -> int:
    from data.db import create_schema, make_engine

    config.ensure_sqlite_dir()
    create_schema(make_engine(config.database_url))
    print(f"数据表已就绪: {_safe_url(config.database_url)}")
    return 0


def _demo(config: Config, args: argparse.Namespace) -> int:
    from data.demo import build_demo

    config.ensure_sqlite_dir()
    print(f"生成演示数据 → {_safe_url(config.database_url)}（{args.cases:,} 件案件, 种子 {args.seed}）")
    build_demo(config.database_url, cases=args.cases, seed=args.seed)
    return 0


def _serve(config: Config, args: argparse.Namespace) -> int:
    from dashboard.app import create_app

    app = create_app(config)
    print(f"宿迁市社会治理指挥中心: http://{args.host}:{args.port}/", flush=True)
    app.run(host=args.host, port=args.port, debug=config.debug)
    return 0


def _stats(config: Config, args: argparse.Namespace) -> int:
    from data.db import make_engine
    from data.filters import Period, city, find_area, parse_date
    from data.stats import stats

    period = Period(parse_date(args.date_from), parse_date(args.date_to))
    engine = make_engine(config.database_url)
    area = city(engine) if args.area is None else find_area(engine, args.area)
    if area is None:
        raise CliError(f"未知区域编码: {args.area}")
    result = stats(engine, area, period)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


def _safe_url(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


COMMANDS = {"init-db": _init_db, "demo": _demo, "serve": _serve, "stats": _stats}
