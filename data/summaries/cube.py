"""The summaries computed from `sum_cases` in numpy: one streamed read, integer codes, vectorised group-bys.

Why not SQL GROUP BYs: the weekly node pivot and the standing snapshot would each sort millions of rows on
SQLite; here the whole set costs one read of the narrow per-case table (text columns become small integer codes
chunk by chunk, so memory stays at a few arrays per case) and array arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select

from data.models_summary import STAGE_COLUMNS, SumCase
from data.summaries import stage_buckets
from data.summaries.days import monday_number
from data.vocab import RESOLVED_OUTCOMES, Outcome

FACTS = SumCase.__table__
NEVER = 1 << 30  # "no such day" (not closed, no card): beyond any real day number, fits int32 arrays
TEXT = ("county_code", "township_code", "kind", "category", "channel", "first_level", "final_level", "mode",
        "outcome", "flow")
NUMBERS = ("is_open", "first_petition", "repeat_petition", "reported_day", "reported_month", "closed_day",
           "closed_month", "due_day", "card1_day", "card2_day", "card3_day")
OPEN_KEY = "open"
MEDIATED = str(Outcome.SUCCESS)


STAGES = STAGE_COLUMNS


@dataclass
class Facts:
    """Per-case arrays: codes of the text columns (−1 for NULL), day numbers (NEVER for NULL) and stage hours
    (NaN when the stage was not reached)."""

    codes: dict[str, np.ndarray]
    days: dict[str, np.ndarray]
    vocab: dict[str, list[str]]
    hours: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.days["reported_day"])

    def text(self, column: str, codes: np.ndarray) -> list[str | None]:
        """Codes back to the values they stand for."""
        words = self.vocab[column]
        return [words[c] if c >= 0 else None for c in codes.tolist()]

    def code_of(self, column: str, values: Sequence[str]) -> np.ndarray:
        """The codes of some values (−2 for a value no case has)."""
        index = {w: i for i, w in enumerate(self.vocab[column])}
        return np.array([index.get(v, -2) for v in values], dtype=np.int64)

    def is_in(self, column: str, values: Sequence[str]) -> np.ndarray:
        """Per case: whether the column holds one of the values."""
        return np.isin(self.codes[column], self.code_of(column, values))


def read_facts(conn: Connection, chunk: int = 20_000) -> Facts:
    """Stream `sum_cases` into preallocated int32 arrays (text columns as codes; the flow key — `open`, or the
    outcome, '' for none — derived on the way), so memory peaks at the arrays plus one chunk."""
    columns = [c for c in TEXT if c != "flow"] + list(NUMBERS) + list(STAGES)
    vocab: dict[str, dict[str, int]] = {c: {} for c in TEXT}
    total = int(conn.execute(select(func.count()).select_from(FACTS)).scalar_one())
    arrays = {c: np.empty(total, dtype=np.int32) for c in (*TEXT, *NUMBERS)}
    arrays.update({c: np.empty(total, dtype=np.float64) for c in STAGES})
    at = 0
    for rows in _stream(conn, str(select(*[FACTS.c[c] for c in columns]).compile(conn)), chunk):
        frame = pd.DataFrame.from_records(rows, columns=columns)
        outcome = frame["outcome"].astype(object)
        frame["flow"] = np.where(frame["is_open"].to_numpy() == 1, OPEN_KEY, outcome.where(outcome.notna(), ""))
        span = slice(at, at + len(frame))
        for name in TEXT:
            codes, uniques = pd.factorize(frame[name].astype(object), use_na_sentinel=True)
            table = vocab[name]
            lookup = np.array([table.setdefault(u, len(table)) for u in uniques] + [-1], dtype=np.int32)
            arrays[name][span] = lookup[codes]
        for name in NUMBERS:
            arrays[name][span] = frame[name].astype("float64").fillna(float(NEVER)).to_numpy()
        for name in STAGES:
            arrays[name][span] = frame[name].astype("float64").to_numpy()
        at += len(frame)
    arrays = {k: v[:at] for k, v in arrays.items()}  # (the same transaction: nothing can have been added)
    return Facts({k: arrays[k] for k in TEXT}, {k: arrays[k] for k in NUMBERS},
                 {k: list(v) for k, v in vocab.items()}, {k: arrays[k] for k in STAGES})


def _stream(conn: Connection, sql: str, chunk: int) -> Iterator[list[tuple]]:
    """Plain DB-API tuples in chunks, on the caller's connection (a server-side cursor on PostgreSQL)."""
    raw = conn.connection.driver_connection
    cursor = raw.cursor(name="sum_facts") if conn.dialect.name == "postgresql" else raw.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk):
            yield rows
    finally:
        cursor.close()


def group_index(keys: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct key tuples (as arrays) and, per row, the index of its tuple.

    The keys are folded into one int64 (mixed radix over each key's range), so one np.unique does the grouping.
    """
    if len(keys[0]) == 0:
        return [k[:0] for k in keys], np.zeros(0, dtype=np.int64)
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    shape = []
    for k in keys:
        lo, width = int(k.min()), int(k.max() - k.min()) + 1
        combined = combined * width + (k - lo)
        shape.append((lo, width))
    unique, inverse = np.unique(combined, return_inverse=True)
    out = []
    rest = unique
    for lo, width in reversed(shape):
        out.append(rest % width + lo)
        rest = rest // width
    return out[::-1], inverse.reshape(-1)


def group_sum(keys: Sequence[np.ndarray], measures: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """GROUP BY the key arrays, SUM the measure arrays: the distinct key tuples and their sums."""
    unique, inverse = group_index(keys)
    n = len(unique[0])
    return unique, [np.bincount(inverse, weights=m, minlength=n).round().astype(np.int64) for m in measures]


def _ones(n: int) -> np.ndarray:
    return np.ones(n, dtype=np.int8)


def _rows(facts: Facts, keys: Sequence[tuple[str | None, np.ndarray]], sums: Sequence[np.ndarray]) -> Iterator[tuple]:
    """Output rows: text keys decoded (None: an integer key), then the sums, all plain Python values."""
    columns = [facts.text(name, k) if name else k.tolist() for name, k in keys]
    columns += [s.tolist() for s in sums]
    return zip(*columns, strict=True)


WHOLE_CITY = ""  # the county_code of SumFlow rows that add up every county (a city view reads 5× fewer rows)


def flow_rows(facts: Facts) -> Iterator[tuple]:
    """SumFlow: intake per month, county (and WHOLE_CITY), kind, channel, first, final, flow key and mode."""
    c, d = facts.codes, facts.days
    names = ("county_code", "kind", "channel", "first_level", "final_level", "flow", "mode")
    keys, sums = group_sum([d["reported_month"], *[c[n] for n in names]], [_ones(len(facts))])
    yield from _rows(facts, [(None, keys[0]), *zip(names, keys[1:], strict=True)], sums)
    keys, sums = group_sum([d["reported_month"], *[c[n] for n in names[1:]]], [_ones(len(facts))])
    for month, *rest in _rows(facts, [(None, keys[0]), *zip(names[1:], keys[1:], strict=True)], sums):
        yield (month, WHOLE_CITY, *rest)


def closed_rows(facts: Facts) -> Iterator[tuple]:
    """SumClosed: closures per month, county, kind and category, with how many were 化解."""
    c, d = facts.codes, facts.days
    done = d["closed_day"] < NEVER
    names = ("county_code", "kind", "category")
    resolved = facts.is_in("outcome", RESOLVED_OUTCOMES)
    keys, sums = group_sum([d["closed_month"][done], *[c[n][done] for n in names]],
                           [_ones(int(done.sum())), resolved[done].astype(np.int8)])
    return _rows(facts, [(None, keys[0]), *zip(names, keys[1:], strict=True)], sums)


def _two_parts(facts: Facts, bucket: tuple[str, str], names: Sequence[str],
               first: Sequence[np.ndarray], second: Sequence[np.ndarray]) -> tuple[list, list]:
    """Group registrations (keyed by the reported bucket) and closures (the closed bucket) into one table.

    `first` are measures of every case on its reported bucket, `second` of closed cases on their closed bucket.
    Each part is grouped on its own first and only the small results are merged (half the peak memory).
    """
    c, d = facts.codes, facts.days
    done = d["closed_day"] < NEVER
    keys_a, sums_a = group_sum([d[bucket[0]], *[c[n] for n in names]], first)
    keys_b, sums_b = group_sum([d[bucket[1]][done], *[c[n][done] for n in names]], [m[done] for m in second])
    zeros_a = np.zeros(len(keys_a[0]), dtype=np.int64)
    zeros_b = np.zeros(len(keys_b[0]), dtype=np.int64)
    keys = [np.concatenate([a, b]) for a, b in zip(keys_a, keys_b, strict=True)]
    measures = [np.concatenate([m, zeros_b]) for m in sums_a] + [np.concatenate([zeros_a, m]) for m in sums_b]
    return group_sum(keys, measures)


def _with_counted(facts: Facts, keys: list[np.ndarray], measures: list[np.ndarray], names: Sequence[str],
                  extra: Sequence[tuple], width: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Merge rows counted in SQL — (bucket, *text keys named `names`, *`width` counts) — into grouped keys and
    measures: the counts become `width` more measures after the case ones (zeros where a side has no row)."""
    zero = np.zeros(len(keys[0]), dtype=np.int64)
    if not extra:
        return keys, [*measures, *[zero] * width]
    more = list(zip(*extra, strict=True))
    n = len(more[0])
    keys = [np.concatenate([keys[0], np.array(more[0], dtype=np.int64)]),
            *[np.concatenate([k, facts.code_of(name, more[1 + j])]) for j, (name, k) in enumerate(
                zip(names, keys[1:], strict=True))]]
    measures = [np.concatenate([m, np.zeros(n, dtype=np.int64)]) for m in measures]
    counts = [np.concatenate([zero, np.array(col, dtype=np.int64)]) for col in more[1 + len(names):]]
    return group_sum(keys, [*measures, *counts])


def township_rows(facts: Facts, red_cards: Sequence[tuple] = ()) -> Iterator[tuple]:
    """SumTownship: per month, township and kind — registered, closed, 化解, mediated, repeat petitions
    registered, plus `red_cards` rows (month, county, township, kind, red cards issued) counted in SQL."""
    names = ("county_code", "township_code", "kind")
    first = [_ones(len(facts)), facts.days["repeat_petition"]]
    closed = [_ones(len(facts)), facts.is_in("outcome", RESOLVED_OUTCOMES).astype(np.int8),
              facts.is_in("outcome", (MEDIATED,)).astype(np.int8)]
    keys, sums = _two_parts(facts, ("reported_month", "closed_month"), names, first, closed)
    # registered, repeat, closed, resolved, mediated → the table's order, then the red cards.
    keys, sums = _with_counted(facts, keys, [sums[0], sums[2], sums[3], sums[4], sums[1]], names, red_cards, 1)
    # Column order of the table: county, month, township, kind.
    return _rows(facts, [("county_code", keys[1]), (None, keys[0]), ("township_code", keys[2]), ("kind", keys[3])],
                 sums)


def daily_rows(facts: Facts, extra: Sequence[tuple]) -> Iterator[tuple]:
    """SumDaily: per day, county and kind — the case measures, plus `extra` rows (day, county, kind, visits,
    blue, yellow, red, difficult resolved) counted in SQL from the events, cards and difficult cases."""
    names = ("county_code", "kind")
    d = facts.days
    first = [_ones(len(facts)), d["first_petition"], d["repeat_petition"]]
    closed = [_ones(len(facts)), facts.is_in("outcome", RESOLVED_OUTCOMES).astype(np.int8),
              facts.is_in("outcome", (MEDIATED,)).astype(np.int8)]
    keys, sums = _two_parts(facts, ("reported_day", "closed_day"), names, first, closed)
    # registered, first, repeat, closed, resolved, mediated → the table's order, then the SQL-counted rows.
    measures = [sums[0], sums[3], sums[4], sums[5], sums[1], sums[2]]
    keys, sums = _with_counted(facts, keys, measures, names, extra, 5)
    return _rows(facts, [(None, keys[0]), ("county_code", keys[1]), ("kind", keys[2])], sums)


NODE_COLUMNS = (("channel", "channel"), ("first", "first_level"), ("final", "final_level"), ("outcome", "flow"))


def weekly_node_rows(facts: Facts) -> Iterator[tuple]:
    """SumWeeklyNode: per node (family:code), week, county and kind — registered and closed."""
    d = facts.days
    done = d["closed_day"] < NEVER
    weeks = {"reported_week": monday_number(d["reported_day"]),
             "closed_week": np.where(done, monday_number(np.where(done, d["closed_day"], 0)), NEVER)}
    view = Facts(facts.codes, {**d, **weeks}, facts.vocab, facts.hours)
    for family, column in NODE_COLUMNS:
        keys, sums = _two_parts(view, ("reported_week", "closed_week"), (column, "county_code", "kind"),
                                [_ones(len(facts))], [_ones(len(facts))])
        nodes = [f"{family}:{v}" for v in facts.text(column, keys[1])]
        yield from zip(nodes, keys[0].tolist(), facts.text("county_code", keys[2]), facts.text("kind", keys[3]),
                       sums[0].tolist(), sums[1].tolist(), strict=True)


def stage_hour_rows(facts: Facts) -> Iterator[tuple]:
    """SumStageHours: per node ('' and each family:code), month, county and kind, each stage's hours sorted and
    packed, then each stage's bucket histogram (`stage_buckets.pack`).

    Cases are ordered by their group once per node family, so each group is one contiguous slice.
    """
    c, d = facts.codes, facts.days
    for family, column in (("", None), *NODE_COLUMNS):
        keys = [d["reported_month"], c["county_code"], c["kind"], *([c[column]] if column else [])]
        unique, inverse = group_index(keys)
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(unique[0]) + 1))
        months, counties, kinds = unique[0].tolist(), facts.text("county_code", unique[1]), facts.text("kind", unique[2])
        nodes = [f"{family}:{v}" for v in facts.text(column, unique[3])] if column else [""] * len(months)
        for g in range(len(months)):
            rows = order[bounds[g]:bounds[g + 1]]
            packed = []
            for stage in STAGES:
                values = facts.hours[stage][rows]
                packed.append(stage_buckets.pack(values[~np.isnan(values)]))
            yield (nodes[g], months[g], counties[g], kinds[g], *[v for v, _h in packed], *[h for _v, h in packed])


# --- the standing snapshot -------------------------------------------------------------------------------------

AGING_DAYS = (3, 7, 15, 30)  # the overdue_N columns: data.rules.AGING_BUCKETS' finite upper bounds
STANDING_MEASURES = ("open", "overdue", *[f"overdue_{n}" for n in AGING_DAYS], "open_card1", "open_card2",
                     "open_card3", "overdue_card1", "overdue_card2", "overdue_card3")


def _interval(d: dict[str, np.ndarray], name: str) -> tuple[np.ndarray, np.ndarray]:
    """For one measure: the midnight each case starts counting and the one it stops (start ≤ D < end).

    A case counts at midnight D while reported before D and not closed before D (end = closed day + 1), and
    from the midnight after its due day (+N days) or its first card of a severity on, for those measures.
    """
    r, due = d["reported_day"], d["due_day"]
    end = np.where(d["closed_day"] < NEVER, d["closed_day"] + 1, NEVER)
    if name == "open":
        return r + 1, end
    if name == "overdue":
        return np.maximum(r, due) + 1, end
    if name.startswith("overdue_card"):
        return np.maximum(np.maximum(r, due), d[f"card{name[-1]}_day"]) + 1, end
    if name.startswith("open_card"):
        return np.maximum(r, d[f"card{name[-1]}_day"]) + 1, end
    return np.maximum(r, due + int(name.removeprefix("overdue_"))) + 1, end


def _day_span(d: dict[str, np.ndarray]) -> tuple[int, int]:
    """The first and last midnight at which any measure changes (starts are ≥ reported + 1, ends ≤ NEVER)."""
    first = int(d["reported_day"].min()) + 1
    last = first
    for name in STANDING_MEASURES:
        start, end = _interval(d, name)
        last = max(last, int(start[start < NEVER // 2].max(initial=first)), int(end[end < NEVER].max(initial=first)))
    return first, last


def standing_rows(facts: Facts) -> tuple[Iterator[tuple], int | None]:
    """SumStanding rows (where anything stands) and the last day anything changes (None without cases).

    Per (county, township, kind): +1 at each interval's start, −1 at its end, running sum over the days.
    """
    if not len(facts):
        return iter(()), None
    first, last = _day_span(facts.days)
    c = facts.codes
    (county, township, kind), g = group_index([c["county_code"], c["township_code"], c["kind"]])
    groups = len(county)
    width = last - first + 2
    size = groups * width
    grid = np.zeros((len(STANDING_MEASURES), groups, width), dtype=np.int64)
    for m, name in enumerate(STANDING_MEASURES):
        start, end = _interval(facts.days, name)
        live = (end > start) & (start <= last)
        ends = live & (end <= last)
        delta = np.bincount(g[live] * width + start[live] - first, minlength=size)
        delta -= np.bincount(g[ends] * width + end[ends] - first, minlength=size)
        grid[m] = delta.reshape(groups, width)
    np.cumsum(grid, axis=2, out=grid)
    gi, di = np.nonzero(grid[:, :, : width - 1].any(axis=0))
    return _standing_chunks(facts, grid, gi, di, first, (county, township, kind)), last


def _standing_chunks(facts: Facts, grid: np.ndarray, gi: np.ndarray, di: np.ndarray, first: int,
                     keys: tuple[np.ndarray, ...], chunk: int = 50_000) -> Iterator[tuple]:
    """The snapshot's rows as plain tuples, converted a chunk at a time (bounded memory)."""
    county, township, kind = keys
    for at in range(0, len(gi), chunk):
        g, d = gi[at:at + chunk], di[at:at + chunk]
        yield from zip((d + first).tolist(), facts.text("county_code", county[g]),
                       facts.text("township_code", township[g]), facts.text("kind", kind[g]),
                       *[v.tolist() for v in grid[:, g, d]], strict=True)


# --- key-person visit coverage (from key_persons and grid_visits, not from the cases) ---


@dataclass
class Persons:
    """Key persons: ids, area and group keys, and the day numbers of `since` and `until` (NEVER for NULL)."""

    ids: np.ndarray
    county: np.ndarray
    township: np.ndarray
    group: np.ndarray
    since_day: np.ndarray
    until_day: np.ndarray


def coverage_rows(persons: Persons, visit_person: np.ndarray, visit_day: np.ndarray,
                  visit_days: dict[str, int]) -> tuple[Iterator[tuple], int | None]:
    """SumCoverage rows (day, county, township, group, due, on_time) where anyone is due, and the last day
    anything changes (None when nobody is ever due).

    At midnight t of day D, with s, u, a the day numbers (floors) of since, until and a visit:
    since < t ⟺ D ≥ s + 1; until ≥ t ⟺ D ≤ u; a visit is within the frequency f before t (t − f ≤ at < t)
    ⟺ a + 1 ≤ D ≤ a + f. So a person is due on days [s + 1, u], and on time on the union of its visits'
    windows [a + 1, a + f]: with the visits in order, each window is cut at the next visit's day (the next
    window starts the day after it), which makes them disjoint, then intersected with the due days. Counted
    per (county, township, group) with +1/−1 at each interval's ends and a running sum over the days.
    """
    due_lo = np.where(persons.since_day < NEVER, persons.since_day.astype(np.int64) + 1, NEVER)
    due_hi = persons.until_day.astype(np.int64)  # NEVER: still under supervision
    freq = np.array([int(visit_days.get(str(g), 0)) for g in persons.group], dtype=np.int64)
    due = due_lo <= due_hi
    if not due.any():
        return iter(()), None
    # Sorted codes, so that the rows come out in the table's key order (day, county, township, group).
    factorized = [pd.factorize(pd.Series(k, dtype=object), sort=True)
                  for k in (persons.county, persons.township, persons.group)]
    (county, township, group), g = group_index([codes for codes, _ in factorized])
    names = [np.asarray(uniques, dtype=object) for _, uniques in factorized]

    # Each visit's window, cut at the person's next visit, within the person's due days.
    order = np.argsort(persons.ids, kind="stable")
    at = np.searchsorted(persons.ids, visit_person, sorter=order)
    at = np.minimum(at, len(order) - 1)
    known = persons.ids[order[at]] == visit_person
    who, day = order[at[known]], visit_day[known].astype(np.int64)
    sort = np.lexsort((day, who))
    who, day = who[sort], day[sort]
    end = day + freq[who]
    same = who[1:] == who[:-1]
    end[:-1][same] = np.minimum(end[:-1][same], day[1:][same])
    on_lo = np.maximum(day + 1, due_lo[who])
    on_hi = np.minimum(end, due_hi[who])
    on = on_lo <= on_hi
    who, on_lo, on_hi = who[on], on_lo[on], on_hi[on]

    lo, hi = due_lo[due], due_hi[due]
    first = int(lo.min())
    last = max(int(lo.max()), int(hi[hi < NEVER].max(initial=first - 1)) + 1,
               int(on_hi.max(initial=first - 1)) + 1)
    width = last - first + 2  # the days first..last, and a slot for ends past last (none)
    groups = len(county)
    size = groups * width
    grid = np.zeros((2, groups, width), dtype=np.int64)
    for m, (who_m, start, stop) in enumerate(((np.nonzero(due)[0], lo, hi), (who, on_lo, on_hi))):
        ends = stop < NEVER
        delta = np.bincount(g[who_m] * width + start - first, minlength=size)
        delta -= np.bincount(g[who_m[ends]] * width + stop[ends] + 1 - first, minlength=size)
        grid[m] = delta.reshape(groups, width)
    np.cumsum(grid, axis=2, out=grid)
    di, gi = np.nonzero(grid[0, :, : width - 1].T > 0)
    texts = [n[k] for n, k in zip(names, (county, township, group), strict=True)]

    def rows(chunk: int = 50_000) -> Iterator[tuple]:
        for at_ in range(0, len(gi), chunk):
            gs, ds = gi[at_:at_ + chunk], di[at_:at_ + chunk]
            yield from zip((ds + first).tolist(), *[t[gs].tolist() for t in texts], grid[0, gs, ds].tolist(),
                           grid[1, gs, ds].tolist(), strict=True)

    return rows(), last
