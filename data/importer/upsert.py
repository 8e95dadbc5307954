"""Idempotent upsert of cases by case number: stage, compare, then apply everything in one transaction.

Phase 1 (per chunk): accepted rows are compared with the stored cases and only new or changed ones are
staged in a TEMP table on the import's own connection; nothing in the real tables changes yet, so other
workers keep reading and writing. Phase 2 (`apply`): one write transaction inserts and updates the cases,
keeps their derived events consistent, re-evaluates supervision cards of every touched case, stores the
quarantine and the final log entry, and commits. Killing the process at any moment leaves the data as it
was (the transaction rolls back; only the import log shows an unfinished run), and the same file can simply
be run again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

import pandas as pd

from data.cards import CardRule, cards_frame
from data.importer.dbio import RawDB
from data.importer.reading import ROW_COL
from data.importer.validation import BOOL_FIELDS, CASE_COLUMNS, DATE_FIELDS
from data.vocab import CARD_ORDER, Status

STAGE = "import_stage"
PROBLEMS = "import_problems"
CARD_IDS = "import_card_ids"
CARD_TOP = "import_card_top"
NEW_CARDS = "import_new_cards"
IN_BATCH = 5_000
CARD_BATCH = 200_000
_TYPES = {
    **{c: "TIMESTAMP" for c in (*DATE_FIELDS, "escalated_at")},
    **{c: "BOOLEAN" for c in BOOL_FIELDS},
    "repeat_visits": "INTEGER",
}
LOCATION = ("grid_code", "village_code", "township_code", "county_code")


def compare_columns(provided: Iterable[str]) -> list[str]:
    """Columns a file may change on an existing case: what it supplies (location brings the ancestors)."""
    given = set(provided)
    if given & {"grid_code", "lon", "lat"}:
        given |= set(LOCATION)
    return [c for c in CASE_COLUMNS if c in given and c != "case_no"]


class CaseStage:
    """Staging of one import's new and changed cases on the import's connection."""

    def __init__(self, db: RawDB, provided: Iterable[str]) -> None:
        self.db = db
        self.compare = compare_columns(provided)
        cols = ", ".join(f"{c} {_TYPES.get(c, 'TEXT')}" for c in (*CASE_COLUMNS, "escalated_at"))
        for table in (STAGE, PROBLEMS, CARD_IDS, CARD_TOP, NEW_CARDS):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        db.execute(f"CREATE TEMP TABLE {STAGE} (row_no INTEGER, action TEXT, case_id INTEGER, {cols})")
        db.execute(f"CREATE TEMP TABLE {PROBLEMS} (row_no INTEGER, field TEXT, value TEXT, reason TEXT, raw TEXT)")
        db.execute(f"CREATE TEMP TABLE {CARD_IDS} (case_id INTEGER PRIMARY KEY)")
        db.execute(f"CREATE TEMP TABLE {CARD_TOP} (case_id INTEGER PRIMARY KEY, card TEXT)")
        db.execute(f"CREATE TEMP TABLE {NEW_CARDS} (row_no INTEGER, color TEXT, issued_at TIMESTAMP)")
        db.commit()

    def add(self, good: pd.DataFrame) -> tuple[int, int, int]:
        """Stage a chunk of valid rows; returns (new, changed, unchanged) counts."""
        if good.empty:
            return 0, 0, 0
        existing = self._existing(good["case_no"])
        ids = good["case_no"].map(existing["id"]) if len(existing) else pd.Series(pd.NA, index=good.index)
        new = ids.isna()
        changed = pd.Series(False, index=good.index)
        old_rows = good[~new]
        if len(old_rows):
            before = existing.loc[old_rows["case_no"]].set_index(old_rows.index)
            changed.loc[old_rows.index] = ~_same(old_rows, before, self.compare)
        staged = good[new | changed].copy()
        staged.insert(0, "action", ["insert" if n else "update" for n in new[new | changed]])
        staged.insert(1, "case_id", ids[new | changed].astype("Int64"))
        staged = staged.rename(columns={ROW_COL: "row_no"})
        self.db.insert_frame(STAGE, staged)
        self.db.commit()
        n_new, n_changed = int(new.sum()), int(changed.sum())
        return n_new, n_changed, len(good) - n_new - n_changed

    def add_problems(self, problems: pd.DataFrame) -> None:
        self.db.insert_frame(PROBLEMS, problems[["row_no", "field", "value", "reason", "raw"]])
        self.db.commit()

    def _existing(self, numbers: pd.Series) -> pd.DataFrame:
        """Stored id and compared columns of the cases among `numbers`, indexed by case number."""
        cols = ["id", "case_no", *self.compare]
        rows: list[tuple] = []
        values = numbers.tolist()
        for start in range(0, len(values), IN_BATCH):
            part = values[start : start + IN_BATCH]
            rows += self.db.fetch(
                f"SELECT {', '.join(cols)} FROM cases WHERE case_no IN ({', '.join('?' * len(part))})", part)
        return pd.DataFrame(rows, columns=cols).set_index("case_no")

    def apply(self, as_of: datetime, refresh_open: bool, rule: CardRule, log: Callable[[str], None]) -> int:
        """Write staged cases, events and cards inside the caller's open transaction; returns touched cases."""
        db = self.db
        cols = ", ".join(CASE_COLUMNS)
        db.execute(f"CREATE INDEX IF NOT EXISTS ix_{STAGE}_row ON {STAGE} (row_no)")
        db.analyze(STAGE)
        new_cards(db, as_of, rule)
        db.execute(f"INSERT INTO cases ({cols}, card) SELECT {', '.join('s.' + c for c in CASE_COLUMNS)}, t.card "
                   f"FROM {STAGE} s LEFT JOIN {CARD_TOP} t ON t.case_id = s.row_no WHERE s.action = 'insert' "
                   "ORDER BY s.row_no")
        if self.compare:
            sets = ", ".join(f"{c} = s.{c}" for c in self.compare)
            db.execute(f"UPDATE cases SET {sets} FROM {STAGE} s WHERE s.action = 'update' AND cases.id = s.case_id")
        log("已写入案件")
        db.execute(f"UPDATE {STAGE} SET case_id = (SELECT id FROM cases WHERE cases.case_no = {STAGE}.case_no) "
                   "WHERE action = 'insert'")
        db.execute(f"CREATE INDEX IF NOT EXISTS ix_{STAGE}_case ON {STAGE} (case_id)")
        db.analyze(STAGE)
        db.execute(f"INSERT INTO case_cards (case_id, color, issued_at) SELECT s.case_id, n.color, n.issued_at "
                   f"FROM {NEW_CARDS} n JOIN {STAGE} s ON s.row_no = n.row_no ORDER BY s.case_id, n.issued_at")
        sync_events(db)
        log("已同步案件事件")
        db.execute(f"INSERT INTO {CARD_IDS} (case_id) SELECT case_id FROM {STAGE} WHERE action = 'update'")
        if refresh_open:
            db.execute(f"INSERT INTO {CARD_IDS} (case_id) SELECT id FROM cases WHERE status = ? "
                       f"AND id NOT IN (SELECT case_id FROM {STAGE})", (str(Status.OPEN),))
        db.analyze(CARD_IDS)
        refresh_cards(db, as_of, rule)
        log("已更新督办牌")
        return int(db.fetch(f"SELECT COUNT(*) FROM {STAGE}")[0][0])

    def store_problems(self, import_id: int) -> None:
        self.db.execute(f"INSERT INTO quarantine_rows (import_id, row_no, field, value, reason, raw) "
                        f"SELECT ?, row_no, field, value, reason, raw FROM {PROBLEMS} ORDER BY row_no", (import_id,))


def new_cards(db: RawDB, as_of: datetime, rule: CardRule) -> None:
    """Cards of the new cases, computed before they are inserted so that their highest card goes in with
    them (an UPDATE afterwards would rewrite each row and its eight index entries on PostgreSQL).

    New cases have no repeat-visit events, so only due date, closing and as-of matter. Results are keyed
    by file row number: NEW_CARDS (every card) and CARD_TOP (the highest card per row).
    """
    last = -1
    while True:
        rows = db.fetch(f"SELECT row_no, due_at, closed_at FROM {STAGE} WHERE action = 'insert' AND row_no > ? "
                        f"ORDER BY row_no LIMIT {CARD_BATCH}", (last,))
        if not rows:
            break
        batch = pd.DataFrame(rows, columns=["row_no", "due_at", "closed_at"])
        last = int(batch["row_no"].iloc[-1])
        none = pd.Series(pd.NaT, index=batch.index, dtype="datetime64[s]")
        cards = cards_frame(rule, batch["row_no"].to_numpy(), _dates(batch["due_at"]), _dates(batch["closed_at"]),
                            as_of, none)
        if cards.empty:
            continue
        cards["issued_at"] = pd.to_datetime(cards["issued_at"]).astype("datetime64[s]")
        db.insert_frame(NEW_CARDS, cards.rename(columns={"case_id": "row_no"})[["row_no", "color", "issued_at"]])
        db.insert_frame(CARD_TOP, _top(cards))


def _top(cards: pd.DataFrame) -> pd.DataFrame:
    """The highest card per case (columns case_id, card)."""
    rank = {str(c): i for i, c in enumerate(CARD_ORDER)}
    top = cards.assign(r=cards["color"].map(rank)).sort_values("r").drop_duplicates("case_id", keep="last")
    return top[["case_id", "color"]].rename(columns={"color": "card"})


def sync_events(db: RawDB) -> None:
    """Events derived from a touched case's row: registered, closed (or none if reopened), escalated.

    Updated cases get their registered/closed events corrected; every touched case gets missing ones.
    """
    touched = f"SELECT case_id FROM {STAGE} WHERE action = 'update'"
    db.execute("UPDATE case_events SET at = c.reported_at, level = c.first_level FROM cases c "
               f"WHERE case_events.step = 'registered' AND case_events.case_id = c.id AND c.id IN ({touched})")
    db.execute("DELETE FROM case_events WHERE step = 'closed' AND case_id IN "
               f"(SELECT c.id FROM cases c WHERE c.closed_at IS NULL AND c.id IN ({touched}))")
    db.execute("UPDATE case_events SET at = c.closed_at, level = c.final_level FROM cases c "
               f"WHERE case_events.step = 'closed' AND case_events.case_id = c.id AND c.id IN ({touched})")
    _insert_missing(db, "registered", "c.reported_at", "c.first_level", "TRUE")
    _insert_missing(db, "escalated", "COALESCE(s.escalated_at, c.reported_at)", "c.final_level",
                    "c.first_level <> c.final_level")
    _insert_missing(db, "closed", "c.closed_at", "c.final_level", "c.closed_at IS NOT NULL")


def _insert_missing(db: RawDB, step: str, at: str, level: str, condition: str) -> None:
    db.execute(
        f"INSERT INTO case_events (case_id, step, at, level) SELECT c.id, '{step}', {at}, {level} "
        f"FROM {STAGE} s JOIN cases c ON c.id = s.case_id WHERE {condition} AND NOT EXISTS "
        f"(SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.step = '{step}') ORDER BY c.id"
    )


def refresh_cards(db: RawDB, as_of: datetime, rule: CardRule) -> None:
    """Re-evaluate the card rule for the listed cases: replace their card history and highest card."""
    db.execute(f"DELETE FROM case_cards WHERE case_id IN (SELECT case_id FROM {CARD_IDS})")
    db.execute(f"UPDATE cases SET card = NULL WHERE id IN (SELECT case_id FROM {CARD_IDS}) AND card IS NOT NULL")
    last = 0
    while True:
        rows = db.fetch(f"SELECT c.id, c.due_at, c.closed_at FROM cases c JOIN {CARD_IDS} t ON t.case_id = c.id "
                        f"WHERE c.id > ? ORDER BY c.id LIMIT {CARD_BATCH}", (last,))
        if not rows:
            return
        cases = pd.DataFrame(rows, columns=["id", "due_at", "closed_at"])
        last = int(cases["id"].iloc[-1])
        _write_cards(db, cases, _first_late_visits(db, last, cases), as_of, rule)


def _first_late_visits(db: RawDB, last: int, cases: pd.DataFrame) -> pd.Series:
    """First repeat visit on or after the due date, per case of this batch (NaT if none)."""
    first = int(cases["id"].iloc[0])
    rows = db.fetch(
        f"SELECT e.case_id, MIN(e.at) FROM case_events e JOIN cases c ON c.id = e.case_id "
        f"JOIN {CARD_IDS} t ON t.case_id = c.id WHERE e.step = 'repeat_visit' AND e.at >= c.due_at "
        "AND c.id BETWEEN ? AND ? GROUP BY e.case_id", (first, last))
    late = pd.Series({r[0]: r[1] for r in rows}, dtype=object)
    return _dates(cases["id"].map(late))


def _write_cards(db: RawDB, cases: pd.DataFrame, late: pd.Series, as_of: datetime, rule: CardRule) -> None:
    cards = cards_frame(rule, cases["id"].to_numpy(), _dates(cases["due_at"]), _dates(cases["closed_at"]),
                        as_of, late)
    if cards.empty:
        return
    cards["issued_at"] = pd.to_datetime(cards["issued_at"]).astype("datetime64[s]")
    db.insert_frame("case_cards", cards[["case_id", "color", "issued_at"]])
    db.execute(f"DELETE FROM {CARD_TOP}")
    db.insert_frame(CARD_TOP, _top(cards))
    db.execute(f"UPDATE cases SET card = t.card FROM {CARD_TOP} t WHERE cases.id = t.case_id")


def _dates(values: pd.Series) -> pd.Series:
    """Timestamps from what the driver returned (SQLite text, PostgreSQL datetime), NaT for NULL."""
    return pd.to_datetime(values, format="ISO8601", errors="coerce").astype("datetime64[s]")


def _same(new: pd.DataFrame, old: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Row-wise: does every compared column hold the same value (NULL equals NULL)?"""
    same = pd.Series(True, index=new.index)
    for col in columns:
        a, b = _norm(new[col], col), _norm(old[col], col)
        same &= (a == b).fillna(False) | (a.isna() & b.isna())
    return same


def _norm(values: pd.Series, col: str) -> pd.Series:
    if col in DATE_FIELDS:
        return _dates(values)
    if col in BOOL_FIELDS:
        return values.map(lambda v: None if v is None or pd.isna(v) else bool(v)).astype(object)
    if col == "repeat_visits":
        return pd.to_numeric(values, errors="coerce")
    return values.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))


def as_of_end(day: date) -> datetime:
    """The instant a data date runs up to: the end of that day."""
    return datetime.combine(day, datetime.min.time()) + timedelta(days=1)
