"""Synthetic case exports in the platform's Chinese format, for tests, samples and the import benchmark.

Rows are plausible and valid against a given set of grid codes; the same seed gives the same file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from data import vocab

HEADER = ["案件编号", "登记时间", "案件类型", "案件类别", "来源渠道", "所属网格", "经度", "纬度", "办理层级",
          "责任单位", "办理方式", "办理状态", "办理期限", "办结时间", "化解结果", "是否初信初访", "重访次数",
          "积案颜色", "积案来源", "诉求内容"]


def grid_codes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT code FROM areas WHERE level = 'grid' ORDER BY code")).scalars())


def synthetic_cases(grids: Sequence[str], n: int, seed: int = 1, start: int = 0, prefix: str = "IMP") -> pd.DataFrame:
    """n valid rows with Chinese headers and label values, numbered from `start`."""
    rng = np.random.default_rng([seed, start])
    kinds = list(vocab.Kind)
    kind = rng.choice(len(kinds), n, p=[0.58, 0.22, 0.12, 0.08])
    reported = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 340 * 86400, n), unit="s")
    closed_mask = rng.random(n) < 0.85
    closed = reported + pd.to_timedelta(rng.integers(3600, 20 * 86400, n), unit="s")
    levels = list(vocab.HANDLING_LABELS.values())
    level = rng.choice(4, n, p=[0.6, 0.3, 0.08, 0.02])
    category = [vocab.CATEGORIES[kinds[k]][int(r)] for k, r in zip(kind, rng.integers(0, 6, n), strict=True)]
    outcomes = np.where(kind == 0, vocab.OUTCOME_LABELS[vocab.Outcome.SUCCESS], vocab.OUTCOME_LABELS[vocab.Outcome.RESOLVED])
    fmt = "%Y-%m-%d %H:%M:%S"
    return pd.DataFrame({
        "案件编号": [f"{prefix}{seed:02d}{i:09d}" for i in range(start, start + n)],
        "登记时间": reported.strftime(fmt),
        "案件类型": [vocab.KIND_LABELS[kinds[k]] for k in kind],
        "案件类别": category,
        "来源渠道": rng.choice(list(vocab.CHANNEL_LABELS.values()), n),
        "所属网格": rng.choice(np.asarray(grids, dtype=object), n),
        "经度": "", "纬度": "",
        "办理层级": [levels[v] for v in level],
        "责任单位": rng.choice(["村调委会", "司法所", "派出所", "综治中心", "人社局"], n),
        "办理方式": rng.choice(list(vocab.MODE_LABELS.values())[:3], n),
        "办理状态": np.where(closed_mask, "已办结", "办理中"),
        "办理期限": (reported + pd.Timedelta(days=15)).strftime(fmt),
        "办结时间": np.where(closed_mask, closed.strftime(fmt), ""),
        "化解结果": np.where(closed_mask, outcomes, ""),
        "是否初信初访": np.where(rng.random(n) < 0.2, "是", "否"),
        "重访次数": rng.integers(0, 3, n).astype(str),
        "积案颜色": "", "积案来源": "",
        "诉求内容": [f"群众反映{c}问题，请求协调处理。" for c in category],
    }, columns=HEADER)


def chunks(grids: Sequence[str], n: int, seed: int = 1, chunk: int = 100_000, prefix: str = "IMP") -> Iterator[pd.DataFrame]:
    for start in range(0, n, chunk):
        yield synthetic_cases(grids, min(chunk, n - start), seed, start, prefix)


def write_csv(path: Path, grids: Sequence[str], n: int, seed: int = 1, encoding: str = "utf-8-sig",
              prefix: str = "IMP") -> Path:
    """Write n rows to a CSV, streaming in chunks (a million rows never sit in memory at once)."""
    first = True
    for part in chunks(grids, n, seed, prefix=prefix):
        part.to_csv(path, mode="w" if first else "a", header=first, index=False,
                    encoding=encoding if first else encoding.replace("-sig", ""))
        first = False
    return path
