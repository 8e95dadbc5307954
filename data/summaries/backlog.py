"""The 信访积案 board summaries: each backlog case's color spans, and the board per day counted from them.

Why: which cases are on the board at an instant, and in which color, is the latest color change before it of
every case not yet closed — a window over all the color changes joined to the cases, which took 0.1–0.6 s per
question at a million cases. A case's board history is a few spans of days; counting the spans per day once,
at rebuild, makes every city or county board question one index lookup per instant.

Spans (`sum_backlog_spans`): the changes of a case sorted by (at, id) — the order `data.queries.backlog`
breaks ties with — each hold from the midnight after their day until the midnight after the next change's day,
the last until the midnight after the case closed (or for ever). Empty spans (two changes on one day) are
dropped; nothing after the closing counts.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select

from data.models import Case
from data.models_ops import BacklogColorChange
from data.models_summary import SumBacklogSpan
from data.summaries.cube import NEVER
from data.summaries.days import sql_day

CHANGES = BacklogColorChange.__table__
CASES = Case.__table__
SPAN_COLUMNS = [c.name for c in SumBacklogSpan.__table__.columns]
BOARD_KEYS = ["county_code", "township_code", "origin", "color"]
EPOCH = pd.Timestamp("1970-01-01")


def read_spans(conn: Connection) -> pd.DataFrame:
    """Every non-empty span of every backlog case, columns as `sum_backlog_spans` (end_day NEVER: still on)."""
    ch, c = CHANGES.c, CASES.c
    stmt = (select(ch.case_id, sql_day(conn, ch.at), ch.to_color, c.backlog_origin, ch.county_code,
                   ch.township_code, ch.village_code, ch.grid_code, c.reported_at, sql_day(conn, c.closed_at))
            .select_from(CHANGES.join(CASES, CASES.c.id == ch.case_id))
            .order_by(ch.case_id, ch.at, ch.id))
    columns = ["case_id", "day", "color", "origin", "county_code", "township_code", "village_code", "grid_code",
               "reported_at", "closed_day"]
    frame = pd.DataFrame([tuple(r) for r in conn.execute(stmt)], columns=columns)
    if frame.empty:
        return pd.DataFrame(columns=SPAN_COLUMNS)
    start = frame["day"].to_numpy(dtype=np.int64) + 1
    same_case = frame["case_id"].to_numpy()[1:] == frame["case_id"].to_numpy()[:-1]
    end = np.full(len(frame), NEVER, dtype=np.int64)
    end[:-1] = np.where(same_case, start[1:], NEVER)
    closed = frame["closed_day"].astype("float64").fillna(float(NEVER - 1)).to_numpy(dtype=np.int64) + 1
    end = np.minimum(end, closed)
    reported = pd.to_datetime(frame["reported_at"])
    frame["reported_us"] = ((reported - EPOCH) // pd.Timedelta(microseconds=1)).astype(np.int64)
    frame["start_day"], frame["end_day"] = start, end
    frame["origin"] = frame["origin"].fillna("")
    return frame.loc[start < end, SPAN_COLUMNS].reset_index(drop=True)


def board_rows(spans: pd.DataFrame) -> tuple[Iterator[tuple], int | None]:
    """The board per day and key counted from the spans (rows of `sum_backlog_board`), and the last day on
    which anything changes (None without spans)."""
    if spans.empty:
        return iter(()), None
    keys = spans[BOARD_KEYS].drop_duplicates().sort_values(BOARD_KEYS).reset_index(drop=True)
    key_of = spans.merge(keys.reset_index(), on=BOARD_KEYS, how="left")["index"].to_numpy()
    start = spans["start_day"].to_numpy(dtype=np.int64)
    end = spans["end_day"].to_numpy(dtype=np.int64)
    finite = end[end < NEVER]
    first = int(start.min())
    last = int(max(start.max(), finite.max() if len(finite) else first))
    delta = np.zeros((last - first + 2, len(keys)), dtype=np.int64)
    np.add.at(delta, (start - first, key_of), 1)
    ends = end < NEVER
    np.add.at(delta, (end[ends] - first, key_of[ends]), -1)
    stock = np.cumsum(delta, axis=0)[: last - first + 1]
    days, cols = np.nonzero(stock)
    key_rows = list(keys.itertuples(index=False, name=None))

    def rows() -> Iterator[tuple]:
        for d, k, n in zip((days + first).tolist(), cols.tolist(), stock[days, cols].tolist(), strict=True):
            yield (d, *key_rows[k], n)

    return rows(), last


def span_tuples(spans: pd.DataFrame) -> Iterator[tuple]:
    """The spans as plain Python tuples in the table's column order (what the bulk insert takes)."""
    return zip(*[spans[c].tolist() for c in SPAN_COLUMNS], strict=True)


def newest_change(conn: Connection) -> int | None:
    """The newest color change id (what the board was built from; one index probe)."""
    return conn.execute(select(func.max(CHANGES.c.id))).scalar()

