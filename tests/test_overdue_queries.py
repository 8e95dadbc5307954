"""逾期督办 queries against independent counts written as raw SQL (both backends, exact equality).

The raw SQL restates the definitions in plain words: overdue at the end of the period = registered before it,
not closed by then, due before it; a case's card = the most severe one issued before then.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from data.filters import AreaRef, Period, city, find_area
from data.queries import overdue as q
from data.queries.summary import open_cases_and_cards
from data.rules import AGING_BUCKETS

YEAR_2023 = Period(date(2023, 1, 1), date(2023, 12, 31))
HALF_2022 = Period(date(2022, 1, 1), date(2022, 6, 30))
RANK = {"blue": 1, "yellow": 2, "red": 3}
COLOR = {1: "blue", 2: "yellow", 3: "red"}
CHILD_COL = {"city": "county_code", "county": "township_code", "township": "village_code", "village": "grid_code"}


def ts(value: datetime) -> str:
    """Timestamps as plain text parameters: both backends compare them with their timestamp columns."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def area_sql(area: AreaRef, alias: str = "c") -> tuple[str, dict]:
    if area.level == "city":
        return "", {}
    return f" AND {alias}.{area.level}_code = :area", {"area": area.code}


def kinds_sql(kinds: tuple[str, ...], alias: str = "c") -> tuple[str, dict]:
    if not kinds:
        return "", {}
    names = [f":k{i}" for i in range(len(kinds))]
    return f" AND {alias}.kind IN ({', '.join(names)})", {f"k{i}": k for i, k in enumerate(kinds)}


def raw_overdue(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every overdue case at the period's end with its most severe card rank before then (0 = none)."""
    where_area, p1 = area_sql(area)
    where_kind, p2 = kinds_sql(kinds)
    sql = text(
        "SELECT c.id, c.county_code, c.township_code, c.village_code, c.grid_code, c.responsible_unit, c.due_at, "
        "  (SELECT max(CASE cc.color WHEN 'blue' THEN 1 WHEN 'yellow' THEN 2 WHEN 'red' THEN 3 END) "
        "     FROM case_cards cc WHERE cc.case_id = c.id AND cc.issued_at < :hi) AS r "
        "FROM cases c WHERE c.reported_at < :hi AND (c.closed_at IS NULL OR c.closed_at >= :hi) "
        "AND c.due_at < :hi" + where_area + where_kind
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"hi": ts(period.hi), **p1, **p2}).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["id", "county_code", "township_code", "village_code",
                                                            "grid_code", "unit", "due_at", "r"])
    frame["due_at"] = pd.to_datetime(frame["due_at"])
    frame["r"] = frame["r"].fillna(0).astype(int)
    return frame


def raw_open_count(engine: Engine, area: AreaRef, at: datetime, due_lo: datetime, due_hi: datetime) -> int:
    where_area, p1 = area_sql(area)
    sql = text("SELECT count(*) FROM cases c WHERE c.reported_at < :at AND (c.closed_at IS NULL OR c.closed_at >= :at)"
               " AND c.due_at > :lo AND c.due_at <= :hi" + where_area)
    with engine.connect() as conn:
        return int(conn.execute(sql, {"at": ts(at), "lo": ts(due_lo), "hi": ts(due_hi), **p1}).scalar_one())


@pytest.fixture(params=["city", "321322"])
def area(request: pytest.FixtureRequest, small_db: Engine) -> AreaRef:
    found = city(small_db) if request.param == "city" else find_area(small_db, request.param)
    assert found is not None
    return found


@pytest.mark.parametrize("period", [YEAR_2023, HALF_2022], ids=["2023", "2022H1"])
def test_summary_matches_raw_sql(small_db: Engine, area: AreaRef, period: Period) -> None:
    raw = raw_overdue(small_db, area, period)
    got = q.overdue_summary(small_db, area, period).iloc[0].to_dict()
    ranks = Counter(raw["r"])
    assert got["overdue"] == len(raw) > 0
    assert (got["blue"], got["yellow"], got["red"]) == (ranks[1], ranks[2], ranks[3])
    for hours in (24, 48):
        expected = raw_open_count(small_db, area, period.hi, period.hi, period.hi + timedelta(hours=hours))
        assert got[f"due_{hours}h"] == expected
    assert got["due_48h"] >= got["due_24h"]


def test_summary_agrees_with_home_page_cards(small_db: Engine, area: AreaRef) -> None:
    """The overdue page's card counts are the home page's: a card only ever goes to an overdue open case."""
    home = open_cases_and_cards(small_db, area, YEAR_2023.hi).iloc[0]
    mine = q.overdue_summary(small_db, area, YEAR_2023).iloc[0]
    assert (mine["blue"], mine["yellow"], mine["red"]) == (home["blue"], home["yellow"], home["red"])


def test_kinds_filter(small_db: Engine, area: AreaRef) -> None:
    kinds = ("petition", "hazard")
    raw = raw_overdue(small_db, area, YEAR_2023, kinds)
    assert q.overdue_summary(small_db, area, YEAR_2023, kinds).iloc[0]["overdue"] == len(raw)
    assert int(q.overdue_by_child(small_db, area, YEAR_2023, kinds)["overdue"].sum()) == len(raw)


def test_by_child_lists_every_child(small_db: Engine, area: AreaRef) -> None:
    raw = raw_overdue(small_db, area, YEAR_2023)
    expected = Counter(raw[CHILD_COL[area.level]])
    got = q.overdue_by_child(small_db, area, YEAR_2023)
    with small_db.connect() as conn:
        children = conn.execute(text("SELECT count(*) FROM areas WHERE parent_code = :p"), {"p": area.code}).scalar()
    assert len(got) == children
    assert {c: n for c, n in zip(got["code"], got["overdue"], strict=True) if n} == dict(expected)
    assert list(got["overdue"]) == sorted(got["overdue"], reverse=True)
    assert got["name"].map(bool).all()


def test_by_unit_top15(small_db: Engine, area: AreaRef) -> None:
    raw = raw_overdue(small_db, area, YEAR_2023)
    counts = sorted(Counter(raw["unit"]).items(), key=lambda kv: (-kv[1], kv[0]))[:15]
    got = q.overdue_by_unit(small_db, area, YEAR_2023)
    assert list(zip(got["unit"], got["overdue"], strict=True)) == counts


def test_aging_buckets(small_db: Engine, area: AreaRef) -> None:
    raw = raw_overdue(small_db, area, YEAR_2023)
    days = [(YEAR_2023.hi - d.to_pydatetime()).total_seconds() / 86400 for d in raw["due_at"]]
    expected = [sum(1 for d in days if lo < d <= hi) for _label, lo, hi in AGING_BUCKETS]
    got = q.overdue_aging(small_db, area, YEAR_2023)
    assert list(got["bucket"]) == [label for label, _lo, _hi in AGING_BUCKETS]
    assert list(got["overdue"]) == expected
    assert sum(expected) == len(raw)


def test_cards_by_child(small_db: Engine, area: AreaRef) -> None:
    raw = raw_overdue(small_db, area, YEAR_2023)
    expected: dict[str, Counter] = defaultdict(Counter)
    for code, r in zip(raw[CHILD_COL[area.level]], raw["r"], strict=True):
        if r:
            expected[code][COLOR[r]] += 1
    got = q.cards_by_child(small_db, area, YEAR_2023)
    for row in got.itertuples(index=False):
        assert (row.blue, row.yellow, row.red) == tuple(expected[row.code][c] for c in ("blue", "yellow", "red"))
    assert sum(sum(c.values()) for c in expected.values()) == int(got[["blue", "yellow", "red"]].to_numpy().sum())


@pytest.mark.parametrize("kinds", [(), ("dispute",)])
def test_cards_by_week(small_db: Engine, area: AreaRef, kinds: tuple[str, ...]) -> None:
    where_area, p1 = area_sql(area)
    where_kind, p2 = kinds_sql(kinds)
    sql = text("SELECT cc.issued_at, cc.color FROM case_cards cc JOIN cases c ON c.id = cc.case_id "
               "WHERE cc.issued_at >= :lo AND cc.issued_at < :hi" + where_area + where_kind)
    with small_db.connect() as conn:
        rows = conn.execute(sql, {"lo": ts(YEAR_2023.lo), "hi": ts(YEAR_2023.hi), **p1, **p2}).all()
    expected: Counter = Counter()
    for issued, color in rows:
        day = pd.Timestamp(issued).date()
        expected[(day - timedelta(days=day.weekday()), color)] += 1
    got = q.cards_by_week(small_db, area, YEAR_2023, kinds)
    assert got["week"].iloc[0] == date(2022, 12, 26) and got["week"].iloc[-1] == date(2023, 12, 25)
    assert all(w.weekday() == 0 for w in got["week"])
    for row in got.itertuples(index=False):
        assert (row.blue, row.yellow, row.red) == tuple(expected[(row.week, c)] for c in ("blue", "yellow", "red"))
    assert int(got[["blue", "yellow", "red"]].to_numpy().sum()) == len(rows) > 0


def test_due_soon_list(small_db: Engine, area: AreaRef) -> None:
    where_area, p1 = area_sql(area)
    hi = YEAR_2023.hi
    sql = text("SELECT c.case_no FROM cases c WHERE c.reported_at < :at AND (c.closed_at IS NULL OR c.closed_at >= :at)"
               " AND c.due_at > :at AND c.due_at <= :soon" + where_area + " ORDER BY c.due_at, c.id")
    with small_db.connect() as conn:
        expected = [r[0] for r in conn.execute(sql, {"at": ts(hi), "soon": ts(hi + timedelta(hours=48)), **p1})]
    got = q.due_soon_cases(small_db, area, YEAR_2023)
    assert list(got["case_no"]) == expected[: q.DUE_SOON_LIST]
    assert (pd.to_datetime(got["due_at"]) > pd.Timestamp(hi)).all()


def test_case_timeline(small_db: Engine) -> None:
    area = city(small_db)
    raw = raw_overdue(small_db, area, YEAR_2023)
    case_id = int(raw.sort_values("r").iloc[-1]["id"])  # one with a card
    with small_db.connect() as conn:
        events = conn.execute(text("SELECT at, step FROM case_events WHERE case_id = :i AND at < :hi"),
                              {"i": case_id, "hi": ts(YEAR_2023.hi)}).all()
        cards = conn.execute(text("SELECT issued_at, color FROM case_cards WHERE case_id = :i AND issued_at < :hi"),
                             {"i": case_id, "hi": ts(YEAR_2023.hi)}).all()
        county = conn.execute(text("SELECT county_code FROM cases WHERE id = :i"), {"i": case_id}).scalar()
    got = q.case_timeline(small_db, area, YEAR_2023, case_id)
    assert sorted(got.loc[got["source"] == "event", "code"]) == sorted(s for _a, s in events)
    assert sorted(got.loc[got["source"] == "card", "code"]) == sorted(c for _a, c in cards)
    assert list(got["at"]) == sorted(got["at"])
    assert got["code"].iloc[0] == "registered"
    other = next(c for c in ("321302", "321311", "321322", "321323", "321324") if not county.startswith(c))
    assert q.case_timeline(small_db, find_area(small_db, other), YEAR_2023, case_id).empty


# --- the table: paging, sorting and filtering in SQL, compared with the same done in Python on raw rows ----


def raw_table_rows(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    where_area, p1 = area_sql(area)
    sql = text(
        "SELECT c.id, c.kind, c.responsible_unit, c.due_at, t.name || v.name AS place, "
        "  (SELECT max(CASE cc.color WHEN 'blue' THEN 1 WHEN 'yellow' THEN 2 WHEN 'red' THEN 3 END) "
        "     FROM case_cards cc WHERE cc.case_id = c.id AND cc.issued_at < :hi) AS r "
        "FROM cases c JOIN areas t ON t.code = c.township_code JOIN areas v ON v.code = c.village_code "
        "WHERE c.reported_at < :hi AND (c.closed_at IS NULL OR c.closed_at >= :hi) AND c.due_at < :hi" + where_area
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"hi": ts(period.hi), **p1}).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["id", "kind", "unit", "due_at", "place", "r"])
    frame["due_at"] = pd.to_datetime(frame["due_at"])
    frame["r"] = frame["r"].fillna(0).astype(int)
    frame["days"] = [math.ceil((period.hi - d.to_pydatetime()).total_seconds() / 86400) for d in frame["due_at"]]
    return frame


def test_table_default_order_and_paging(small_db: Engine) -> None:
    area = city(small_db)
    raw = raw_table_rows(small_db, area, YEAR_2023).sort_values(["due_at", "id"])
    ids: list[int] = []
    page = 0
    while True:
        result = q.overdue_cases_page(small_db, area, YEAR_2023, (), q.parse_table_request(page, 5, [], ""))
        assert result.total == len(raw) and result.page == page
        ids += list(result.rows["id"])
        page += 1
        if page * 5 >= result.total:
            break
    assert ids == list(raw["id"])  # every row exactly once, most days overdue first
    beyond = q.overdue_cases_page(small_db, area, YEAR_2023, (), q.parse_table_request(999, 5, [], ""))
    assert beyond.page == (len(raw) - 1) // 5 and list(beyond.rows["id"]) == list(raw["id"])[beyond.page * 5:]


@pytest.mark.parametrize(
    ("filter_query", "keep"),
    [
        ("{overdue_days} s> 10", lambda r: r.days > 10),
        ("{overdue_days} >= 10.5", lambda r: r.days >= 11),
        ("{overdue_days} <= 3", lambda r: r.days <= 3),
        ("{overdue_days} = 5", lambda r: r.days == 5),
        ("{overdue_days} != 5", lambda r: r.days != 5),
        ("{kind} scontains 信访", lambda r: r.kind == "petition"),
        ("{kind} != 信访", lambda r: r.kind != "petition"),
        ("{card} = 红牌", lambda r: r.r == 3),
        ("{card} contains 无", lambda r: r.r == 0),
        ("{card} != 红牌", lambda r: r.r != 3),
        ("{place} contains 镇", lambda r: "镇" in r.place),
        ("{unit} icontains 司法", lambda r: "司法" in r.unit),
        ("{due_at} datestartswith 2023-12", lambda r: r.due_at.strftime("%Y-%m") == "2023-12"),
        ("{due_at} < 2023-06", lambda r: r.due_at < pd.Timestamp("2023-06-01")),
        ("{due_at} scontains 2023-11 && {overdue_days} > 20", lambda r: r.due_at.month == 11 and r.days > 20),
    ],
)
def test_table_filters(small_db: Engine, filter_query: str, keep) -> None:
    area = city(small_db)
    raw = raw_table_rows(small_db, area, YEAR_2023)
    expected = raw[[bool(keep(r)) for r in raw.itertuples(index=False)]].sort_values(["due_at", "id"])
    request = q.parse_table_request(0, 50, [], filter_query)
    assert request.ignored == ()
    result = q.overdue_cases_page(small_db, area, YEAR_2023, (), request)
    assert result.total == len(expected)
    assert list(result.rows["id"]) == list(expected["id"])[:50]


@pytest.mark.parametrize(
    ("column", "direction", "key"),
    [
        ("overdue_days", "asc", ["due_at"]),
        ("overdue_days", "desc", ["due_at"]),
        ("unit", "asc", ["unit"]),
        ("card", "desc", ["r"]),
    ],
)
def test_table_sorting(small_db: Engine, column: str, direction: str, key: list[str]) -> None:
    area = city(small_db)
    raw = raw_table_rows(small_db, area, YEAR_2023)
    request = q.parse_table_request(0, 50, [{"column_id": column, "direction": direction}], "")
    got = q.overdue_cases_page(small_db, area, YEAR_2023, (), request).rows
    ordered = got.merge(raw, on="id", suffixes=("", "_raw"))
    values = list(ordered[key[0]])
    # "More days overdue" is an earlier due date: ascending days means descending due_at.
    reverse = (direction == "desc") != (column == "overdue_days")
    assert values == sorted(values, reverse=reverse)
    assert len(got) == min(50, len(raw))


def _open_case_due_near_midnight(engine: Engine, late_evening: bool) -> tuple[int, str, Period]:
    """A case due late in the evening (or early in the morning) and still open at the midnight next to it, with
    the period ending at that midnight: it sits hours from the overdue boundary, where off-by-hours bugs show."""
    sql = text("SELECT id, case_no, due_at, closed_at FROM cases WHERE reported_at < due_at ORDER BY id")
    with engine.connect() as conn:
        rows = conn.execute(sql).all()
    for case_id, case_no, due, closed in rows:
        due = pd.Timestamp(due).to_pydatetime()
        if due.year < 2022 or (due.hour < 18 if late_evening else due.hour >= 6):
            continue
        day = due.date() if late_evening else due.date() - timedelta(days=1)
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time())
        if closed is None or pd.Timestamp(closed).to_pydatetime() >= midnight:
            return int(case_id), str(case_no), Period(date(day.year, 1, 1), day)
    pytest.fail("the demo has no case near a midnight boundary")


def test_boundary_case_just_overdue(small_db: Engine) -> None:
    area = city(small_db)
    case_id, case_no, period = _open_case_due_near_midnight(small_db, late_evening=True)
    assert case_id in set(raw_overdue(small_db, area, period)["id"])
    assert q.overdue_summary(small_db, area, period).iloc[0]["overdue"] == len(raw_overdue(small_db, area, period))
    assert q.overdue_aging(small_db, area, period)["overdue"].iloc[0] >= 1  # ≤3天
    rows = q.overdue_cases_page(small_db, area, period, (), q.parse_table_request(0, 15, [], f'{{case_no}} = "{case_no}"'))
    assert rows.total == 1 and int(rows.rows["id"].iloc[0]) == case_id
    one_day = q.overdue_cases_page(small_db, area, period, (), q.parse_table_request(0, 50, [], "{overdue_days} = 1"))
    assert case_id in set(one_day.rows["id"])


def test_boundary_case_due_within_hours(small_db: Engine) -> None:
    area = city(small_db)
    case_id, _no, period = _open_case_due_near_midnight(small_db, late_evening=False)
    soon = q.due_soon_cases(small_db, area, period, limit=1000)
    assert case_id in set(soon["id"])
    summary = q.overdue_summary(small_db, area, period).iloc[0]
    assert summary["due_24h"] == raw_open_count(small_db, area, period.hi, period.hi, period.hi + timedelta(hours=24))
    assert summary["due_24h"] >= 1
