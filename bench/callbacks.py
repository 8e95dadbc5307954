"""Server time and bytes of every Dash callback with representative inputs, beside the raw-SQL floor.

Runs in-process through Flask's test client (server time without the network), logged in as the leader. For
each page (every path of dashboard.app.PAGES) and each representative view, every server-side callback of the
page and of the shell is sent the request the browser sends when the page loads (inputs from the page's real
layout; see bench.dashapi). Cold: the query cache's namespace changes before each timed repeat, so every
query runs; warm: the same request again with the cache kept. The floor is the family's plain GROUP BY over
`cases` (bench.floors) for the same view. Map drills: the map callbacks and the geometry they make the browser
fetch at each level city → county → township → village.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs

from sqlalchemy import Engine, text

from bench import floors
from bench.dashapi import UPDATE, Callback, Catalog, build_catalog, flask_transport, login_flask, payload
from dashboard.app import create_app
from dashboard.config import Config
from data.filters import AreaRef, Period, find_area, short_code

VIEWS = {
    "city/year": "?area=321300&from=2023-01-01&to=2023-12-31",
    "county/year": "?area=321322&from=2023-01-01&to=2023-12-31",
    "township/quarter": "?area=321322101&from=2023-10-01&to=2023-12-31",
    "city/month/disputes": "?area=321300&from=2023-12-01&to=2023-12-31&kind=dispute",
}
DRILL_PERIOD = ("2023-01-01", "2023-12-31")
MAP_OUTPUTS = ("map-graph", "screen-map", "safety-map")
TARGET_P95_MS = 150.0
TARGET_RATIO = 1.5
MEANINGFUL_FLOOR_MS = 10.0
TARGET_DRILL_BYTES = 300 * 1024
OK_STATUS = (200, 204)


@dataclass
class Result:
    page: str
    callback: str
    view: str
    statuses: set[int]
    p50_ms: float
    p95_ms: float
    warm_p50_ms: float | None
    bytes: int
    interaction: bool = False
    family: str | None = None
    floor_ms: float | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.statuses <= set(OK_STATUS)

    @property
    def ratio(self) -> float | None:
        return self.p95_ms / self.floor_ms if self.floor_ms else None

    @property
    def flags(self) -> list[str]:
        out = [] if self.ok else [f"HTTP {','.join(str(s) for s in sorted(self.statuses))}"]
        if self.p95_ms > TARGET_P95_MS:
            out.append(f"p95>{TARGET_P95_MS:.0f}ms")
        if self.ratio is not None and self.ratio > TARGET_RATIO:
            out.append(f">{TARGET_RATIO}×floor")
        return out


@dataclass
class Drill:
    callback: str
    level: str
    area: str
    p95_ms: float
    bytes: int
    geojson_bytes: int
    page_bytes: int  # every callback the page fires for this view, the map's included
    statuses: set[int] = field(default_factory=set)

    @property
    def total(self) -> int:
        return self.bytes + self.geojson_bytes


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile (with few samples: the largest)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, -(-95 * len(ordered) // 100) - 1))]


class Bench:
    """One app on the database, logged in as the leader, with its catalog of pages and callbacks."""

    def __init__(self, database_url: str, user: str = "leader") -> None:
        self.app = create_app(Config(database_url=database_url, secret_key="bench-" + "x" * 26))
        self.client = self.app.server.test_client()
        login_flask(self.client, user)
        self.transport = flask_transport(self.client)
        self.cache = self.app.server.extensions["command_center"].cache
        self.engine: Engine = self.app.server.extensions["command_center"].engine
        self.catalog: Catalog = build_catalog(self.transport)

    def call(self, cb: Callback, path: str, search: str) -> tuple[int, bytes]:
        body = payload(cb, self.catalog.components(path), path, search, self.catalog.data_version)
        return self.transport.post(UPDATE, body)

    def cold(self) -> None:
        self.cache.namespace = f"bench{time.perf_counter_ns()}"

    def time(self, cb: Callback, path: str, search: str, repeats: int, warm: int) -> Result:
        samples, statuses, size, error = [], set(), 0, ""
        for _ in range(repeats):
            self.cold()
            t = time.perf_counter()
            status, body = self.call(cb, path, search)
            samples.append((time.perf_counter() - t) * 1000)
            statuses.add(status)
            size = len(body)
            if status not in OK_STATUS and not error:
                error = body[:300].decode("utf-8", "replace")
        warm_samples = []
        for _ in range(warm):
            t = time.perf_counter()
            status, _body = self.call(cb, path, search)
            warm_samples.append((time.perf_counter() - t) * 1000)
            statuses.add(status)
        return Result(path, cb.label, "", statuses, statistics.median(samples), p95(samples),
                      statistics.median(warm_samples) if warm_samples else None, size, cb.interaction,
                      floors.family_of(cb.output_ids), error=error)


def view_of(engine: Engine, search: str) -> floors.View:
    params = parse_qs(search.lstrip("?"))
    area = find_area(engine, params["area"][0])
    if area is None:
        raise LookupError(f"no area {params['area'][0]} in the database")
    period = Period(date.fromisoformat(params["from"][0]), date.fromisoformat(params["to"][0]))
    return floors.View(engine.dialect.name, area, period, tuple(params.get("kind", [])))


def run(bench: Bench, views: dict[str, str] = VIEWS, repeats: int = 20, warm: int = 3, floor_repeats: int = 3,
        paths: list[str] | None = None, progress: Callable[[str], None] | None = None) -> list[Result]:
    """Every callback of every page for every view (cold repeats, then warm ones), with its family's floor.

    Rows come page by page: the router's render of the page, then each of its callbacks in each view; the
    shell's callbacks (every page fires them) last, timed on the home page.
    """
    results: list[Result] = []
    floor_ms: dict[tuple[str, str], float] = {}

    def one(cb: Callback, path: str, page: str, view: str, search: str) -> None:
        r = bench.time(cb, path, search, repeats, warm)
        r.page, r.view = page, view
        if r.family and not cb.interaction:
            key = (r.family, view)
            if key not in floor_ms:
                floor_ms[key] = floors.measure(bench.engine, r.family, view_of(bench.engine, search), floor_repeats)
            r.floor_ms = floor_ms[key]
        else:
            r.family = None
        results.append(r)

    router = bench.catalog.router()
    for path in paths or list(bench.catalog.pages):
        t = time.perf_counter()
        r = bench.time(router, path, "", repeats, warm)
        r.callback, r.view = "(route: the page's layout)", "—"
        results.append(r)
        for cb in (c for c in bench.catalog.callbacks if c.page == path):
            for view, search in views.items():
                one(cb, path, path, view, search)
        if progress:
            progress(f"  (timed {path} in {time.perf_counter() - t:.0f} s)")
    for cb in (c for c in bench.catalog.callbacks if c.page is None and not c.is_router):
        for view, search in views.items():
            one(cb, "/", "(shell, on every page)", view, search)
    return results


def drill_chain(engine: Engine, county: str = "321322") -> list[tuple[str, AreaRef]]:
    """city → a county → its busiest township → that township's busiest village (by cases in the table)."""
    city = find_area(engine, "321300")
    chain = [("city", city), ("county", find_area(engine, county))]
    with engine.connect() as conn:
        town = conn.execute(text("SELECT township_code FROM cases WHERE county_code = :c GROUP BY township_code "
                                 "ORDER BY COUNT(*) DESC, township_code LIMIT 1"), {"c": chain[1][1].code}).scalar()
        village = conn.execute(text("SELECT village_code FROM cases WHERE township_code = :t GROUP BY village_code "
                                    "ORDER BY COUNT(*) DESC, village_code LIMIT 1"), {"t": town}).scalar()
    chain += [("township", find_area(engine, town)), ("village", find_area(engine, village))]
    return chain


def run_drills(bench: Bench, repeats: int = 3) -> list[Drill]:
    """Each map callback at each level of the drill chain: server time, bytes, the geometry it makes the browser
    fetch, and the bytes of everything its page fires for that view."""
    drills = []
    maps = [cb for cb in bench.catalog.callbacks if cb.page and any(o in MAP_OUTPUTS for o in cb.output_ids)]
    for level, area in drill_chain(bench.engine):
        search = f"?area={short_code(area.code)}&from={DRILL_PERIOD[0]}&to={DRILL_PERIOD[1]}"
        geo_status, geo = bench.transport.get(f"/geo/{short_code(area.code)}.geojson")
        for cb in maps:
            r = bench.time(cb, cb.page, search, repeats, 0)
            page_bytes = 0
            for other in bench.catalog.page_callbacks(cb.page, initial_only=True):
                page_bytes += len(bench.call(other, cb.page, search)[1])
            drills.append(Drill(f"{cb.page} {cb.label}", level, f"{area.name} {short_code(area.code)}", r.p95_ms,
                                r.bytes, len(geo) if geo_status == 200 else 0, page_bytes, r.statuses | {geo_status}))
    return drills


def _ms(value: float | None, width: int = 7) -> str:
    return f"{value:{width}.1f}" if value is not None else f"{'—':>{width}}"


def print_results(results: list[Result], out: Callable[[str], None] = print) -> None:
    out(f"{'callback':38} {'view':20} {'p50 ms':>7} {'p95 ms':>7} {'warm50':>7} {'bytes':>8}  "
        f"{'floor family':18} {'floor ms':>8} {'p95/fl':>6}  flags")
    page = None
    for r in results:
        if r.page != page:
            page = r.page
            out(f"-- {page}")
        name = r.callback + (" (click)" if r.interaction else "")
        ratio = f"{r.ratio:6.2f}" if r.ratio is not None else f"{'—':>6}"
        out(f"{name[:38]:38} {r.view[:20]:20} {r.p50_ms:7.1f} {r.p95_ms:7.1f} {_ms(r.warm_p50_ms)} {r.bytes:8d}  "
            f"{(r.family or '—'):18} {_ms(r.floor_ms, 8)} {ratio}  {' '.join(r.flags)}")
    for r in results:
        if r.error:
            out(f"error in {r.page} {r.callback} [{r.view}]: {r.error}")


def print_summary(results: list[Result], out: Callable[[str], None] = print) -> None:
    timed = [r for r in results if not r.interaction]
    slow = [r for r in timed if r.p95_ms > TARGET_P95_MS]
    over = [r for r in timed if r.ratio is not None and r.ratio > TARGET_RATIO]
    # Below ~10 ms a floor is an index lookup; the fixed cost of a Dash request (session, JSON, figure) dominates.
    real = [r for r in over if r.floor_ms >= MEANINGFUL_FLOOR_MS]
    bad = [r for r in results if not r.ok]
    out(f"summary: {len(results)} rows ({len(timed)} fired on page load); p95 > {TARGET_P95_MS:.0f} ms: {len(slow)}; "
        f"p95 > {TARGET_RATIO}× floor: {len(over)} ({len(real)} of them with a floor ≥ {MEANINGFUL_FLOOR_MS:.0f} ms); "
        f"errors: {len(bad)}")
    if timed:
        out("  slowest p95: " + "; ".join(f"{r.page} {r.callback} [{r.view}] {r.p95_ms:.0f} ms"
                                          for r in sorted(timed, key=lambda r: -r.p95_ms)[:10]))
    if real:
        out(f"  worst p95/floor (floor ≥ {MEANINGFUL_FLOOR_MS:.0f} ms): " + "; ".join(
            f"{r.page} {r.callback} [{r.view}] {r.ratio:.1f}× ({r.p95_ms:.0f} vs {r.floor_ms:.1f} ms)"
            for r in sorted(real, key=lambda r: -(r.ratio or 0))[:10]))
    for r in bad:
        out(f"  error: {r.page} {r.callback} [{r.view}] HTTP {sorted(r.statuses)}")


def print_floors(out: Callable[[str], None] = print) -> None:
    out("floor families (plain SQL over `cases`):")
    for name, (what, _b) in floors.FAMILIES.items():
        out(f"  {name:18} {what}")


def print_drills(drills: list[Drill], out: Callable[[str], None] = print) -> None:
    out(f"{'map callback':40} {'level':9} {'area':22} {'p95 ms':>7} {'bytes':>9} {'geojson':>9} {'total':>9} "
        f"{'page':>9}  flags")
    for d in drills:
        flags = []
        if d.total > TARGET_DRILL_BYTES:
            flags.append(f">{TARGET_DRILL_BYTES // 1024}KB")
        if not d.statuses <= set(OK_STATUS):
            flags.append(f"HTTP {sorted(d.statuses)}")
        out(f"{d.callback[:40]:40} {d.level:9} {d.area[:22]:22} {d.p95_ms:7.1f} {d.bytes:9d} {d.geojson_bytes:9d} "
            f"{d.total:9d} {d.page_bytes:9d}  {' '.join(flags)}")
    out(f"  (total = the callback's response + the geometry the browser fetches once per area; "
        f"page = every callback the page fires; target: a drill ≤ {TARGET_DRILL_BYTES // 1024} KB)")


def report(database_url: str, repeats: int = 20, warm: int = 3, floor_repeats: int = 3,
           views: dict[str, str] = VIEWS, out: Callable[[str], None] = print,
           paths: list[str] | None = None) -> list[Result]:
    t = time.perf_counter()
    bench = Bench(database_url)
    out(f"callbacks: {len(bench.catalog.callbacks)} server-side, {len(bench.catalog.pages)} pages, "
        f"{len(views)} views; {repeats} cold repeats (cache namespace changed before each), {warm} warm; "
        f"floors: median of {floor_repeats}")
    results = run(bench, views, repeats, warm, floor_repeats, paths=paths,
                  progress=lambda line: print(line, file=sys.stderr, flush=True))
    print_results(results, out)
    out("")
    print_floors(out)
    out("")
    out("map drills (2023, cold):")
    print_drills(run_drills(bench), out)
    out("")
    print_summary(results, out)
    out(f"callbacks benchmark took {time.perf_counter() - t:.0f} s")
    bench.engine.dispose()
    return results
