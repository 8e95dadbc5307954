"""Command line: `python -m dashboard init-db | demo | serve | stats`.

Errors are printed in plain words on stderr with a non-zero exit status, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from dashboard import cli_import, cli_strategy
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
                   description="Create the schema at DATABASE_URL by applying every migration (keeps data).")
    sub.add_parser("migrate", help="apply pending schema migrations (alembic upgrade head)",
                   description="Upgrade the schema at DATABASE_URL to the newest migration; keeps all data.")

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
    _add_account_commands(sub)
    cli_import.add_import_command(sub)
    cli_strategy.add_commands(sub)
    return parser


def _add_account_commands(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="manage logins (roles: leader, chief, analyst, admin)",
                           description="Manage the people who log in. Passwords are read from standard input.")
    us = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = us.add_parser("add", help="add a user (password from standard input)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["leader", "chief", "analyst", "admin"])
    add.add_argument("--area", required=True, metavar="CODE", help="root of what the user may see, e.g. 321322")
    us.add_parser("list", help="list users with role, scope and state")
    dis = us.add_parser("disable", help="disable a user (existing sessions stop working at once)")
    dis.add_argument("name")
    pw = us.add_parser("set-password", help="set a new password (from standard input)")
    pw.add_argument("name")
    sc = us.add_parser("set-scope", help="change the area a user may see")
    sc.add_argument("name")
    sc.add_argument("--area", required=True, metavar="CODE")

    tokens = sub.add_parser("tokens", help="manage view-only display tokens for wall screens",
                            description="A display token opens /screen?token=... without a login, view only.")
    ts = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    tadd = ts.add_parser("add", help="create a token and print it (shown once)")
    tadd.add_argument("--area", required=True, metavar="CODE")
    tadd.add_argument("--pages", default="screen", help="comma-separated pages, e.g. screen,map (default screen)")
    tadd.add_argument("--label", help="where the screen hangs, for the list")
    ts.add_parser("list", help="list tokens (ids, area, pages, state)")
    trev = ts.add_parser("revoke", help="revoke a token by id; the screen stops on its next refresh")
    trev.add_argument("id", type=_positive_int)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = Config.from_env()
        return COMMANDS[args.command](config, args)
    except (CliError, ConfigError, ValueError, LookupError) as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:  # no schema yet, server down, wrong URL: say so, not a stack trace
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"错误: 数据库 {_safe_url(config.database_url)} 无法读取（{reason}）。新数据库请先运行 "
              "`python -m dashboard demo`（演示数据）或 `python -m dashboard migrate`（建表）。", file=sys.stderr)
        return 2


def _init_db(config: Config, _args: argparse.Namespace) -> int:
    from data.db import make_engine
    from data.maintenance import rebuild_if_stale
    from data.migrate import upgrade

    config.ensure_sqlite_dir()
    upgrade(config.database_url)
    engine = make_engine(config.database_url)
    try:
        # A migration may have marked the summary tables stale (new columns): rebuild them now.
        if rebuild_if_stale(engine):
            print("汇总表已按新结构重建")
    finally:
        engine.dispose()
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


def _read_password() -> str:
    """The password from standard input (first line), so it never appears in a process list or history."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("密码: ")
    return sys.stdin.readline().rstrip("\r\n")


def _users(config: Config, args: argparse.Namespace) -> int:
    from data import accounts
    from data.db import create_schema, make_engine

    engine = make_engine(config.database_url)
    create_schema(engine)
    try:
        if args.action == "add":
            acc = accounts.add_user(engine, args.name, args.role, args.area, _read_password())
            accounts.audit(engine, "cli", "user_add", {"name": acc.name, "role": str(acc.role), "area": acc.area_code})
            print(f"已添加用户 {acc.name}（{accounts.ROLE_LABELS[acc.role]}，辖区 {acc.area_code}）")
        elif args.action == "list":
            for a in accounts.list_users(engine):
                state = "停用" if a.disabled else "启用"
                print(f"{a.name}\t{a.role}\t{a.area_code or '-'}\t{state}")
        elif args.action == "disable":
            accounts.disable_user(engine, args.name)
            accounts.audit(engine, "cli", "user_disable", {"name": args.name})
            print(f"已停用 {args.name}")
        elif args.action == "set-password":
            accounts.set_password(engine, args.name, _read_password())
            accounts.audit(engine, "cli", "user_password", {"name": args.name})
            print(f"已修改 {args.name} 的密码")
        elif args.action == "set-scope":
            accounts.set_scope(engine, args.name, args.area)
            accounts.audit(engine, "cli", "user_scope", {"name": args.name, "area": args.area})
            print(f"已将 {args.name} 的辖区改为 {args.area}")
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from exc
    return 0


def _tokens(config: Config, args: argparse.Namespace) -> int:
    from data import accounts
    from data.db import create_schema, make_engine

    engine = make_engine(config.database_url)
    create_schema(engine)
    try:
        if args.action == "add":
            pages = [p.strip() for p in args.pages.split(",") if p.strip()]
            token_id, token = accounts.add_token(engine, args.area, pages, args.label)
            accounts.audit(engine, "cli", "token_add", {"id": token_id, "area": args.area, "pages": pages})
            print(token)
            print(f"令牌 #{token_id}: 打开 /screen?token={token}", file=sys.stderr)
        elif args.action == "list":
            for t in accounts.list_tokens(engine):
                print(f"{t.id}\t{t.area_code}\t{','.join(t.pages)}\t{'已撤销' if t.revoked else '有效'}\t{t.label or ''}")
        elif args.action == "revoke":
            accounts.revoke_token(engine, args.id)
            accounts.audit(engine, "cli", "token_revoke", {"id": args.id})
            print(f"已撤销令牌 #{args.id}")
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from exc
    return 0


COMMANDS = {"import": lambda config, args: cli_import.run(config, args), "init-db": _init_db, "migrate": _init_db,
            "import-indicators": lambda config, args: cli_strategy.run(config, args),
            "import-opinion": lambda config, args: cli_strategy.run(config, args), "demo": _demo, "serve": _serve, "stats": _stats, "users": _users,
            "tokens": _tokens}
