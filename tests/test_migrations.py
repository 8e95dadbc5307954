"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL; a migration that changes
the summary tables leaves no stale summaries in use, and `migrate` rebuilds them."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from test_import_cases import copy_sqlite

from dashboard.cli import main as cli_main
from data.db import make_engine
from data.filters import Period, city
from data.maintenance import rebuild_if_stale
from data.migrate import alembic_config, upgrade
from data.models import Base
from data.queries.base import uses_summaries
from data.queries.grids import visits_by_month
from data.summaries import summaries_fresh, visits_fresh
from data.summaries.build import SOURCE_KEY, source_mark


def _diff(url: str) -> list:
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    return diff


def test_migrations_match_models_on_sqlite(tmp_path) -> None:
    assert _diff(f"sqlite:///{tmp_path / 'm.sqlite'}") == []


@pytest.mark.postgres
def test_migrations_match_models_on_postgresql(pg_url: str) -> None:
    name = "cc_migration_test"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    assert _diff(url) == []
    engine = make_engine(url)
    with engine.connect() as conn:  # 0013: slices of the duration arrays read only their TOAST chunks
        storage = set(conn.execute(text(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'sum_stage_hours'::regclass "
            "AND attname IN ('dispatch', 'accept', 'close', 'total')")).scalars())
    engine.dispose()
    assert storage == {"e"}


def _back_to_0003_with_fresh_summaries(url: str) -> None:
    """A database as it was at 0003: without the 0004 columns, its summaries marked as built from its cases."""
    command.downgrade(alembic_config(url), "0003")
    engine = make_engine(url)
    with engine.begin() as conn:
        top = conn.execute(text("SELECT MAX(id) FROM cases")).scalar_one()
        conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": SOURCE_KEY, "v": source_mark(top)})
    assert summaries_fresh(engine)
    engine.dispose()


def _red_cards(engine) -> tuple[int, int]:
    """Red cards in the township summary and in the cards table."""
    with engine.connect() as conn:
        return (conn.execute(text("SELECT COALESCE(SUM(red_cards), 0) FROM sum_township")).scalar_one(),
                conn.execute(text("SELECT COUNT(*) FROM case_cards WHERE color = 'red'")).scalar_one())


def test_summary_columns_mark_the_summaries_stale_and_migrate_rebuilds_them(small_sqlite, tmp_path,
                                                                            monkeypatch) -> None:
    """0004 adds summary columns that old summaries lack: until rebuilt, the pages must read the case table;
    `migrate` rebuilds them at once."""
    engine = copy_sqlite(small_sqlite, tmp_path / "db.sqlite")
    url = str(engine.url)
    _back_to_0003_with_fresh_summaries(url)
    upgrade(url)
    assert not summaries_fresh(engine) and not uses_summaries(engine, city(engine))
    assert _red_cards(engine)[0] == 0
    assert rebuild_if_stale(engine) and summaries_fresh(engine)
    assert not rebuild_if_stale(engine)
    summed, counted = _red_cards(engine)
    assert summed == counted > 0

    _back_to_0003_with_fresh_summaries(url)
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli_main(["migrate"]) == 0
    assert summaries_fresh(engine) and uses_summaries(engine, city(engine))
    assert _red_cards(engine)[0] == counted
    engine.dispose()


def test_migrate_on_an_empty_database_builds_no_summaries(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli_main(["migrate"]) == 0
    engine = make_engine(url)
    assert not rebuild_if_stale(engine) and not summaries_fresh(engine)
    engine.dispose()


def test_0019_fills_the_county_visits_from_the_township_ones(small_sqlite, tmp_path) -> None:
    """0019 adds `sum_visits_county` to a database whose visit counts are fresh: it fills it from `sum_visits`
    (no rebuild), so the city's and counties' visit counts stay right and the freshness mark stays true."""
    engine = copy_sqlite(small_sqlite, tmp_path / "db.sqlite")
    url = str(engine.url)
    command.downgrade(alembic_config(url), "0018")
    with engine.connect() as conn:
        assert "sum_visits_county" not in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'table'")).scalars().all()
    upgrade(url)
    assert visits_fresh(engine)
    with engine.connect() as conn:
        got = conn.execute(text("SELECT county_code, day, mode, visits FROM sum_visits_county")).all()
    want = [(c, int(d), m, int(n)) for c, d, m, n in _visits_by_county_day(engine)]
    assert len(want) > 100 and sorted(map(tuple, got)) == sorted(want)
    area = city(engine)
    period = Period(date(2023, 1, 1), date(2023, 12, 31))
    assert int(visits_by_month(engine, area, period)["total"].sum()) == _visits_in(engine, period)
    engine.dispose()


def _visits_by_county_day(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(text("SELECT county_code, CAST(julianday(at) - 2440587.5 AS INTEGER) AS d, mode, "
                                 "COUNT(*) FROM grid_visits WHERE at IS NOT NULL GROUP BY county_code, d, mode")).all()


def _visits_in(engine, period: Period) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM grid_visits WHERE at >= :lo AND at < :hi"),
                                {"lo": period.lo, "hi": period.hi}).scalar_one())


def test_0020_marks_the_summaries_stale_and_migrate_fills_the_township_cards(small_sqlite, tmp_path,
                                                                             monkeypatch) -> None:
    """0020 adds `sum_township_cards`, empty: until the rebuild fills it, a township's card trend must read the
    cards themselves (the summaries are stale), and `migrate` rebuilds them at once."""
    engine = copy_sqlite(small_sqlite, tmp_path / "db.sqlite")
    url = str(engine.url)
    command.downgrade(alembic_config(url), "0019")
    assert summaries_fresh(engine)
    command.upgrade(alembic_config(url), "0020")
    assert not summaries_fresh(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli_main(["migrate"]) == 0
    assert summaries_fresh(engine)
    with engine.connect() as conn:
        summed = conn.execute(text(
            "SELECT SUM(blue_cards), SUM(yellow_cards), SUM(red_cards) FROM sum_township_cards")).one()
        counted = conn.execute(text(
            "SELECT SUM(CASE WHEN color = 'blue' THEN 1 ELSE 0 END), SUM(CASE WHEN color = 'yellow' THEN 1 ELSE 0 "
            "END), SUM(CASE WHEN color = 'red' THEN 1 ELSE 0 END) FROM case_cards")).one()
    assert tuple(summed) == tuple(counted) and min(counted) > 0
    engine.dispose()
