"""What a query is asked for: an area of the hierarchy and a period of days.

Both are small immutable values built and validated once (from the CLI, a URL or a session) so that query
functions never see raw user input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Engine, Table, bindparam, case, select, true

from data.models import Area
from data.vocab import RESOLVED_OUTCOMES, Kind, Level
from geo.codes import full_code, short_code

__all__ = ["AreaRef", "Period", "city", "find_area", "full_code", "kind_clause", "parse_date", "short_code"]

LEVEL_COLUMN = {
    Level.COUNTY: "county_code",
    Level.TOWNSHIP: "township_code",
    Level.VILLAGE: "village_code",
    Level.GRID: "grid_code",
}


@dataclass(frozen=True)
class AreaRef:
    """A node of the hierarchy: its full code, level and name."""

    code: str
    level: Level
    name: str

    def contains(self, code: str) -> bool:
        """Whether the area with this full code lies in this area's subtree (codes are hierarchical)."""
        if self.level == Level.CITY:
            return code[:4] == self.code[:4]
        prefix = {Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12, Level.GRID: 15}[self.level]
        return len(code) >= prefix and code[:prefix] == self.code[:prefix]

    def clause(self, table: Table, column_map: dict[Level, str] | None = None) -> ColumnElement[bool]:
        """SQL condition selecting the rows of `table` inside this area's subtree."""
        if self.level == Level.CITY:
            return true()
        col = (column_map or LEVEL_COLUMN)[self.level]
        return table.c[col] == self.code


@dataclass(frozen=True)
class Period:
    """An inclusive range of days."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"开始日期 {self.start} 晚于结束日期 {self.end}")

    @property
    def lo(self) -> datetime:
        return datetime.combine(self.start, time.min)

    @property
    def hi(self) -> datetime:
        """Exclusive upper bound: the start of the day after `end`."""
        return datetime.combine(self.end + timedelta(days=1), time.min)

    def year_before(self) -> Period:
        """The same dates one year earlier (29 February falls back to 28)."""
        return Period(_minus_year(self.start), _minus_year(self.end))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def kind_clause(table: Table, kinds: tuple[str, ...] | list[str]) -> ColumnElement[bool]:
    """SQL condition for the chosen case kinds; no kinds chosen means every kind."""
    return table.c.kind.in_([str(k) for k in kinds]) if kinds else true()


def repeat_petition(table: Table) -> ColumnElement[int]:
    """1 for a repeat petition (重复信访: a petition with at least one repeat visit), else 0: the one definition
    the summaries, the village edges and the safety index's case scan count."""
    return case(((table.c.kind == str(Kind.PETITION)) & (table.c.repeat_visits >= 1), 1), else_=0)


def difficult_resolved(table: Table) -> ColumnElement[bool]:
    """A difficult case (会办 or 提级) that ended 调解成功 or 办结化解 (疑难化解, counted on its closing day): the one
    definition the daily summary and the case scan count."""
    return table.c.is_difficult.is_(True) & table.c.outcome.in_([str(o) for o in RESOLVED_OUTCOMES])


def parse_date(text: str) -> date:
    """Parse YYYY-MM-DD strictly, with a Chinese error message."""
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError as exc:
        raise ValueError(f"日期格式错误: {text!r}（应为 YYYY-MM-DD）") from exc


# Built once: most requests look an area up (their view's), and building the statement costs more than running it.
_AREA_BY_CODE = select(Area.code, Area.level, Area.name).where(Area.code == bindparam("code"))


def find_area(engine: Engine, code: str) -> AreaRef | None:
    """Look an area up by any accepted code form; None when it does not exist or the code is malformed."""
    try:
        full = full_code(str(code).strip())
    except ValueError:
        return None
    with engine.connect() as conn:
        row = conn.execute(_AREA_BY_CODE, {"code": full}).first()
    return AreaRef(row.code, Level(row.level), row.name) if row else None


def city(engine: Engine) -> AreaRef:
    """The root of the hierarchy."""
    with engine.connect() as conn:
        row = conn.execute(select(Area.code, Area.name).where(Area.level == Level.CITY)).first()
    if row is None:
        raise LookupError("数据库中没有区域数据：请先运行 `python -m dashboard demo` 或导入区域")
    return AreaRef(row.code, Level.CITY, row.name)
