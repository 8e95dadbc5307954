"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from data.db import make_engine
from data.migrate import upgrade
from data.models import Base


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
    assert _diff(pg_url.rsplit("/", 1)[0] + "/" + name) == []
