"""The benchmark suite still runs: every callback answers its representative request, every floor's SQL runs.

A smoke test on the small demo (no timing assertions): `make bench` takes far too long for the test suite, and
a callback or floor that breaks would otherwise only show when someone runs it at a million cases.
"""

from __future__ import annotations

import pytest

from bench import callbacks, floors


@pytest.fixture(scope="module")
def bench_app(small_sqlite):
    bench = callbacks.Bench(small_sqlite.url.render_as_string(hide_password=False))
    yield bench
    bench.engine.dispose()


def test_every_callback_answers_on_every_page(bench_app) -> None:
    results = callbacks.run(bench_app, repeats=1, warm=0, floor_repeats=1)
    failed = [(r.page, r.callback, r.view, sorted(r.statuses), r.error) for r in results if not r.ok]
    assert not failed
    server_side = [cb for cb in bench_app.catalog.callbacks if not cb.is_router]
    first_view = next(iter(callbacks.VIEWS))
    # every callback of the app is timed in every view (each on its page; the shell's on the home page) ...
    assert len([r for r in results if r.view == first_view]) == len(server_side)
    # ... every page is routed, and every page has callbacks of its own
    assert len([r for r in results if r.view == "—"]) == len(bench_app.catalog.pages)
    assert all(any(cb.page == path for cb in server_side) for path in bench_app.catalog.pages)
    # the charts that have a case-table equivalent got their floor measured
    with_floor = {r.family for r in results if r.floor_ms is not None}
    assert with_floor == set(floors.FLOOR_OF.values()) - {None}


def test_map_drills_stay_answerable(bench_app) -> None:
    drills = callbacks.run_drills(bench_app, repeats=1)
    assert {d.level for d in drills} == {"city", "county", "township", "village"}
    assert all(d.statuses <= {200, 204} and d.bytes > 0 and d.geojson_bytes > 0 for d in drills)


def test_floor_sql_runs_on_both_backends(small_db) -> None:
    for search in callbacks.VIEWS.values():
        view = callbacks.view_of(small_db, search)
        for family in floors.FAMILIES:
            assert floors.measure(small_db, family, view, repeats=1) >= 0
