"""Server time and bytes of every Dash callback with representative inputs, beside the raw-SQL floor.

Runs in-process through Flask's test client (server time without the network), logged in as the leader.
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass

from sqlalchemy import text

from dashboard.app import create_app
from dashboard.config import Config

PASSWORD = "suqian-demo-2023"
VIEWS = {
    "city/year": "?area=321300&from=2023-01-01&to=2023-12-31",
    "county/year": "?area=321322&from=2023-01-01&to=2023-12-31",
    "township/quarter": "?area=321322101&from=2023-10-01&to=2023-12-31",
    "city/month/disputes": "?area=321300&from=2023-12-01&to=2023-12-31&kind=dispute",
}
PATHS = ("/", "/map", "/flow", "/resolution", "/overdue", "/screen")


@dataclass
class Result:
    callback: str
    view: str
    p50_ms: float
    p95_ms: float
    bytes: int


def _split_output(output: str) -> list[tuple[str, str]]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [(p.rsplit(".", 1)[0], p.rsplit(".", 1)[1].split("@")[0]) for p in parts]


def _payload(dep: dict, search: str, path: str) -> dict:
    import json

    def concrete(ident: str):
        if not ident.startswith("{"):
            return ident, False
        parsed = json.loads(ident)
        wild = any(isinstance(v, list) for v in parsed.values())
        return {k: (0 if isinstance(v, list) else v) for k, v in parsed.items()}, wild

    def value(prop: str):
        return {"search": search, "pathname": path, "n_intervals": 1, "data": "bench", "href": search}.get(prop)

    def entry(item: dict):
        ident, wild = concrete(item["id"])
        e = {"id": ident, "property": item["property"], "value": value(item["property"])}
        return [e] if wild else e

    outs = [{"id": concrete(i)[0], "property": p} for i, p in _split_output(dep["output"])]
    return {"output": dep["output"], "outputs": outs if dep["output"].startswith("..") else outs[0],
            "inputs": [entry(i) for i in dep["inputs"]], "state": [entry(s) for s in dep.get("state", [])],
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]]}


def login(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "leader", "password": PASSWORD, "csrf": csrf})


def raw_floor_ms(engine, search: str, repeats: int = 5) -> float:
    """The plain GROUP BY over the case table for the view's headline question (intake by child and kind)."""
    params = dict(p.split("=") for p in search.lstrip("?").split("&"))
    code = params["area"]
    child = {6: "township_code", 9: "village_code"}.get(len(code), "county_code") if code != "321300" else "county_code"
    where = "" if code == "321300" else f"AND {('county_code' if len(code) == 6 else 'township_code')} = :c"
    sql = text(f"SELECT {child}, kind, COUNT(*) FROM cases WHERE reported_at >= :lo AND reported_at < :hi {where} "
               f"GROUP BY {child}, kind")
    args = {"lo": params["from"], "hi": params["to"] + " 23:59:59", "c": code.ljust(12, "0")}
    times = []
    with engine.connect() as conn:
        for _ in range(repeats):
            t = time.perf_counter()
            conn.execute(sql, args).all()
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def run(database_url: str, repeats: int = 7, cold: bool = True) -> list[Result]:
    """Time every callback for every representative view; `cold` disables the query cache between repeats."""
    app = create_app(Config(database_url=database_url, secret_key="bench-" + "x" * 26))
    client = app.server.test_client()
    login(client)
    deps = [d for d in client.get("/_dash-dependencies").get_json() if not d.get("clientside_function")]
    results: list[Result] = []
    cache = app.server.extensions["command_center"].cache
    for view, search in VIEWS.items():
        for dep in deps:
            path = next((p for p in PATHS if p.strip("/") and p.strip("/") in dep["output"]), "/")
            samples, size = [], 0
            for _ in range(repeats):
                if cold:
                    cache.namespace = f"bench{time.perf_counter_ns()}"
                t = time.perf_counter()
                response = client.post("/_dash-update-component", json=_payload(dep, search, path))
                samples.append((time.perf_counter() - t) * 1000)
                size = len(response.data)
            samples.sort()
            results.append(Result(dep["output"][:60], view, statistics.median(samples),
                                  samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))], size))
    return results


def report(database_url: str) -> None:
    from data.db import make_engine

    engine = make_engine(database_url)
    floors = {view: raw_floor_ms(engine, search) for view, search in VIEWS.items()}
    print(f"{'callback':62} {'view':22} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9} {'raw SQL ms':>10}")
    for r in run(database_url):
        print(f"{r.callback:62} {r.view:22} {r.p50_ms:8.1f} {r.p95_ms:8.1f} {r.bytes:9d} {floors[r.view]:10.1f}")
