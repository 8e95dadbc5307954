"""One page of a short, already fetched list (at most a few hundred rows), sorted by the table's request.

Why: the governance pages' lists (the backlog cases, the supervised cases) are fetched and cached whole, but
a table shows 10 rows of them; paging on the server sends one page on each refresh instead of the whole list
(58 KB for 200 backlog cases). A sort orders the whole list by the values behind a column, not the words shown.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

SortKeys = Mapping[str, tuple[str, ...]]  # table column → the frame columns it sorts by, in order
MAX_SORTS = 3


@dataclass(frozen=True)
class ListPage:
    """One page of a list: its rows, the page shown (clamped to the pages there are) and how many pages."""

    rows: pd.DataFrame
    page: int
    pages: int


def list_page(frame: pd.DataFrame, page: int, size: int, sort: tuple[tuple[str, bool], ...], keys: SortKeys,
              with_keys: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> ListPage:
    """Page `page` of `size` rows of `frame` sorted by `sort` ((table column, descending) pairs, whitelisted on
    `keys` by `parse_sort`; none keeps the frame's own order). `with_keys` adds the derived columns `keys`
    name (ranks of words); ties keep the frame's order (a stable sort), missing values sort first."""
    pages = max(-(-len(frame) // size), 1)
    page = min(max(page, 0), pages - 1)
    if sort and len(frame):
        sortable = with_keys(frame) if with_keys else frame
        by = [k for column, _ in sort for k in keys[column]]
        ascending = [not descending for column, descending in sort for _ in keys[column]]
        frame = frame.loc[sortable.sort_values(by=by, ascending=ascending, kind="stable", na_position="first").index]
    return ListPage(frame.iloc[page * size:(page + 1) * size].reset_index(drop=True), page, pages)


def parse_sort(sort_by: Any, columns: Collection[str],
               default: tuple[tuple[str, bool], ...] = ()) -> tuple[tuple[str, bool], ...]:
    """DataTable `sort_by` (from the browser, so anything) → at most MAX_SORTS (column, descending) pairs on the
    whitelisted `columns`; `default` when none is valid. Every server-sorted table parses its sort here."""
    keys: list[tuple[str, bool]] = []
    for item in sort_by if isinstance(sort_by, list) else []:
        if not isinstance(item, Mapping):
            continue
        column, direction = item.get("column_id"), item.get("direction")
        if not isinstance(column, str) or not isinstance(direction, str):
            continue  # forged JSON (lists, numbers) is not a sort key
        if column in columns and direction in ("asc", "desc") and column not in [k for k, _ in keys]:
            keys.append((column, direction == "desc"))
    return tuple(keys[:MAX_SORTS]) or default
