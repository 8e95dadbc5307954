"""Exact nearest-rank percentiles of stage durations that read one bucket's worth of values, not all of them.

Each `sum_stage_hours` row stores one stage's durations sorted, beside a histogram over fixed buckets that
follow the order of the values (16 per doubling of minutes, so a bucket is about 4 % wide). The histograms
of the rows a question covers add up to the whole distribution's; the rank of a percentile falls in one
bucket of that sum, and only that bucket's slice of each row (its offset and length come from the row's own
histogram) has to be read and partitioned. In the 1M demo a bucket holds at most 2.5 % of a stage's values,
so a city year at 10,000,000 cases reads about 1 MB per percentile instead of every duration (100 MB).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PER_DOUBLING = 16
N_BUCKETS = 512
# EDGES[i] is the lower bound (hours) of bucket i: (2^(i/16) − 1) minutes; bucket 0 also takes anything lower.
EDGES = np.concatenate([[-np.inf], (2.0 ** (np.arange(1, N_BUCKETS) / PER_DOUBLING) - 1) / 60])
VALUE = np.dtype("<f8")
COUNT = np.dtype("<i4")


def bucket_of(hours: np.ndarray) -> np.ndarray:
    """The bucket of each duration (monotone in the value: a larger duration never gets a smaller bucket)."""
    return np.searchsorted(EDGES, hours, side="right") - 1


def pack(hours: np.ndarray) -> tuple[bytes, bytes]:
    """One row's durations of one stage as stored: (the values sorted, its histogram).

    The histogram blob is int32 [first bucket, count of that bucket, of the next, …] up to the last bucket
    used; both blobs are empty when the row has no value for the stage.
    """
    values = np.sort(np.asarray(hours, dtype=np.float64))
    if not len(values):
        return b"", b""
    buckets = bucket_of(values)
    first = int(buckets[0])
    counts = np.bincount(buckets - first)
    return values.astype(VALUE).tobytes(), np.concatenate([[first], counts]).astype(COUNT).tobytes()


@dataclass(frozen=True)
class RowHistogram:
    """A stored histogram: counts[j] values fall in bucket first + j."""

    first: int
    counts: np.ndarray

    @classmethod
    def unpack(cls, blob: bytes | None) -> RowHistogram:
        if not blob:
            return cls(0, np.zeros(0, dtype=np.int64))
        array = np.frombuffer(blob, dtype=COUNT).astype(np.int64)
        return cls(int(array[0]), array[1:])

    def add_to(self, total: np.ndarray) -> None:
        total[self.first:self.first + len(self.counts)] += self.counts

    def slice_of(self, bucket: int) -> tuple[int, int]:
        """(offset, length) in values of the bucket's slice of the sorted row (length 0 when it has none)."""
        j = bucket - self.first
        if j < 0 or j >= len(self.counts):
            return 0, 0
        return int(self.counts[:j].sum()), int(self.counts[j])


def histogram(hours: np.ndarray) -> np.ndarray:
    """The full-length histogram of loose durations (the per-case days around the whole months)."""
    return np.bincount(bucket_of(hours), minlength=N_BUCKETS).astype(np.int64)


@dataclass(frozen=True)
class RankPick:
    """Where the value of 1-based rank `rank` lies: in `bucket`, at 1-based rank `rank_in_bucket` there."""

    rank: int
    bucket: int
    rank_in_bucket: int


def nearest_rank_pick(total: np.ndarray, p: int) -> RankPick | None:
    """The bucket holding the p-th percentile by nearest rank (rank ceil(p·n/100)), None for no values."""
    n = int(total.sum())
    if n == 0:
        return None
    rank = (n * p + 99) // 100
    cumulative = np.cumsum(total)
    bucket = int(np.searchsorted(cumulative, rank, side="left"))
    before = int(cumulative[bucket - 1]) if bucket else 0
    return RankPick(rank, bucket, rank - before)


def value_at(values: np.ndarray, pick: RankPick) -> float:
    """The pick's value among all values of its bucket (in any order)."""
    k = pick.rank_in_bucket - 1
    return float(np.partition(values, k)[k])
