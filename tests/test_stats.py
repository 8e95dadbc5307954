"""The demo reproduces the published figures through the app's own queries, and the queries agree with
independent SQL written here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime

import pytest
from sqlalchemy import text

from data import published
from data.filters import Period, city, find_area
from data.queries.summary import disputes_handled, first_petitions, open_cases_and_cards, structure_counts
from data.stats import stats

WINDOW = Period(*published.DISPUTE_WINDOW)
COUNTIES = ("321302", "321311", "321322", "321323", "321324")


def within(value: float, target: float, share: float) -> bool:
    return abs(value - target) <= abs(target) * share


def test_published_figures_at_default_size(demo_engine) -> None:
    s = stats(demo_engine, city(demo_engine), WINDOW)
    assert within(s["disputes_handled"], published.DISPUTES_HANDLED, 0.01)
    assert abs(s["mediation_success_rate"] - published.MEDIATION_SUCCESS_RATE) <= 0.3
    assert abs(s["first_petitions_yoy"] - published.FIRST_PETITIONS_YOY) <= 0.3
    assert s["institutions"] == published.INSTITUTIONS
    assert s["center_staff"] == published.CENTER_STAFF
    assert s["grids"] >= 18_000
    assert within(s["grid_liaisons"], published.GRID_LIAISONS, 0.01)
    assert s["demo_grids"] == published.DEMO_GRIDS
    assert s["counties"] == 5 and s["townships"] == 132
    assert 1_300 <= s["villages"] <= 1_500
    assert s["cases_open"] > 0 and s["cards"]["red"] > 0 and s["cards"]["blue"] > 0 and s["cards"]["yellow"] > 0


def _sql(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).one())


@pytest.mark.parametrize("code", ["321300", "321322", "321311"])
def test_queries_equal_independent_sql(demo_engine, code: str) -> None:
    area = find_area(demo_engine, code)
    county = "%" if code == "321300" else code + "000000"
    lo, hi = datetime(2023, 1, 1), datetime(2023, 9, 15)
    handled, mediated = _sql(
        demo_engine,
        "SELECT COUNT(*), SUM(outcome = 'mediated') FROM cases WHERE kind = 'dispute' "
        "AND closed_at >= :lo AND closed_at < :hi AND county_code LIKE :c",
        lo=lo, hi=hi, c=county,
    )
    d = disputes_handled(demo_engine, area, WINDOW).iloc[0]
    assert (d["handled"], d["mediated"]) == (handled, mediated)

    cur, prev = _sql(
        demo_engine,
        "SELECT SUM(reported_at >= :lo AND reported_at < :hi), SUM(reported_at >= :plo AND reported_at < :phi) "
        "FROM cases WHERE kind = 'petition' AND is_first_petition = 1 AND county_code LIKE :c",
        lo=lo, hi=hi, plo=datetime(2022, 1, 1), phi=datetime(2022, 9, 15), c=county,
    )
    p = first_petitions(demo_engine, area, WINDOW).iloc[0]
    assert (p["current"], p["previous"]) == (cur, prev)

    # Open at the end of the window, and each case's most severe card issued by then (a different formulation:
    # one correlated subquery per color instead of a ranked GROUP BY).
    at = hi
    open_sql = (
        "FROM cases c WHERE c.reported_at < :at AND (c.closed_at IS NULL OR c.closed_at >= :at) "
        "AND c.county_code LIKE :c"
    )
    (n_open,) = _sql(demo_engine, "SELECT COUNT(*) " + open_sql, at=at, c=county)

    def has(color: str) -> str:
        return f"EXISTS (SELECT 1 FROM case_cards k WHERE k.case_id = c.id AND k.color = '{color}' AND k.issued_at < :at)"

    red, yellow, blue = _sql(
        demo_engine,
        f"SELECT SUM({has('red')}), SUM(NOT {has('red')} AND {has('yellow')}), "
        f"SUM(NOT {has('red')} AND NOT {has('yellow')} AND {has('blue')}) " + open_sql,
        at=at, c=county,
    )
    o = open_cases_and_cards(demo_engine, area, at).iloc[0]
    assert (o["open"], o["red"], o["yellow"], o["blue"]) == (n_open, red, yellow, blue)


def test_structure_counts_equal_independent_sql(demo_engine) -> None:
    area = find_area(demo_engine, "321323")
    s = structure_counts(demo_engine, area).iloc[0]
    inst, staff = _sql(
        demo_engine,
        "SELECT (SELECT COUNT(*) FROM institutions i JOIN service_centers s ON s.id = i.center_id "
        "        WHERE s.county_code = :c),"
        "       (SELECT COUNT(*) FROM center_staff p JOIN service_centers s ON s.id = p.center_id "
        "        WHERE s.county_code = :c)",
        c="321323000000",
    )
    villages, grids, liaisons = _sql(
        demo_engine,
        "SELECT (SELECT COUNT(*) FROM areas WHERE level = 'village' AND code LIKE '321323%'),"
        "       (SELECT COUNT(*) FROM areas WHERE level = 'grid' AND code LIKE '321323%'),"
        "       (SELECT COUNT(*) FROM grid_workers WHERE role = 'liaison' AND grid_code LIKE '321323%')",
    )
    assert (s["institutions"], s["center_staff"]) == (inst, staff)
    assert (s["villages"], s["grids"], s["grid_liaisons"]) == (villages, grids, liaisons)


def test_counties_add_up_to_the_city(demo_engine) -> None:
    whole = stats(demo_engine, city(demo_engine), WINDOW)
    parts = [stats(demo_engine, find_area(demo_engine, c), WINDOW) for c in COUNTIES]
    for key in ("disputes_handled", "disputes_mediated", "first_petitions", "villages", "grids", "grid_liaisons",
                "cases_open"):
        assert sum(p[key] for p in parts) == whole[key], key
    for color in ("blue", "yellow", "red"):
        assert sum(p["cards"][color] for p in parts) == whole["cards"][color]
    # The city center's own institutions belong to no county.
    assert sum(p["institutions"] for p in parts) < whole["institutions"]


def _cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_stats_cli_json(demo_db_url: str, demo_engine) -> None:
    run = _cli(demo_db_url, "stats", "--from", "2023-01-01", "--to", "2023-09-14", "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    required = {"disputes_handled", "mediation_success_rate", "first_petitions", "first_petitions_yoy",
                "institutions", "center_staff", "counties", "townships", "villages", "grids", "grid_liaisons",
                "cases_open", "cards"}
    assert required <= out.keys()
    assert set(out["cards"]) == {"blue", "yellow", "red"}
    assert out == json.loads(json.dumps(stats(demo_engine, city(demo_engine), WINDOW), ensure_ascii=False))

    county = json.loads(_cli(demo_db_url, "stats", "--from", "2023-01-01", "--to", "2023-09-14", "--json",
                             "--area", "321322").stdout)
    assert county["area"]["name"] == "沭阳县"
    assert county["counties"] == 1 and county["disputes_handled"] < out["disputes_handled"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2023-01-01", "--to", "2023-09-14", "--area", "999999"], "未知区域编码"),
        (["--from", "2023-01-01", "--to", "2023-09-14", "--area", "32x"], "未知区域编码"),
        (["--from", "2023-02-30", "--to", "2023-09-14"], "日期格式错误"),
        (["--from", "2023-09-14", "--to", "2023-01-01"], "晚于"),
    ],
)
def test_stats_cli_errors(demo_db_url: str, args: list[str], message: str) -> None:
    run = _cli(demo_db_url, "stats", *args, "--json")
    assert run.returncode != 0
    assert message in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_first_petitions_compare_same_dates(demo_engine) -> None:
    p = first_petitions(demo_engine, city(demo_engine), Period(date(2023, 1, 1), date(2023, 9, 14))).iloc[0]
    assert p["previous"] > 0
    assert round(100 * (p["current"] - p["previous"]) / p["previous"], 1) == round(p["yoy"], 1)
