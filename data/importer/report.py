"""The import report (counts that add up) and the rejects file written next to it.

received = inserted + updated + unchanged + rejected, always: every row read ends in exactly one bucket.
The rejects file (CSV, UTF-8 with BOM so that Excel opens it in Chinese) has one line per problem with the
row number, field, value, reason and the whole raw row, so a clerk can fix and re-import just those rows.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[2]
REJECT_COLUMNS = ("行号", "字段", "取值", "原因", "原始行")
PROBLEM_COLUMNS = ["row_no", "field", "value", "reason", "raw"]
JSON_KEYS = ("received", "inserted", "updated", "unchanged", "rejected", "import_id", "rejects_file")


@dataclass
class Counts:
    """Rows per outcome; `received` is derived so the identity cannot break."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @property
    def received(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.rejected


@dataclass
class ImportReport:
    """What one import did (or, for a dry run, would do)."""

    import_id: int
    kind: str
    file_name: str
    counts: Counts
    rejects_file: str | None
    dry_run: bool
    status: str = "done"
    message: str | None = None

    def as_json(self) -> dict[str, int | str | None]:
        """Exactly the documented keys, for `--json` and the admin page's poll."""
        c = self.counts
        return {"received": c.received, "inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged,
                "rejected": c.rejected, "import_id": self.import_id, "rejects_file": self.rejects_file}

    def lines(self) -> list[str]:
        """The report in plain Chinese, for the terminal."""
        c = self.counts
        head = f"导入 #{self.import_id}（{self.kind}，{self.file_name}）" + ("【试运行，未写入】" if self.dry_run else "")
        out = [head, f"收到 {c.received:,} 行 = 新增 {c.inserted:,} + 更新 {c.updated:,} + 未变 {c.unchanged:,}"
               f" + 拒收 {c.rejected:,}"]
        if self.rejects_file:
            out.append(f"拒收明细: {self.rejects_file}")
        if self.message:
            out.append(self.message)
        return out


def import_dir() -> Path:
    """Where reports, rejects files and uploads live: IMPORT_DIR, default instance/imports."""
    return Path(os.environ.get("IMPORT_DIR") or REPO_ROOT / "instance" / "imports")


def run_dir(import_id: int) -> Path:
    path = import_dir() / f"import-{import_id:06d}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def empty_problems() -> pd.DataFrame:
    return pd.DataFrame(columns=PROBLEM_COLUMNS)


class RejectsWriter:
    """Appends problems to the rejects CSV, opening it only when the first problem arrives."""

    def __init__(self, import_id: int) -> None:
        self.import_id = import_id
        self.path: Path | None = None
        self._fh: TextIO | None = None
        self._writer = None

    def write(self, problems: pd.DataFrame) -> None:
        if problems.empty:
            return
        if self._writer is None:
            self.path = run_dir(self.import_id) / "rejects.csv"
            self._fh = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._fh)
            self._writer.writerow(REJECT_COLUMNS)
        self._writer.writerows(problems[PROBLEM_COLUMNS].itertuples(index=False, name=None))

    def close(self) -> str | None:
        if self._fh is not None:
            self._fh.close()
        return str(self.path) if self.path else None


def write_report(report: ImportReport) -> Path:
    """The report as JSON in the run's folder, beside its rejects file."""
    path = run_dir(report.import_id) / "report.json"
    data = {**asdict(report), "counts": {**asdict(report.counts), "received": report.counts.received}}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
