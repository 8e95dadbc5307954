"""Governance-operation queries against independent counts written as raw SQL (both backends, exact equality).

The raw SQL restates each definition in plain words: the board at an instant = the last color change before it
of cases not closed by then; resolved = backlog cases closed in the period; on-time visit = a visit within the
group's frequency before the instant; an overdue milestone = due before the instant and not done by then.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from data.alert_rules import OpsSettings, revision
from data.filters import AreaRef, Period, city, find_area
from data.queries import alerts as qa
from data.queries import backlog as qb
from data.queries import grids as qg
from data.queries import safety as qs
from data.queries import supervision as qsup

YEAR_2023 = Period(date(2023, 1, 1), date(2023, 12, 31))
YEAR_2022 = Period(date(2022, 1, 1), date(2022, 12, 31))
Q3_2023 = Period(date(2023, 7, 1), date(2023, 9, 30))
CHILD_COL = {"city": "county_code", "county": "township_code", "township": "village_code", "village": "grid_code"}
SETTINGS = OpsSettings()
RESOLVED = ("mediated", "resolved")


def ts(value: datetime) -> str:
    """Timestamps as plain text parameters: both backends compare them with their timestamp columns."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def area_sql(area: AreaRef, alias: str) -> tuple[str, dict]:
    if area.level == "city":
        return "", {}
    return f" AND {alias}.{area.level}_code = :area", {"area": area.code}


def rows(engine: Engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


@pytest.fixture(params=["city", "321322"])
def area(request: pytest.FixtureRequest, small_db: Engine) -> AreaRef:
    found = city(small_db) if request.param == "city" else find_area(small_db, request.param)
    assert found is not None
    return found


# --- backlog ---


def raw_board(engine: Engine, area: AreaRef, at: datetime, group: str = "c.backlog_origin") -> Counter:
    where, p = area_sql(area, "c")
    sql = (f"SELECT {group}, ch.to_color, count(*) FROM backlog_color_changes ch JOIN cases c ON c.id = ch.case_id "
           "WHERE ch.at = (SELECT max(c2.at) FROM backlog_color_changes c2 WHERE c2.case_id = ch.case_id AND c2.at < :t) "
           f"AND (c.closed_at IS NULL OR c.closed_at >= :t){where} GROUP BY {group}, ch.to_color")
    return Counter({(k, color): n for k, color, n in rows(engine, sql, t=ts(at), **p)})


def raw_resolved(engine: Engine, area: AreaRef, period: Period, group: str = "c.backlog_origin") -> Counter:
    where, p = area_sql(area, "c")
    sql = (f"SELECT {group}, c.backlog_color, count(*) FROM cases c WHERE c.backlog_color IS NOT NULL "
           f"AND c.closed_at >= :lo AND c.closed_at < :hi{where} GROUP BY {group}, c.backlog_color")
    return Counter({(k, color): n for k, color, n in rows(engine, sql, lo=ts(period.lo), hi=ts(period.hi), **p)})


@pytest.mark.parametrize("period", [YEAR_2023, YEAR_2022], ids=["2023", "2022"])
def test_backlog_by_origin_and_summary(small_db: Engine, area: AreaRef, period: Period) -> None:
    board, done = raw_board(small_db, area, period.hi), raw_resolved(small_db, area, period)
    got = qb.backlog_by_origin(small_db, area, period)
    assert len(got) == 9
    for r in got.itertuples(index=False):
        assert (r.on_board, r.resolved) == (board[(r.origin, r.color)], done[(r.origin, r.color)])
    assert int(got["resolved"].sum()) == sum(done.values()) > 0
    summary = qb.backlog_summary(small_db, area, period).iloc[0]
    assert summary["on_board"] == sum(board.values())
    for color in qb.COLORS:
        assert summary[color] == sum(n for (_o, c), n in board.items() if c == color)
    assert summary["resolved"] == qb.backlog_resolved(small_db, area, period) == sum(done.values())
    where, p = area_sql(area, "c")
    listed = rows(small_db, "SELECT count(*) FROM backlog_color_changes ch JOIN cases c ON c.id = ch.case_id "
                            f"WHERE ch.from_color IS NULL AND ch.at >= :lo AND ch.at < :hi{where}",
                  lo=ts(period.lo), hi=ts(period.hi), **p)[0][0]
    assert summary["listed"] == listed


def test_backlog_by_child(small_db: Engine, area: AreaRef) -> None:
    col = f"c.{CHILD_COL[area.level]}"
    board, done = raw_board(small_db, area, YEAR_2023.hi, col), raw_resolved(small_db, area, YEAR_2023, col)
    got = qb.backlog_by_child(small_db, area, YEAR_2023)
    children = rows(small_db, "SELECT count(*) FROM areas WHERE parent_code = :p", p=area.code)[0][0]
    assert len(got) == children
    for r in got.itertuples(index=False):
        for color in qb.COLORS:
            assert getattr(r, color) == board[(r.code, color)]
        assert r.resolved == sum(n for (k, _c), n in done.items() if k == r.code)
    assert list(got["on_board"]) == sorted(got["on_board"], reverse=True)


def test_resolved_by_month(small_db: Engine, area: AreaRef) -> None:
    got = qb.resolved_by_month(small_db, area, YEAR_2022)
    assert len(got) == 12 and got["month"].iloc[0] == date(2022, 1, 1)
    for r in got.itertuples(index=False):
        nxt = (r.month.replace(day=28) + timedelta(days=4)).replace(day=1)
        done = raw_resolved(small_db, area, Period(r.month, nxt - timedelta(days=1)), "c.kind")
        for color in qb.COLORS:
            assert getattr(r, color) == done[("petition", color)]
        assert r.total == sum(done.values())
    assert int(got["total"].sum()) == qb.backlog_resolved(small_db, area, YEAR_2022)


def test_color_trend_is_the_board_at_each_month_end(small_db: Engine, area: AreaRef) -> None:
    got = qb.color_trend(small_db, area, Q3_2023)
    assert [t.month for t in got["at"]] == [8, 9, 10]
    for r in got.itertuples(index=False):
        board = raw_board(small_db, area, r.at, "c.kind")
        assert tuple(getattr(r, c) for c in qb.COLORS) == tuple(board[("petition", c)] for c in qb.COLORS)
    assert got.iloc[-1][list(qb.COLORS)].sum() == qb.backlog_summary(small_db, area, Q3_2023).iloc[0]["on_board"]


def test_color_moves(small_db: Engine, area: AreaRef) -> None:
    where, p = area_sql(area, "c")
    raw = rows(small_db, "SELECT ch.from_color, ch.to_color, count(*) FROM backlog_color_changes ch JOIN cases c "
                         f"ON c.id = ch.case_id WHERE ch.from_color IS NOT NULL AND ch.at >= :lo AND ch.at < :hi{where} "
                         "GROUP BY ch.from_color, ch.to_color", lo=ts(YEAR_2022.lo), hi=ts(YEAR_2022.hi), **p)
    got = qb.color_moves(small_db, area, YEAR_2022)
    assert {(f, t): n for f, t, n in raw} == {(r.from_color, r.to_color): r.moves for r in got.itertuples()}
    progress = dict(zip(zip(got["from_color"], got["to_color"], strict=True), got["progress"], strict=True))
    assert progress.get(("red", "yellow"), True) and not progress.get(("yellow", "red"), False)


def test_backlog_assessment_weighs_by_color(small_db: Engine) -> None:
    area = city(small_db)
    weights = {"red": 3.0, "yellow": 2.0, "green": 1.0}
    board, done = raw_board(small_db, area, YEAR_2023.hi, "c.county_code"), raw_resolved(small_db, area, YEAR_2023,
                                                                                          "c.county_code")
    got = qb.backlog_assessment(small_db, area, YEAR_2023, weights)
    for r in got.itertuples(index=False):
        num = sum(w * done[(r.code, c)] for c, w in weights.items())
        den = sum(w * (done[(r.code, c)] + board[(r.code, c)]) for c, w in weights.items())
        assert math.isclose(r.weighted_rate, 100 * num / den) if den else math.isnan(r.weighted_rate)
    rates = [v for v in got["weighted_rate"] if not math.isnan(v)]
    assert rates == sorted(rates, reverse=True)
    flat = qb.backlog_assessment(small_db, area, YEAR_2023, {"red": 1, "yellow": 1, "green": 1})
    for r in flat.itertuples(index=False):  # equal weights: the plain resolution rate
        if r.cases:
            resolved = sum(getattr(r, f"resolved_{c}") for c in qb.COLORS)
            assert math.isclose(r.weighted_rate, 100 * resolved / r.cases)


def test_backlog_cases_and_one_case(small_db: Engine, area: AreaRef) -> None:
    got = qb.backlog_cases(small_db, area, YEAR_2023)
    on_board = got[got["state"] == "on_board"]
    assert len(on_board) == min(sum(raw_board(small_db, area, YEAR_2023.hi).values()), qb.CASE_LIST_LIMIT)
    ranks = [qb.COLORS.index(c) for c in on_board["color"]]
    assert ranks == sorted(ranks)
    case_id = int(got["id"].iloc[0])
    history = qb.backlog_case(small_db, area, case_id)
    assert history.case.iloc[0]["case_no"] == got["case_no"].iloc[0]
    assert history.colors["from_color"].isna().iloc[0] and history.colors["to_color"].iloc[-1] == history.case.iloc[0][
        "color"]
    county = history.case.iloc[0]["case_no"][6:12]
    other = find_area(small_db, next(c for c in ("321302", "321311", "321323") if c != county))
    assert qb.backlog_case(small_db, other, case_id).case.empty


def test_backlog_cases_fill_what_the_board_leaves_with_the_latest_resolved(small_db: Engine, area: AreaRef) -> None:
    """The list is the board (hardest first), then the latest resolved up to the limit; a limit the board
    fills alone lists no resolved case at all."""
    full = qb.backlog_cases(small_db, area, YEAR_2023, limit=100_000)
    board, done = full[full["state"] == "on_board"], full[full["state"] == "resolved"]
    assert len(board) > 1 and len(done) > 3 and list(full["state"]) == ["on_board"] * len(board) + ["resolved"] * len(done)
    assert list(done["closed_at"]) == sorted(done["closed_at"], reverse=True)
    for limit in (len(board) - 1, len(board), len(board) + 3):
        part = qb.backlog_cases(small_db, area, YEAR_2023, limit=limit)
        assert list(part["id"]) == list(full["id"][:limit])


def test_case_page_pages_and_sorts_the_whole_list(small_db: Engine, area: AreaRef) -> None:
    """The server-paged case table: pages partition the list; a sort orders the whole list, not one page."""
    got = qb.backlog_cases(small_db, area, YEAR_2023)
    assert len(got) > 12 and (got["state"] == "resolved").any() and (got["state"] == "on_board").any()

    def whole(sort: tuple, size: int = 7) -> pd.DataFrame:
        first = qb.case_page(got, 0, size, sort)
        assert first.pages == -(-len(got) // size)
        pages = [qb.case_page(got, p, size, sort) for p in range(first.pages)]
        assert all(len(p.rows) == size for p in pages[:-1]) and [p.page for p in pages] == list(range(first.pages))
        return pd.concat([p.rows for p in pages], ignore_index=True)

    assert whole(())["id"].tolist() == got["id"].tolist()  # no sort: the list's own order
    by_color = whole((("color", False),))
    assert sorted(by_color["id"]) == sorted(got["id"])
    ranks = [qb.COLORS.index(c) for c in by_color["color"]]
    assert ranks == sorted(ranks)
    assert [qb.COLORS.index(c) for c in whole((("color", True),))["color"]] == sorted(ranks, reverse=True)
    by_state = whole((("state", False),))
    resolved = by_state["state"] == "resolved"
    assert not resolved.iloc[:int((~resolved).sum())].any()  # on the board first, then the resolved …
    closed = by_state.loc[resolved, "closed_at"].tolist()
    assert closed == sorted(closed)  # … by closing date
    newest = whole((("state", True), ("case_no", False)))
    assert newest["state"].iloc[0] == "resolved" and newest["closed_at"].iloc[0] == max(closed)
    by_time = whole((("reported_at", True),))["reported_at"].tolist()
    assert by_time == sorted(by_time, reverse=True)
    # Out-of-range pages are clamped; an empty list is one empty page.
    assert qb.case_page(got, 10**6, 7, ()).page == -(-len(got) // 7) - 1
    assert qb.case_page(got, -4, 7, ()).page == 0
    empty = qb.case_page(got.iloc[0:0], 3, 7, (("color", False),))
    assert (empty.page, empty.pages, len(empty.rows)) == (0, 1, 0)


def test_supervision_list_pages_sort_by_state_and_next_due(small_db: Engine, area: AreaRef) -> None:
    listed = qsup.supervision_list(small_db, area, YEAR_2023)
    assert len(listed) > 5 and listed["resolved"].any() and (~listed["closed"]).any()
    size = 4
    pages = qsup.supervision_page(listed, 0, size, ()).pages
    assert pages == -(-len(listed) // size)

    def whole(sort: tuple) -> pd.DataFrame:
        return pd.concat([qsup.supervision_page(listed, p, size, sort).rows for p in range(pages)], ignore_index=True)

    assert whole(())["listing_id"].tolist() == listed["listing_id"].tolist()
    by_state = whole((("state", False),))
    ranks = (by_state["closed"].astype(int) + by_state["resolved"].astype(int)).tolist()
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == 2  # 办理中 … 已办结 … 已化解
    assert sorted(by_state["listing_id"]) == sorted(listed["listing_id"])
    due = whole((("next", True),))["next_due"]
    assert due.isna().sum() == listed["next_due"].isna().sum()
    shown = due.dropna().tolist()
    assert shown == sorted(shown, reverse=True)
    most = whole((("overdue", True),))["overdue"].tolist()
    assert most == sorted(most, reverse=True)


def test_case_sort_keys_are_whitelisted() -> None:
    from data.queries.list_pages import parse_sort

    sent = [{"column_id": "color", "direction": "desc"}, {"column_id": "id; DROP TABLE", "direction": "asc"},
            {"column_id": "state", "direction": "sideways"}, ["x"], {"column_id": 3, "direction": "asc"}]
    assert parse_sort(sent, qb.CASE_SORT_KEYS, ()) == (("color", True),)
    assert parse_sort("nonsense", qb.CASE_SORT_KEYS, ()) == ()


# --- supervision ---


def test_supervision_summary_and_difficult(small_db: Engine, area: AreaRef) -> None:
    at = YEAR_2023.hi
    where, p = area_sql(area, "c")
    listed, resolved, new = rows(
        small_db, "SELECT count(*), sum(CASE WHEN c.closed_at < :t AND c.outcome IN ('mediated', 'resolved') THEN 1 ELSE 0 "
                  "END), sum(CASE WHEN l.listed_at >= :lo THEN 1 ELSE 0 END) FROM supervision_listings l "
                  f"JOIN cases c ON c.id = l.case_id WHERE l.listed_at < :t{where}", t=ts(at), lo=ts(YEAR_2023.lo), **p)[0]
    late = rows(small_db, "SELECT count(*) FROM supervision_milestones m JOIN supervision_listings l ON l.id = m.listing_id "
                          "JOIN cases c ON c.id = l.case_id WHERE l.listed_at < :t AND m.due_at < :t AND (m.done_at IS NULL "
                          f"OR m.done_at >= :t) AND (c.closed_at IS NULL OR c.closed_at >= :t){where}", t=ts(at), **p)[0][0]
    difficult = rows(small_db, "SELECT count(*) FROM cases c WHERE c.is_difficult = :yes AND c.closed_at >= :lo "
                               f"AND c.closed_at < :hi AND c.outcome IN ('mediated', 'resolved'){where}", yes=True,
                     lo=ts(YEAR_2023.lo), hi=ts(at), **p)[0][0]
    got = qsup.supervision_summary(small_db, area, YEAR_2023).iloc[0]
    assert (got["listed"], got["resolved"], got["listed_in_period"]) == (listed, resolved or 0, new or 0)
    assert got["in_progress"] == listed - (resolved or 0)
    assert got["overdue_milestones"] == late
    assert got["difficult_resolved"] == difficult > 0
    listing = qsup.supervision_list(small_db, area, YEAR_2023)
    assert len(listing) == min(listed, qsup.LIST_LIMIT)
    assert int(listing["overdue"].sum()) == late or len(listing) == qsup.LIST_LIMIT
    forces = qsup.task_forces(small_db, area, YEAR_2023)
    in_force = rows(small_db, "SELECT count(*) FROM supervision_listings l JOIN cases c ON c.id = l.case_id WHERE "
                              f"l.task_force_id IS NOT NULL AND l.listed_at < :t{where}", t=ts(at), **p)[0][0]
    assert int(forces["cases"].sum()) == in_force


def test_supervision_detail_is_scoped(small_db: Engine) -> None:
    area = city(small_db)
    listing = qsup.supervision_list(small_db, area, YEAR_2023)
    case_id = int(listing["case_id"].iloc[0])
    detail = qsup.supervision_detail(small_db, area, case_id)
    assert list(detail.milestones["seq"]) == [1, 2, 3, 4] and not detail.notes.empty
    assert detail.listing.iloc[0]["handler"] == listing["handler"].iloc[0]
    county = rows(small_db, "SELECT county_code FROM cases WHERE id = :i", i=case_id)[0][0][:6]
    other = find_area(small_db, next(c for c in ("321302", "321311", "321323") if c != county))
    assert qsup.supervision_detail(small_db, other, case_id).listing.empty


# --- micro-grid work ---


def raw_coverage(engine: Engine, area: AreaRef, at: datetime, group_by: str = "p.key_group") -> dict:
    where, p = area_sql(area, "p")
    recent = " OR ".join(f"(p.key_group = '{g}' AND v.at >= :t_{g})" for g in SETTINGS.visit_days)
    params = {f"t_{g}": ts(at - timedelta(days=d)) for g, d in SETTINGS.visit_days.items()}
    sql = (f"SELECT {group_by}, count(*), sum(CASE WHEN EXISTS (SELECT 1 FROM grid_visits v WHERE v.person_id = p.id "
           f"AND v.at < :t AND ({recent})) THEN 1 ELSE 0 END) FROM key_persons p "
           f"WHERE p.since < :t AND (p.until IS NULL OR p.until >= :t){where} GROUP BY {group_by}")
    return {k: (due, on_time) for k, due, on_time in rows(engine, sql, t=ts(at), **params, **p)}


@pytest.mark.parametrize("period", [YEAR_2023, Q3_2023], ids=["2023", "2023Q3"])
def test_visit_coverage(small_db: Engine, area: AreaRef, period: Period) -> None:
    raw = raw_coverage(small_db, area, period.hi)
    due, on_time = sum(d for d, _o in raw.values()), sum(o for _d, o in raw.values())
    got = qg.visit_coverage(small_db, area, period.hi, SETTINGS).iloc[0]
    assert (got["due"], got["on_time"], got["overdue"]) == (due, on_time, due - on_time)
    assert due > 0 and math.isclose(got["coverage"], 100 * on_time / due)
    groups = qg.coverage_by_group(small_db, area, period, SETTINGS)
    for r in groups.itertuples(index=False):
        assert (r.due, r.on_time) == raw.get(r.group, (0, 0))
    by_child = qg.grids_by_child(small_db, area, period, SETTINGS)
    raw_child = raw_coverage(small_db, area, period.hi, f"p.{CHILD_COL[area.level]}")
    for r in by_child.itertuples(index=False):
        assert (r.due, r.on_time) == raw_child.get(r.code, (0, 0))
    assert qg.grids_summary(small_db, area, period, SETTINGS).iloc[0]["persons"] == due


def test_grid_structure_silences_and_visits(small_db: Engine, area: AreaRef) -> None:
    at = YEAR_2023.hi
    where_p, p = area_sql(area, "a")
    grids, people = rows(small_db, "SELECT count(*), sum(a.population) FROM areas a WHERE a.level = 'grid'" + where_p, **p)[0]
    where_w, _ = area_sql(area, "w")
    liaisons = rows(small_db, "SELECT count(*) FROM grid_workers w WHERE w.role = 'liaison'" + where_w, **p)[0][0]
    where_s, _ = area_sql(area, "s")
    silent = rows(small_db, "SELECT count(DISTINCT s.grid_code) FROM grid_silences s WHERE s.start_at <= :since "
                            f"AND (s.end_at IS NULL OR s.end_at >= :t){where_s}",
                  since=ts(at - timedelta(days=SETTINGS.silent_days)), t=ts(at), **p)[0][0]
    where_v, _ = area_sql(area, "v")
    visits = rows(small_db, f"SELECT count(*) FROM grid_visits v WHERE v.at >= :lo AND v.at < :hi{where_v}",
                  lo=ts(YEAR_2023.lo), hi=ts(at), **p)[0][0]
    got = qg.grids_summary(small_db, area, YEAR_2023, SETTINGS).iloc[0]
    assert (got["grids"], got["population"], got["liaisons"], got["silent"], got["visits"]) == (
        grids, people, liaisons, silent, visits)
    assert math.isclose(got["residents_per_liaison"], people / liaisons)
    assert int(qg.visits_by_month(small_db, area, YEAR_2023)["total"].sum()) == visits > 0
    listed = qg.silent_grids(small_db, area, YEAR_2023, SETTINGS, limit=10_000)
    assert len(listed) == silent and (listed["days"] >= SETTINGS.silent_days).all()
    where_c, _ = area_sql(area, "c")
    for period in (YEAR_2023, Period(date(2022, 11, 17), date(2023, 2, 3))):  # whole months and edge days
        reports = rows(small_db, "SELECT count(*) FROM cases c WHERE c.channel = 'grid_report' AND c.reported_at >= :lo "
                                 f"AND c.reported_at < :hi{where_c}", lo=ts(period.lo), hi=ts(period.hi), **p)[0][0]
        assert qg.grid_reports(small_db, area, period) == reports > 0


def test_key_person_list_orders_overdue_first(small_db: Engine, area: AreaRef) -> None:
    got = qg.key_person_list(small_db, area, YEAR_2023, SETTINGS, limit=10_000)
    raw = raw_coverage(small_db, area, YEAR_2023.hi)
    assert len(got) == sum(d for d, _o in raw.values())
    assert int(got["overdue"].sum()) == sum(d - o for d, o in raw.values())
    assert list(got["overdue"]) == sorted(got["overdue"], reverse=True)


# --- safety index ---


def test_indicator_values_match_raw_counts(small_db: Engine, area: AreaRef) -> None:
    config = qs.SafetyConfig.load()
    got = qs.indicator_values(small_db, area, YEAR_2023, SETTINGS, config).set_index("code")
    col = CHILD_COL[area.level]
    where, p = area_sql(area, "c")
    bounds = {"lo": ts(YEAR_2023.lo), "hi": ts(YEAR_2023.hi), **p}
    reg = rows(small_db, f"SELECT c.{col}, count(*), sum(CASE WHEN c.kind = 'dispute' THEN 1 ELSE 0 END) FROM cases c "
                         f"WHERE c.reported_at >= :lo AND c.reported_at < :hi{where} GROUP BY c.{col}", **bounds)
    done = rows(small_db, f"SELECT c.{col}, count(*), sum(CASE WHEN c.outcome IN ('mediated', 'resolved') THEN 1 ELSE 0 "
                          f"END) FROM cases c WHERE c.closed_at >= :lo AND c.closed_at < :hi{where} GROUP BY c.{col}",
                **bounds)
    standing = rows(small_db, f"SELECT c.{col}, count(*), sum(CASE WHEN c.due_at < :hi THEN 1 ELSE 0 END) FROM cases c "
                              f"WHERE c.reported_at < :hi AND (c.closed_at IS NULL OR c.closed_at >= :hi){where} "
                              f"GROUP BY c.{col}", hi=ts(YEAR_2023.hi), **p)
    red = rows(small_db, f"SELECT c.{col}, count(*) FROM case_cards k JOIN cases c ON c.id = k.case_id WHERE "
                         f"k.color = 'red' AND k.issued_at >= :lo AND k.issued_at < :hi{where} GROUP BY c.{col}", **bounds)
    pop = dict(rows(small_db, f"SELECT a.{col if area.level != 'village' else 'code'}, sum(a.population) FROM areas a "
                              f"WHERE a.level = 'grid'{area_sql(area, 'a')[0]} GROUP BY 1", **p))
    years = YEAR_2023.days / 365
    for code, n, disputes in reg:
        assert got.loc[code, "intake"] == n
        assert math.isclose(got.loc[code, "dispute_rate"], disputes * 1e4 / pop[code] / years)
    for code, n, ok in done:
        assert math.isclose(got.loc[code, "resolution_rate"], 100 * ok / n)
    for code, n, late in standing:
        assert got.loc[code, "open_end"] == n and math.isclose(got.loc[code, "overdue_share"], 100 * late / n)
    for code, n in red:
        assert math.isclose(got.loc[code, "red_card_rate"], n * 1e4 / pop[code] / years)
    for code, (due, on_time) in raw_coverage(small_db, area, YEAR_2023.hi, f"p.{col}").items():
        assert math.isclose(got.loc[code, "visit_coverage"], 100 * on_time / due)
    itself = qs.indicator_values(small_db, area, YEAR_2023, SETTINGS, config, by_child=False).set_index("code")
    surveyed = dict(rows(small_db, "SELECT area_code, value FROM indicator_values WHERE indicator_code = :c AND "
                                   "period_end >= :lo AND period_end <= :hi ORDER BY period_end, id",
                         c=config.survey_code, lo=YEAR_2023.end - timedelta(days=qs.SURVEY_LOOKBACK_DAYS),
                         hi=YEAR_2023.end))  # the latest within the year before the end wins
    assert area.code in surveyed  # the demo surveys the city and the counties every half year
    for frame in (got, itself):
        expected = frame.index.map(lambda code: surveyed.get(code, math.nan)).to_numpy(dtype=float)
        assert np.allclose(frame["sense_of_security"].to_numpy(dtype=float), expected, equal_nan=True)


def test_sliced_computation_equals_one_period_at_a_time(small_db: Engine, area: AreaRef) -> None:
    """The trend and the breakdown compute many periods in one pass; each must equal its own computation."""
    config = qs.SafetyConfig.load()
    trend = qs.safety_trend(small_db, area, Q3_2023, SETTINGS, config)
    for row in trend.itertuples(index=False):
        nxt = (row.month.replace(day=28) + timedelta(days=4)).replace(day=1)
        alone = qs.indicator_values(small_db, area, Period(row.month, nxt - timedelta(days=1)), SETTINGS, config,
                                    by_child=False)
        assert math.isclose(row.index, qs.index_scores(alone, config)["index"].iloc[0])
    breakdown = qs.safety_breakdown(small_db, area, Q3_2023, SETTINGS, config)
    assert math.isclose(breakdown["points"].sum(), breakdown.attrs["index"])
    before = qs.indicator_values(small_db, area, qs.previous_period(Q3_2023), SETTINGS, config, by_child=False)
    assert math.isclose(breakdown.attrs["prev_index"], qs.index_scores(before, config)["index"].iloc[0])
    assert math.isclose(qs.safety_index(small_db, area, Q3_2023), breakdown.attrs["index"])
    children = qs.safety_by_child(small_db, area, Q3_2023, SETTINGS, config)
    valid = children["index"].dropna()
    assert list(valid) == sorted(valid, reverse=True) and ((valid >= 0) & (valid <= 100)).all()


# --- warnings ---


def test_weekly_review_names_the_worst_and_counts_them_all(small_db: Engine, area: AreaRef) -> None:
    where, p = area_sql(area, "w")
    found = rows(small_db, "SELECT w.level FROM risk_warnings w WHERE w.raised_at >= :lo AND w.raised_at < :hi"
                           + where, lo=ts(datetime(2023, 12, 25)), hi=ts(YEAR_2023.hi), **p)
    got = qa.weekly_review(small_db, area, YEAR_2023)
    assert len(got) == min(len(found), qa.REVIEW_LIMIT) and set(got["of"]) <= {len(found)}
    rank = {lv: i for i, lv in enumerate(reversed(qa.LEVELS))}  # critical first
    assert [rank[lv] for lv in got["level"]] == sorted(rank[lv] for lv, in found)[:len(got)]


def test_alert_counts(small_db: Engine, area: AreaRef) -> None:
    where, p = area_sql(area, "w")
    rev = revision(small_db)
    open_, unack = rows(small_db, "SELECT count(*), sum(CASE WHEN w.status IN ('issued', 'assigned') THEN 1 ELSE 0 END) "
                                  f"FROM risk_warnings w WHERE w.raised_at < :hi AND w.status <> 'closed'{where}",
                        hi=ts(YEAR_2023.hi), **p)[0]
    by_rule = dict(rows(small_db, "SELECT w.rule, count(*) FROM risk_warnings w WHERE w.raised_at >= :lo AND "
                                  f"w.raised_at < :hi{where} GROUP BY w.rule", lo=ts(YEAR_2023.lo), hi=ts(YEAR_2023.hi),
                        **p))
    got = qa.alerts_summary(small_db, area, YEAR_2023, rev).iloc[0]
    assert (got["open"], got["unacknowledged"], got["raised"]) == (open_, unack or 0, sum(by_rule.values()))
    assert got["open"] == got["general"] + got["major"] + got["critical"]
    rules = qa.warnings_by_rule(small_db, area, YEAR_2023, rev)
    assert dict(zip(rules["rule"], rules["raised"], strict=True)) == {r: by_rule.get(r, 0) for r in qa.RULES}
    assert int(qa.warnings_by_week(small_db, area, YEAR_2023, rev)[list(qa.LEVELS)].to_numpy().sum()) == got["raised"]
    listing = qa.warnings_list(small_db, area, YEAR_2023, rev)
    assert len(listing) == min(qa.LIST_LIMIT, got["raised"] + rows(
        small_db, "SELECT count(*) FROM risk_warnings w WHERE w.raised_at < :lo AND w.status <> 'closed'" + where,
        lo=ts(YEAR_2023.lo), **p)[0][0])
    assert qa.warnings_open(small_db, area, YEAR_2023) == open_
