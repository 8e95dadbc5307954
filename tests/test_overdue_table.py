"""The overdue table's request handling: what the browser sends is validated against a whitelist, typed,
and only ever reaches SQL as bound parameters. Hostile input is refused or treated as plain text."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Engine, text

from callbacks.common import DATA_REFRESH, requested_page
from callbacks.overdue import PAGING, case_id_of, clicked_code, drill_target, keeps_selection
from dashboard.ids import BacklogPage, OverduePage
from data.filters import AreaRef, Period, city, find_area
from data.queries import overdue as q
from data.queries.list_pages import parse_sort
from data.vocab import Level

YEAR_2023 = Period(date(2023, 1, 1), date(2023, 12, 31))


def test_plain_filters_are_typed() -> None:
    filters, ignored = q.parse_filter(
        '{case_no} scontains "SQ2023" && {overdue_days} s> 10 && {kind} contains 纠纷 && {card} = 红牌 '
        "&& {reported_at} datestartswith 2023-05 && {due_at} < 2023-06-07 10:30"
    )
    assert ignored == ()
    assert [(f.column, f.op) for f in filters] == [
        ("case_no", "contains"), ("overdue_days", "gt"), ("kind", "contains"), ("card", "eq"),
        ("reported_at", "datestartswith"), ("due_at", "lt"),
    ]
    assert filters[0].value == "SQ2023"
    assert filters[1].value == 10.0
    assert filters[2].value == ("dispute",)
    assert filters[3].value == (3,)  # card ranks: 1 blue, 2 yellow, 3 red, 0 none
    assert filters[4].value == (datetime(2023, 5, 1), datetime(2023, 6, 1))
    assert filters[5].value == (datetime(2023, 6, 7, 10, 30), datetime(2023, 6, 7, 10, 31))


def test_label_filters_map_back_to_codes() -> None:
    (no_card,), _ = q.parse_filter("{card} = 无")
    assert no_card.value == (0,)
    (yellow_or_red,), _ = q.parse_filter("{card} != 蓝牌")
    assert yellow_or_red.value == (1,) and yellow_or_red.op == "ne"
    (nothing,), _ = q.parse_filter("{kind} = 不存在的类型")
    assert nothing.value == ()  # a label that matches nothing selects nothing (not everything)


@pytest.mark.parametrize(
    "hostile",
    [
        "{id} = 1",  # a real column, but not one of the table's
        "{case_no; DROP TABLE cases} = 1",
        "{password} contains a",
        "{case_no} LIKE '%'",  # unknown operator
        "{case_no} > SQ",  # operator not allowed for text
        "{overdue_days} contains 3",
        "{overdue_days} > 1e400",
        "{overdue_days} > nan",
        "{overdue_days} > inf",
        "{overdue_days} > 1); DELETE FROM cases; --",
        "{reported_at} > 2023-13-45",
        "{reported_at} > yesterday",
        "{due_at} = 2023-02-30",
        "case_no = 1",
        "{case_no} contains " + "x" * 100,
        "1=1",
        "",
    ],
)
def test_hostile_parts_are_refused(hostile: str) -> None:
    filters, ignored = q.parse_filter(hostile)
    assert filters == ()
    assert ignored == ((hostile[: q.MAX_VALUE_CHARS],) if hostile else ())


def test_text_that_looks_like_sql_is_just_text() -> None:
    (f,), ignored = q.parse_filter("{unit} contains \"'; DROP TABLE cases; --\"")
    assert ignored == () and f.value == "'; DROP TABLE cases; --"


def test_good_parts_survive_bad_neighbours() -> None:
    filters, ignored = q.parse_filter("{overdue_days} > 3 && {nope} = 1 && {card} contains 红")
    assert [f.column for f in filters] == ["overdue_days", "card"]
    assert ignored == ("{nope} = 1",)


def test_overlong_and_odd_filter_queries() -> None:
    filters, ignored = q.parse_filter("{case_no} contains a && " * 40)
    assert filters == () and len(ignored) == 1
    for odd in (None, 42, ["{case_no} = 1"], {"a": 1}):
        assert q.parse_filter(odd) == ((), ())


def test_sort_whitelist() -> None:
    def sort(sort_by: object) -> tuple:
        return parse_sort(sort_by, q.TABLE_COLUMNS, q.DEFAULT_SORT)  # as parse_table_request parses it

    assert sort([{"column_id": "unit", "direction": "asc"}]) == (("unit", False),)
    assert sort([{"column_id": "overdue_days", "direction": "desc"}]) == (("overdue_days", True),)
    for bad in ([{"column_id": "id; DROP TABLE cases", "direction": "asc"}],
                [{"column_id": "unit", "direction": "sideways"}], "unit", None, [None], [{"column_id": ["unit"]}]):
        assert sort(bad) == q.DEFAULT_SORT
    many = [{"column_id": c, "direction": "asc"} for c in ("unit", "kind", "card", "place", "unit")]
    assert sort(many) == (("unit", False), ("kind", False), ("card", False))


def test_paging_is_clamped() -> None:
    assert q.parse_table_request(None, None, None, None) == q.TableRequest()
    assert q.parse_table_request("-5", "abc", [], "").page == 0
    assert q.parse_table_request(10**30, 15, [], "").page == 1_000_000
    assert q.parse_table_request(2, 10**6, [], "").page_size == q.MAX_PAGE_SIZE
    assert q.parse_table_request(2, 0, [], "").page_size == 1
    assert q.parse_table_request(3, "15", [], "").page == 3


def _case_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())


@pytest.mark.parametrize(
    "filter_query",
    [
        "{unit} contains \"'; DROP TABLE cases; --\"",
        "{case_no} = \"1' OR '1'='1\"",
        "{place} contains %",
        "{place} contains _",
        "{case_no} = 1 || {kind} = 信访",
    ],
)
def test_hostile_filters_run_harmlessly(small_db: Engine, filter_query: str) -> None:
    """Executed for real on both backends: no row matches, and the data is untouched."""
    before = _case_count(small_db)
    request = q.parse_table_request(0, 15, [{"column_id": "place", "direction": "asc"}], filter_query)
    result = q.overdue_cases_page(small_db, city(small_db), YEAR_2023, (), request)
    assert result.total == 0 and result.rows.empty and result.page == 0
    assert _case_count(small_db) == before


def test_requested_page_and_selection() -> None:
    table = OverduePage.TABLE
    assert requested_page([PAGING], 4, table) == 4
    assert requested_page([DATA_REFRESH], 4, table) == 4  # the shell's periodic refresh must not jump to page 1
    assert requested_page([], 4, table) == 0  # first render
    assert requested_page(["shell-url.search"], 4, table) == 0
    assert requested_page(["overdue-table.filter_query"], 4, table) == 0
    assert requested_page([PAGING, "overdue-table.sort_by"], 4, table) == 0
    assert requested_page([PAGING], 4, BacklogPage.TABLE) == 0  # another table's paging is not this one's
    assert keeps_selection([DATA_REFRESH])
    assert not keeps_selection([PAGING]) and not keeps_selection(["shell-url.search", DATA_REFRESH])


def test_case_id_of() -> None:
    assert case_id_of({"row": 2, "column": 0, "row_id": 17}) == 17
    for bad in (None, {"row": 2}, {"row_id": "x"}, {"row_id": -3}, {"row_id": 0}, "17", {"row_id": [1]}):
        assert case_id_of(bad) is None


def test_drill_target(small_db: Engine) -> None:
    root = city(small_db)
    county = find_area(small_db, "321322")
    township = find_area(small_db, "321322100")
    other_township = find_area(small_db, "321302100")
    assert county is not None and township is not None and other_township is not None
    assert clicked_code({"points": [{"customdata": county.code}]}) == county.code
    assert clicked_code({"points": []}) is None and clicked_code(None) is None
    assert drill_target(county, root) == county
    assert drill_target(township, county) == township
    assert drill_target(other_township, county) is None  # not inside
    assert drill_target(township, root) is None  # two levels down
    assert drill_target(None, root) is None
    grid = AreaRef(township.code + "001", Level.GRID, "网格")
    assert drill_target(grid, grid) is None
