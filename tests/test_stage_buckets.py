"""The bucketed percentile pick is exact: rows' histograms plus one bucket's values give the same nearest-rank
value as sorting every duration; the stored arrays are sorted slices the histograms address; PostgreSQL keeps
the arrays uncompressed so that a slice reads only its chunks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from data.models_summary import STAGE_COLUMNS
from data.summaries import stage_buckets as sb


def _nearest(values: np.ndarray, p: int) -> float:
    """Reference: sort everything, take 1-based rank ceil(p·n/100)."""
    ordered = np.sort(values)
    return float(ordered[-(-p * len(ordered) // 100) - 1])


def _pick_from_rows(rows: list[np.ndarray], loose: np.ndarray, p: int) -> float:
    """What the query does: stored rows (packed) and loose values, summed histograms, one bucket read."""
    stored = [sb.pack(r) for r in rows]
    total = sb.histogram(loose)
    hists = [sb.RowHistogram.unpack(h) for _v, h in stored]
    for hist in hists:
        hist.add_to(total)
    pick = sb.nearest_rank_pick(total, p)
    assert pick is not None
    parts = [loose[sb.bucket_of(loose) == pick.bucket]]
    for (blob, _h), hist in zip(stored, hists, strict=True):
        offset, length = hist.slice_of(pick.bucket)
        start = offset * sb.VALUE.itemsize
        parts.append(np.frombuffer(blob[start:start + length * sb.VALUE.itemsize], dtype=sb.VALUE))
    return sb.value_at(np.concatenate(parts), pick)


@pytest.mark.parametrize("seed", range(8))
def test_the_bucketed_pick_equals_sorting_everything(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_rows = int(rng.integers(1, 30))
    rows = [rng.lognormal(mean=rng.uniform(-1, 6), sigma=rng.uniform(0.2, 2.0), size=int(rng.integers(0, 400)))
            for _ in range(n_rows)]
    rows[0] = np.concatenate([rows[0], [0.0, 0.0, -0.5, 1e9]])  # zero, negative (clock skew) and huge durations
    rows.append(np.round(rng.uniform(0, 5, 300), 1))  # many ties
    loose = rng.exponential(20, int(rng.integers(0, 50)))
    everything = np.concatenate([*rows, loose])
    for p in (1, 50, 90, 99, 100):
        assert _pick_from_rows(rows, loose, p) == _nearest(everything, p), p


def test_an_empty_stage_has_no_pick_and_empty_blobs() -> None:
    assert sb.pack(np.zeros(0)) == (b"", b"")
    assert sb.RowHistogram.unpack(b"").slice_of(3) == (0, 0)
    assert sb.nearest_rank_pick(np.zeros(sb.N_BUCKETS, dtype=np.int64), 50) is None


def test_a_row_is_stored_sorted_and_its_histogram_addresses_each_bucket() -> None:
    values = np.array([5.0, 0.01, 300.0, 5.0, 0.5, 48.0, 5.01])
    blob, hist_blob = sb.pack(values)
    stored = np.frombuffer(blob, dtype=sb.VALUE)
    assert stored.tolist() == sorted(values.tolist())
    hist = sb.RowHistogram.unpack(hist_blob)
    assert hist.counts.sum() == len(values) and hist.counts[0] > 0 and hist.counts[-1] > 0
    for bucket in set(sb.bucket_of(values).tolist()):
        offset, length = hist.slice_of(bucket)
        assert (sb.bucket_of(stored[offset:offset + length]) == bucket).all()
        assert length == (sb.bucket_of(values) == bucket).sum()


def test_buckets_follow_the_order_of_values_and_stay_narrow() -> None:
    grid = np.concatenate([[-1.0, 0.0], np.geomspace(1e-4, 1e6, 20_000)])
    buckets = sb.bucket_of(grid)
    assert (np.diff(buckets) >= 0).all() and buckets.min() == 0 and buckets.max() < sb.N_BUCKETS
    inner = sb.EDGES[1:]
    assert np.allclose((inner[1:] + 1 / 60) / (inner[:-1] + 1 / 60), 2 ** (1 / sb.PER_DOUBLING))


@pytest.mark.postgres
def test_postgresql_stores_the_duration_arrays_uncompressed(small_pg) -> None:
    with small_pg.connect() as conn:
        storage = dict(conn.execute(text(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'sum_stage_hours'::regclass "
            "AND attnum > 0")).all())
    assert {storage[c] for c in STAGE_COLUMNS} == {"e"}
    assert {storage[f"{c}_hist"] for c in STAGE_COLUMNS} == {"x"}


@pytest.mark.parametrize("node", [None, "channel:hotline_12345", "kind:petition"])
def test_whole_months_from_the_buckets_equal_the_event_path(small_db, monkeypatch, node) -> None:
    """A city year and a county quarter (whole months only, so every value comes from stored slices) read
    from the buckets give exactly what the per-case event path gives, on both backends."""
    from datetime import date

    from data.filters import Period, city, find_area
    from data.queries import flow

    nodes = None if node is None else flow.NodeFilter(flow.NodeFamily(node.split(":")[0]), node.split(":")[1])
    views = [(city(small_db), Period(date(2023, 1, 1), date(2023, 12, 31))),
             (find_area(small_db, "321322"), Period(date(2023, 4, 1), date(2023, 6, 30)))]
    for area, period in views:
        assert flow.uses_summaries(small_db, area)
        fast = flow.stage_times(small_db, area, period, (), nodes)
        with monkeypatch.context() as m:
            m.setattr(flow, "uses_summaries", lambda *_a: False)
            slow = flow.stage_times(small_db, area, period, (), nodes)
        assert fast["cases"].sum() > 0
        pd.testing.assert_frame_equal(fast, slow)
