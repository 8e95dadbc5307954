"""The command line: plain-word help for every subcommand, clear errors, init-db on an empty database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import inspect

from data.db import make_engine


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


@pytest.mark.parametrize("command", ["init-db", "demo", "serve", "stats"])
def test_every_subcommand_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert "usage: python -m dashboard " + command in result.stdout


def test_init_db_creates_tables(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'new.sqlite'}"
    result = run("init-db", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    tables = set(inspect(make_engine(url)).get_table_names())
    assert {"areas", "cases", "case_events", "case_cards", "service_centers", "grid_workers"} <= tables


@pytest.mark.parametrize(
    ("args", "message"),
    [(["demo", "--cases", "100"], "至少"), (["demo", "--cases", "abc"], "不是整数"), (["demo", "--cases", "-5"], "")],
)
def test_demo_rejects_bad_sizes(tmp_path, args: list[str], message: str) -> None:
    result = run(*args, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr


def test_stats_on_empty_database_says_what_to_do(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    run("init-db", env={"DATABASE_URL": url})
    result = run("stats", "--from", "2023-01-01", "--to", "2023-01-31", "--json", env={"DATABASE_URL": url})
    assert result.returncode != 0 and "python -m dashboard demo" in result.stderr


def test_production_without_secret_refuses_to_start() -> None:
    result = run("stats", "--from", "2023-01-01", "--to", "2023-01-31",
                 env={"DASHBOARD_ENV": "production", "SECRET_KEY": ""})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_stats_on_a_database_without_tables_says_what_to_do(tmp_path) -> None:
    """A new user's first `stats` before `make demo`: a clear message and status 2, no stack trace."""
    url = f"sqlite:///{tmp_path / 'never-built.sqlite'}"
    for extra in ((), ("--area", "321322")):
        result = run("stats", "--from", "2023-01-01", "--to", "2023-01-31", *extra, env={"DATABASE_URL": url})
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "无法读取" in result.stderr and "python -m dashboard demo" in result.stderr
