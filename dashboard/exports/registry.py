"""Which charts can be exported: one spec per chart, naming its query, its figure builder and its columns.

Exports call the very same query and builder as the page, so a file always shows what the screen shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import Engine

from dashboard.urlstate import ViewState

DataFn = Callable[[Engine, ViewState], pd.DataFrame]
FigureFn = Callable[[pd.DataFrame, ViewState], go.Figure]
RowsFn = Callable[[Engine, ViewState], tuple[list[str], Iterable[tuple]]]


@dataclass(frozen=True)
class ChartSpec:
    """One exportable chart or table.

    `rows`, when given, streams a large table (header, row iterator) instead of building a DataFrame.
    """

    name: str
    title: str
    page: str
    data: DataFn
    figure: FigureFn | None = None
    columns: dict[str, str] | None = None
    rows: RowsFn | None = None
    count: Callable[[Engine, ViewState], int] | None = None


class Registry:
    """Chart specs by name, in registration order (per app instance)."""

    def __init__(self, specs: Iterable[ChartSpec]) -> None:
        self._specs: dict[str, ChartSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ValueError(f"duplicate chart name {spec.name!r}")
            self._specs[spec.name] = spec

    def get(self, name: str) -> ChartSpec | None:
        return self._specs.get(name)

    def names(self) -> list[str]:
        return list(self._specs)

    def for_page(self, page: str) -> list[ChartSpec]:
        return [s for s in self._specs.values() if s.page == page]

    def pages(self) -> list[str]:
        return sorted({s.page for s in self._specs.values()})
