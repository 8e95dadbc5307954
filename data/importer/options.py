"""Options of one import, shared by the CLI and the admin upload page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from data.cards import DEFAULT_RULE, CardRule
from data.importer.reading import CHUNK_ROWS


def _quiet(_line: str) -> None:
    """Default progress sink: the import log row already records progress."""


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file and who is importing it; `coords` None means the mapping's choice, else WGS84."""

    mapping: Path | None = None
    sheet: str | None = None
    dry_run: bool = False
    encoding: str | None = None
    coords: str | None = None
    actor: str = "cli"
    address: str | None = None
    display_name: str | None = None
    rule: CardRule = DEFAULT_RULE
    chunk_rows: int = CHUNK_ROWS
    log: Callable[[str], None] = field(default=_quiet)
