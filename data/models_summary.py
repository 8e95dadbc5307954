"""Summary tables: the case data pre-aggregated so that no city or county view scans the case table.

Every table is derived from `cases`, `case_events` and `case_cards` by `data.summaries.rebuild` and nothing
else writes them; `data.maintenance.after_cases_changed` rebuilds them after every demo build and import, so
they are always exactly in step with the cases. Days are stored as integers (days since 1970-01-01, see
`data.summaries.day_number`): the same arithmetic on SQLite and PostgreSQL, and compact keys.

Grains: the monthly tables hold whole calendar months (keyed by the day number of the month's first day); the
days at a period's ends that do not fill a month are read from `sum_cases` (one narrow row per case, clustered
by the day reported). Area keys mostly stop at the township: a township's villages have their own monthly table
(`sum_village`), and views of a village or anything below read the case table through its selective indexes.

Some tables also read other data, and are trusted only while it is unchanged: the visit-coverage snapshot
`sum_coverage` comes from `key_persons` and `grid_visits` with the configured visit frequencies
(`data.summaries.coverage_days`); `sum_listings` and `sum_listing_late` from the supervision listings and
their milestones joined to the cases (`data.summaries.listings_fresh`). The same rebuild writes them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DDL,
    BigInteger,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.models import CODE, Base

# SQLite: store rows in primary-key order (the key is the index every query range-scans).
_CLUSTERED = {"sqlite_with_rowid": False}
REPORTED_INDEX = ("county_code", "reported_day", "township_code", "kind", "repeat_petition")
CLOSED_INDEX = ("county_code", "closed_day", "township_code", "kind", "outcome")


class SumCase(Base):
    """One narrow row per case: its keys, its day numbers and its stage durations, without the case text.

    The source of every other summary, the days at a period's ends, and what the stage-time percentiles read
    (no join of the events). Card days are the first day a card of at least that severity was issued
    (1 blue or worse, 2 yellow or worse, 3 red). `repeat_petition`: a petition with repeat visits (重复信访).
    """

    __tablename__ = "sum_cases"

    reported_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    county_code: Mapped[str] = mapped_column(CODE)
    township_code: Mapped[str] = mapped_column(CODE)
    kind: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    first_level: Mapped[str] = mapped_column(String(10))
    final_level: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(16))
    is_open: Mapped[int] = mapped_column(SmallInteger)  # status is `open` (still being handled)
    outcome: Mapped[str | None] = mapped_column(String(16))
    first_petition: Mapped[int] = mapped_column(SmallInteger)
    repeat_petition: Mapped[int] = mapped_column(SmallInteger)  # kind petition and repeat_visits ≥ 1
    reported_month: Mapped[int] = mapped_column(Integer)
    closed_day: Mapped[int | None] = mapped_column(Integer)
    closed_month: Mapped[int | None] = mapped_column(Integer)
    due_day: Mapped[int] = mapped_column(Integer)
    card1_day: Mapped[int | None] = mapped_column(Integer)
    card2_day: Mapped[int | None] = mapped_column(Integer)
    card3_day: Mapped[int | None] = mapped_column(Integer)
    dispatch: Mapped[float | None] = mapped_column(Float)  # hours, NULL when the stage was not reached
    accept: Mapped[float | None] = mapped_column(Float)
    close: Mapped[float | None] = mapped_column(Float)
    total: Mapped[float | None] = mapped_column(Float)

    # The county indexes carry what a county's township rows read for the days at a period's ends
    # (`township_rows`, the safety counts): index-only, not one clustered-table lookup per case (10× faster).
    __table_args__ = (
        Index("ix_sum_cases_county_reported", *REPORTED_INDEX),
        Index("ix_sum_cases_closed", "closed_day"),
        Index("ix_sum_cases_county_closed", *CLOSED_INDEX),
        _CLUSTERED,
    )


class SumFlow(Base):
    """Intake per month, county and every flow-diagram key (channel → kind → levels → outcome) and mode.

    `outcome` is the flow's outcome key: `open` while being handled, '' for a closed case without outcome.
    Rows with county_code '' add up the whole city.
    """

    __tablename__ = "sum_flow"

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    first_level: Mapped[str] = mapped_column(String(10), primary_key=True)
    final_level: Mapped[str] = mapped_column(String(10), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)

    __table_args__ = (_CLUSTERED,)


class SumClosed(Base):
    """Cases closed per month, county, kind and category, and how many of them were 化解."""

    __tablename__ = "sum_closed"

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    closed: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)

    __table_args__ = (_CLUSTERED,)


class SumDaily(Base):
    """Per day, county and kind: registered, closed, 化解, mediated, first-time and repeat petitions registered
    (`SumCase.repeat_petition`), repeat-visit events and cards issued that day (by the case's county and kind),
    and difficult cases resolved (疑难化解, closed that day): every daily or weekly series of a city or county."""

    __tablename__ = "sum_daily"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    mediated: Mapped[int] = mapped_column(Integer, default=0)
    first_petitions: Mapped[int] = mapped_column(Integer, default=0)
    repeat_petitions: Mapped[int] = mapped_column(Integer, default=0)
    repeat_visits: Mapped[int] = mapped_column(Integer, default=0)
    blue_cards: Mapped[int] = mapped_column(Integer, default=0)
    yellow_cards: Mapped[int] = mapped_column(Integer, default=0)
    red_cards: Mapped[int] = mapped_column(Integer, default=0)
    difficult_resolved: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (_CLUSTERED,)


class SumWeeklyNode(Base):
    """Per week (day number of its Monday), county, kind and flow-diagram node: registered and closed.

    `node` is `family:code` (channel, first, final, outcome; a kind node is the kind column): the weekly chart
    of the flow page when a node is chosen. A case counts under each node it passes.
    """

    __tablename__ = "sum_weekly_nodes"

    node: Mapped[str] = mapped_column(String(32), primary_key=True)
    week: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (_CLUSTERED,)


class SumTownship(Base):
    """Per month, township and kind: registered, closed, 化解, mediated, repeat petitions registered and red
    cards issued (by the case's township and kind): a county's children."""

    __tablename__ = "sum_township"

    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    mediated: Mapped[int] = mapped_column(Integer, default=0)
    repeat_petitions: Mapped[int] = mapped_column(Integer, default=0)
    red_cards: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (_CLUSTERED,)


class SumStageHours(Base):
    """Every case's stage durations per month, county, kind and flow-diagram node: sorted packed float64 arrays
    with their bucket histograms (`data.summaries.stage_buckets`).

    Exact percentiles need the values themselves, but only those of the bucket the rank falls in: the
    histograms locate it and a percentile reads that slice of each row (a city year at 10M cases: about 1 MB
    instead of 100 MB). `node` is '' for every case, else `family:code` as in SumWeeklyNode. A stage's array
    leaves out the cases that did not reach it. On PostgreSQL the arrays are stored uncompressed (STORAGE
    EXTERNAL) so that a slice reads only the TOAST chunks it covers.
    """

    __tablename__ = "sum_stage_hours"

    node: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    dispatch: Mapped[bytes] = mapped_column(LargeBinary)
    accept: Mapped[bytes] = mapped_column(LargeBinary)
    close: Mapped[bytes] = mapped_column(LargeBinary)
    total: Mapped[bytes] = mapped_column(LargeBinary)
    dispatch_hist: Mapped[bytes] = mapped_column(LargeBinary)
    accept_hist: Mapped[bytes] = mapped_column(LargeBinary)
    close_hist: Mapped[bytes] = mapped_column(LargeBinary)
    total_hist: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (_CLUSTERED,)


STAGE_COLUMNS = ("dispatch", "accept", "close", "total")  # sum_cases and sum_stage_hours: one per stage
event.listen(SumStageHours.__table__, "after_create", DDL(
    "ALTER TABLE sum_stage_hours " + ", ".join(f"ALTER COLUMN {c} SET STORAGE EXTERNAL" for c in STAGE_COLUMNS)
).execute_if(dialect="postgresql"))


class SumStanding(Base):
    """What stood open at the start (midnight) of each day, per township and kind — a snapshot, not a flow.

    overdue_N: open and more than N days past due; open_cardK / overdue_cardK: a card of severity ≥ K
    (1 blue, 2 yellow, 3 red) issued before that midnight. Rows where everything is 0 are left out; after
    the last stored day nothing changes any more (meta `summary_last_day`).
    """

    __tablename__ = "sum_standing"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    township_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    open: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    overdue_3: Mapped[int] = mapped_column(Integer, default=0)
    overdue_7: Mapped[int] = mapped_column(Integer, default=0)
    overdue_15: Mapped[int] = mapped_column(Integer, default=0)
    overdue_30: Mapped[int] = mapped_column(Integer, default=0)
    open_card1: Mapped[int] = mapped_column(Integer, default=0)
    open_card2: Mapped[int] = mapped_column(Integer, default=0)
    open_card3: Mapped[int] = mapped_column(Integer, default=0)
    overdue_card1: Mapped[int] = mapped_column(Integer, default=0)
    overdue_card2: Mapped[int] = mapped_column(Integer, default=0)
    overdue_card3: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (_CLUSTERED,)


class SumOverdueSpan(Base):
    """Every case that was ever overdue at a midnight, with the days it was: start_day ≤ D < end_day.

    `span_class` is floor(log2(length in days)) (−1 while still open), so the cases overdue at day D are found
    with one short index range per class: a case of class k started within 2^(k+1) days before D.
    """

    __tablename__ = "sum_overdue_spans"

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    span_class: Mapped[int] = mapped_column(SmallInteger)
    start_day: Mapped[int] = mapped_column(Integer)
    end_day: Mapped[int | None] = mapped_column(Integer)
    county_code: Mapped[str] = mapped_column(CODE)
    township_code: Mapped[str] = mapped_column(CODE)
    village_code: Mapped[str] = mapped_column(CODE)
    grid_code: Mapped[str] = mapped_column(CODE)
    kind: Mapped[str] = mapped_column(String(10))
    unit: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        # Covering: the overdue table's default page (most days overdue first) ranks from this index alone.
        Index("ix_sum_overdue_spans_class_start", "span_class", "start_day", "end_day", "county_code",
              "township_code", "kind", "unit", "due_at"),
    )


class SumRedCard(Base):
    """Every red card with its case's area codes and kind, newest-first per area (`screen.latest_red_cards`).

    A township, village or grid asking for its latest red cards otherwise reads all of its cases to find the
    few with a red card (0.2–0.3 s at 10,000,000 cases); here it walks its own index backwards from the instant.
    """

    __tablename__ = "sum_red_cards"

    card_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    county_code: Mapped[str] = mapped_column(CODE)
    township_code: Mapped[str] = mapped_column(CODE)
    village_code: Mapped[str] = mapped_column(CODE)
    grid_code: Mapped[str] = mapped_column(CODE)
    kind: Mapped[str] = mapped_column(String(10))

    closed_day: Mapped[int | None] = mapped_column(Integer)  # the case's closing day: red cards still standing

    # A township's index also covers what its village counts read (`data.queries.villages`): the cards issued
    # in a range per village, and the red-carded cases still open at a midnight.
    __table_args__ = (
        Index("ix_sum_red_cards_township", "township_code", "issued_at", "card_id", "kind", "village_code",
              "case_id", "closed_day"),
        *(Index(f"ix_sum_red_cards_{level}", f"{level}_code", "issued_at", "card_id", "kind")
          for level in ("village", "grid")),
    )


class SumVillage(Base):
    """Per month, village and kind: the township summary's flows one level down, plus `ended` (cases whose
    later of registration and closure falls in the month) — what a township's villages read.

    Open at a midnight D is then a running sum: registered before D minus ended before D (whole months here,
    the days of D's own month from the township's case indexes; `data.queries.villages`). So is overdue at the
    first midnight of a month: the overdue spans started before it minus those ended before it. Keyed by
    township first: a township reads one contiguous range.
    """

    __tablename__ = "sum_village"

    township_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    mediated: Mapped[int] = mapped_column(Integer, default=0)
    repeat_petitions: Mapped[int] = mapped_column(Integer, default=0)
    red_cards: Mapped[int] = mapped_column(Integer, default=0)
    ended: Mapped[int] = mapped_column(Integer, default=0)
    overdue_from: Mapped[int] = mapped_column(Integer, default=0)  # overdue spans by month of start_day − 1
    overdue_to: Mapped[int] = mapped_column(Integer, default=0)  # … and of end_day − 1 (the closing day)

    __table_args__ = (_CLUSTERED,)


class SumCoverage(Base):
    """Key-person visit coverage at the start (midnight) of each day, per township and key group.

    due: under supervision at that midnight t (since < t ≤ until, or no until); on_time: of those, visited in
    the group's frequency before it (t − days ≤ visit < t) — the definition of `data.queries.grids`. Built from
    `key_persons` and `grid_visits` (not the cases) with the frequencies recorded in meta `coverage_source`;
    rows with nobody due are left out, and after the last stored day nothing changes any more (meta
    `coverage_last_day`: every window has expired, whoever is still under supervision stays due).
    """

    __tablename__ = "sum_coverage"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    township_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    key_group: Mapped[str] = mapped_column(String(16), primary_key=True)
    due: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (_CLUSTERED,)


class SumVisits(Base):
    """Grid visits per day, township and kind of action (routine, 扫楼, 敲门): the /grids page's visit counts of
    a city, county or township without reading the millions of `grid_visits` rows. Built with the other
    summaries; trusted while meta `visits_source` names the newest visit id (see `data.summaries.visits_fresh`).
    """

    __tablename__ = "sum_visits"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    township_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    visits: Mapped[int] = mapped_column(Integer, default=0)

    # A township's days, index-only (the primary key leads with the day: a township's year would walk every
    # township's rows of that year).
    __table_args__ = (Index("ix_sum_visits_township", "township_code", "day", "mode", "visits"), _CLUSTERED)


class SumVisitsCounty(Base):
    """`sum_visits` added up per county: what a city's or county's visit counts read (a city's year is 48,000
    township rows of `sum_visits`, 65 ms on PostgreSQL; here about 1,100). Filled from `sum_visits` in the
    same rebuild, so the same freshness mark covers both."""

    __tablename__ = "sum_visits_county"

    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    visits: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (_CLUSTERED,)


class SumBacklogSpan(Base):
    """A backlog case's stretch on the 信访积案 board in one color: on the board with `color` at every midnight
    t with start_day ≤ t < end_day (end_day NEVER while it still is) — the definition of `data.queries.backlog`
    (the latest color change before t, the case not closed before t). Built from `backlog_color_changes` and
    the cases' closing times; `reported_us` (microseconds since 1970) orders the board's case list without a join.
    """

    __tablename__ = "sum_backlog_spans"

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    start_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    end_day: Mapped[int] = mapped_column(Integer)
    color: Mapped[str] = mapped_column(String(8))
    origin: Mapped[str] = mapped_column(String(12))
    county_code: Mapped[str] = mapped_column(CODE)
    township_code: Mapped[str] = mapped_column(CODE)
    village_code: Mapped[str] = mapped_column(CODE)
    grid_code: Mapped[str] = mapped_column(CODE)
    reported_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_sum_backlog_spans_end", "end_day", "start_day", "county_code", "township_code", "color"),
    )


class SumBacklogBoard(Base):
    """The 信访积案 board at each midnight per township, origin and color (the spans above counted per day):
    what a city or county board, its children, its origins and its month-end trend read with one index lookup
    per instant. Rows with no case are left out; after meta `backlog_last_day` nothing changes any more.
    """

    __tablename__ = "sum_backlog_board"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    township_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    origin: Mapped[str] = mapped_column(String(12), primary_key=True)
    color: Mapped[str] = mapped_column(String(8), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (_CLUSTERED,)


class SumCategoryDay(Base):
    """Cases per registration day, township, kind and category: found, closed (by the data's end) and 化解.

    What a 专项行动 counts — the cases of a few categories registered in its windows, in its areas — read as
    a few thousand cells instead of every case (data.queries.campaigns). The key leads with the category, as
    a campaign selects by it.
    """

    __tablename__ = "sum_category_days"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    reported_day: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    township_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    reported_month: Mapped[int] = mapped_column(Integer)
    found: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (_CLUSTERED,)


class SumTownshipRepeat(Base):
    """Repeat visits (重访 events) per day they happened, township and the case's kind.

    The county and city read `sum_daily`; a township's repeat-visit chart would otherwise join its events to
    its cases (1.4 s for a township quarter at 10M cases).
    """

    __tablename__ = "sum_township_repeats"

    township_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE)  # sum_daily's repeat visits are these rows per county
    repeat_visits: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (_CLUSTERED,)


class SumTownshipCard(Base):
    """Cards issued (蓝/黄/红牌) per day of issue, township and the case's kind.

    The county and city read `sum_daily` (whose card counts are these rows added up per county); a township's
    card trend would otherwise join its cards to its cases (83 ms for a township quarter at 10M cases).
    """

    __tablename__ = "sum_township_cards"

    township_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    county_code: Mapped[str] = mapped_column(CODE)
    blue_cards: Mapped[int] = mapped_column(Integer, default=0)
    yellow_cards: Mapped[int] = mapped_column(Integer, default=0)
    red_cards: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (_CLUSTERED,)


class SumListing(Base):
    """Every 挂牌督办 listing with its case's area codes, closing instant and outcome (化解 or not).

    The supervision tiles, list and task forces of a city or county otherwise join every listing to its case
    by id to learn where it is and whether it was closed (13,584 listings at a million cases: 30–37 ms on
    PostgreSQL); here an area reads its own index range. Built with the other summaries; trusted while they
    are fresh and meta `listings_source` names the newest listing id (`data.summaries.listings_fresh`).
    """

    __tablename__ = "sum_listings"

    listing_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(Integer)
    county_code: Mapped[str] = mapped_column(CODE)
    township_code: Mapped[str] = mapped_column(CODE)
    village_code: Mapped[str] = mapped_column(CODE)
    grid_code: Mapped[str] = mapped_column(CODE)
    listed_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved: Mapped[int] = mapped_column(SmallInteger)  # 1: the case's outcome is 调解成功 or 办结化解
    task_force_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_sum_listings_city", "listed_at", "closed_at", "resolved", "listing_id", "task_force_id"),
        *(Index(f"ix_sum_listings_{level}", f"{level}_code", "listed_at", "closed_at", "resolved", "listing_id",
                "task_force_id") for level in ("county", "township")),
    )


class SumListingLate(Base):
    """A supervision milestone's overdue stretch: overdue at every instant t with late_from < t ≤ late_to
    (late_to None: still overdue), where late_from is the later of its due time and its listing, and late_to
    the earlier of its completion and its case's closing — the definition of `data.queries.supervision`.
    Milestones done in time have no row.
    """

    __tablename__ = "sum_listing_late"

    milestone_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    listing_id: Mapped[int] = mapped_column(Integer)
    county_code: Mapped[str] = mapped_column(CODE)
    township_code: Mapped[str] = mapped_column(CODE)
    village_code: Mapped[str] = mapped_column(CODE)
    grid_code: Mapped[str] = mapped_column(CODE)
    late_from: Mapped[datetime] = mapped_column(DateTime)
    late_to: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_sum_listing_late_city", "late_from", "late_to"),
        Index("ix_sum_listing_late_listing", "listing_id", "late_from", "late_to"),
        *(Index(f"ix_sum_listing_late_{level}", f"{level}_code", "late_from", "late_to")
          for level in ("county", "township")),
    )
