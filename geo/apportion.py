"""Integer splits that add up exactly (populations, grid counts).

Rounding each share separately drifts; largest remainders keep parent == sum(children).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into ``len(weights)`` integers >= ``minimum``, proportional above the minimum."""
    n = len(weights)
    if n == 0:
        raise ValueError("nothing to apportion to")
    spare = total - n * minimum
    w = np.asarray(weights, dtype=float)
    if spare < 0 or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"cannot split {total} into {n} parts of at least {minimum}")
    share = spare * w / w.sum()
    base = np.floor(share).astype(np.int64)
    order = np.argsort(-(share - base), kind="stable")
    base[order[: spare - int(base.sum())]] += 1
    return [int(v) + minimum for v in base]
