"""The view state carried in the URL (`?area=321322&from=2023-01-01&to=2023-09-14&kind=dispute`).

A link reproduces a view and a reload keeps it. Bad values never raise: they fall back to a valid view and
say so in `notices`, which the shell shows to the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlencode

from sqlalchemy import Engine

from dashboard.periods import DEFAULT_PICK, quick_period
from data.filters import AreaRef, Period, city, find_area, parse_date, short_code
from data.vocab import Kind

MAX_PARAM = 64  # longer values are garbage or an attack; ignore them


@dataclass(frozen=True)
class ViewState:
    area: AreaRef
    period: Period
    kinds: tuple[Kind, ...]
    notices: tuple[str, ...] = ()

    def query(self) -> str:
        """The query string that reproduces this view."""
        params = [("area", short_code(self.area.code)), ("from", self.period.start.isoformat()),
                  ("to", self.period.end.isoformat())]
        params += [("kind", str(k)) for k in self.kinds]
        return "?" + urlencode(params)


def with_params(search: str | None, **updates: str | list[str] | None) -> str:
    """The query string with some parameters replaced (None removes one); other parameters are kept."""
    params = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    for key, value in updates.items():
        if value is None or value == []:
            params.pop(key, None)
        else:
            params[key] = value if isinstance(value, list) else [value]
    return "?" + urlencode([(k, v) for k, values in params.items() for v in values])


def _first(params: dict[str, list[str]], key: str) -> str | None:
    values = params.get(key) or []
    return values[0][:MAX_PARAM] if values else None


def parse_view(search: object, engine: Engine, today: date, scope: AreaRef | None = None) -> ViewState:
    """Parse a URL query string into a valid ViewState, falling back (with a notice) on anything bad.

    `scope` is the root the user may see (from the server-side session, never from the browser): an area
    outside it is clamped to it. Anything that is not a string (a forged list, dict, number) counts as empty.
    """
    text = search if isinstance(search, str) else ""
    params = parse_qs(text[:2000].lstrip("?"), keep_blank_values=True)
    notices: list[str] = []

    root = scope or city(engine)
    area = root
    raw_area = _first(params, "area")
    if raw_area:
        found = find_area(engine, raw_area)
        if found is None:
            notices.append(f"未知区域编码 {raw_area}，已显示{root.name}")
        elif not root.contains(found.code):
            notices.append(f"无权查看该区域，已显示{root.name}")
        else:
            area = found

    period = quick_period(DEFAULT_PICK, today)
    raw_from, raw_to = _first(params, "from"), _first(params, "to")
    if raw_from or raw_to:
        try:
            start = parse_date(raw_from) if raw_from else period.start
            end = parse_date(raw_to) if raw_to else period.end
            period = Period(start, end)
        except ValueError as exc:
            notices.append(f"{exc}，已显示默认时段")

    kinds: list[Kind] = []
    for raw in params.get("kind", []):
        try:
            kind = Kind(raw[:MAX_PARAM])
        except ValueError:
            notices.append(f"未知案件类型 {raw[:MAX_PARAM]}，已忽略")
            continue
        if kind not in kinds:
            kinds.append(kind)
    return ViewState(area, period, tuple(kinds), tuple(notices))
