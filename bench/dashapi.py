"""Calling Dash callbacks the way the browser does: the page's real layout supplies every input's initial value.

The catalog reads `/_dash-layout` (the shell), `/_dash-dependencies` (every callback) and, for each page path,
the router callback's answer (the page's layout). A callback belongs to the page whose layout holds its outputs
(or, for output-only-the-URL callbacks such as drills, its inputs); one found in no page is a shell callback.
A request body then carries, for each input and state, the value the component has in that layout — except
the URL (pathname and search of the view being benchmarked) and the data version (what the heartbeat sends).
Pattern-matching inputs and outputs (`ALL`) expand to every matching component of the layout, as in Dash.

Works over any transport with `get(path)` and `post(path, json)` returning (status, body bytes): Flask's test
client in-process (server time) and `requests` against gunicorn (the load run).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dashboard.app import PAGES, PLACEHOLDER_PAGES

PASSWORD = "suqian-demo-2023"
URL_ID, VERSION_ID, PAGE_ID = "shell-url", "shell-data-version", "shell-page"
UPDATE = "/_dash-update-component"
WILDCARDS = (["ALL"], ["MATCH"], ["ALLSMALLER"])


def page_paths() -> list[str]:
    """Every page path in navigation order (dashboard.app.PAGES, each layouts.<name>.PATH)."""
    import importlib

    paths = []
    for name in PAGES:
        try:
            paths.append(importlib.import_module(f"layouts.{name}").PATH)
        except ModuleNotFoundError:
            paths.append(PLACEHOLDER_PAGES.get(name, (f"/{name}", name))[0])
    return paths


def id_key(ident: Any) -> str:
    """The string Dash uses for a component id (dict ids: sorted compact JSON)."""
    return json.dumps(ident, sort_keys=True, separators=(",", ":")) if isinstance(ident, dict) else str(ident)


def parse_id(text: str) -> str | dict:
    return json.loads(text) if text.startswith("{") else text


def matches(pattern: str | dict, ident: Any) -> bool:
    """Whether a concrete component id matches a (possibly pattern-matching) dependency id."""
    if isinstance(pattern, str):
        return pattern == ident
    if not isinstance(ident, dict) or set(ident) != set(pattern):
        return False
    return all(v in WILDCARDS or ident[k] == v for k, v in pattern.items())


def split_output(output: str) -> list[tuple[str | dict, str]]:
    """`..a.children...b.figure..` or `a.figure@hash` → [(id, property), ...] (the @hash dropped)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        out.append((parse_id(ident), prop.split("@")[0]))
    return out


def walk(node: Any) -> Iterator[dict]:
    """Every component (its props dict, with `id`) in a layout JSON tree."""
    if isinstance(node, list):
        for item in node:
            yield from walk(item)
    elif isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict):
            if "id" in props:
                yield props
            for value in props.values():
                if isinstance(value, (list, dict)):
                    yield from walk(value)


@dataclass
class Transport:
    """get(path) / post(path, json) → (status, body); the session is already logged in."""

    get: Callable[[str], tuple[int, bytes]]
    post: Callable[[str, Any], tuple[int, bytes]]


def flask_transport(client) -> Transport:
    def get(path: str) -> tuple[int, bytes]:
        r = client.get(path)
        return r.status_code, r.data

    def post(path: str, body: Any) -> tuple[int, bytes]:
        r = client.post(path, json=body)
        return r.status_code, r.data

    return Transport(get, post)


def requests_transport(http, base: str, timeout: float = 60) -> Transport:
    def get(path: str) -> tuple[int, bytes]:
        r = http.get(base + path, timeout=timeout)
        return r.status_code, r.content

    def post(path: str, body: Any) -> tuple[int, bytes]:
        r = http.post(base + path, json=body, timeout=timeout)
        return r.status_code, r.content

    return Transport(get, post)


def login_flask(client, user: str = "leader") -> None:
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": user, "password": PASSWORD, "csrf": csrf})
    if response.status_code != 302:
        raise RuntimeError(f"login as {user} failed: HTTP {response.status_code}")


def login_requests(http, base: str, user: str) -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', http.get(base + "/login", timeout=30).text).group(1)
    response = http.post(base + "/login", data={"username": user, "password": PASSWORD, "csrf": csrf},
                         timeout=30, allow_redirects=False)
    if response.status_code != 302:
        raise RuntimeError(f"login as {user} failed: HTTP {response.status_code}")


@dataclass
class Callback:
    """One server-side callback and where it lives."""

    dep: dict
    page: str | None  # the page path, or None for a shell callback (every page)
    outputs: list[tuple[str | dict, str]] = field(default_factory=list)

    @property
    def output(self) -> str:
        return self.dep["output"]

    @property
    def interaction(self) -> bool:
        """Fired only by a user action (a click, a toggle), never when the page loads."""
        return bool(self.dep.get("prevent_initial_call"))

    @property
    def is_router(self) -> bool:
        return self.outputs == [(PAGE_ID, "children")]

    @property
    def output_ids(self) -> list[str]:
        return [id_key(i) for i, _p in self.outputs]

    @property
    def label(self) -> str:
        """A short name: the first output id not the URL, and how many more outputs there are."""
        def name(ident: str | dict) -> str:
            return ident if isinstance(ident, str) else f"{ident.get('type', '?')}[*]"

        ids = [name(i) for i, _p in self.outputs]
        own = [i for i in ids if i != URL_ID]
        if own:
            first, more = own[0], len(ids) - 1
        else:  # writes only the URL (a drill, a toggle): named by what triggers it
            first, more = f"url←{name(parse_id(self.dep['inputs'][0]['id']))}", 0
        return f"{first} +{more}" if more else first


@dataclass
class Catalog:
    """The shell layout, each page's layout and every server-side callback."""

    shell: list[dict]
    pages: dict[str, list[dict]]
    callbacks: list[Callback]
    data_version: str | None

    def components(self, path: str) -> list[dict]:
        return self.shell + self.pages.get(path, [])

    def page_callbacks(self, path: str, initial_only: bool = False) -> list[Callback]:
        """The callbacks a browser showing `path` may fire (its own and the shell's, the router excluded)."""
        return [cb for cb in self.callbacks
                if cb.page in (path, None) and not cb.is_router and not (initial_only and cb.interaction)]

    def router(self) -> Callback:
        return next(cb for cb in self.callbacks if cb.is_router)


def _prefix(ident: Any) -> str:
    """`map-graph` → `map`, {"type": "ind-row", …} → `ind`: the page-level prefix of an id."""
    text = ident.get("type", "") if isinstance(ident, dict) else str(ident)
    return text.split("-", 1)[0]


def _find(components: list[dict], pattern: str | dict) -> list[dict]:
    return [c for c in components if matches(pattern, c["id"])]


def route_payload(router: Callback, path: str) -> dict:
    return payload(router, [], path, "", None)


def build_catalog(transport: Transport, paths: list[str] | None = None) -> Catalog:
    """Read the shell, every page's layout and the callbacks; place each callback on its page."""
    status, body = transport.get("/_dash-layout")
    if status != 200:
        raise RuntimeError(f"/_dash-layout answered HTTP {status}")
    shell = list(walk(json.loads(body)))
    status, body = transport.get("/_dash-dependencies")
    deps = [d for d in json.loads(body) if not d.get("clientside_function")]
    callbacks = [Callback(d, None, split_output(d["output"])) for d in deps]
    router = next(cb for cb in callbacks if cb.is_router)
    pages: dict[str, list[dict]] = {}
    for path in paths or page_paths():
        status, body = transport.post(UPDATE, route_payload(router, path))
        if status != 200:
            raise RuntimeError(f"routing to {path} answered HTTP {status}")
        layout = json.loads(body)["response"][PAGE_ID]["children"]
        pages[path] = list(walk(layout))
    shell_ids = [c["id"] for c in shell]
    for cb in callbacks:
        if cb.is_router:
            continue
        own = [i for i, _p in cb.outputs if not any(matches(i, s) for s in shell_ids)]
        if not own:  # writes only shell components (the URL): placed by its inputs (a drill's clickData)
            own = [parse_id(i["id"]) for i in cb.dep["inputs"]]
            own = [i for i in own if not any(matches(i, s) for s in shell_ids)]
        cb.page = next((p for p, comps in pages.items() if any(_find(comps, i) for i in own)), None)
        if cb.page is None:  # its components are drawn by another callback (table rows): the page of the prefix
            cb.page = next((p for p, comps in pages.items() for i in own
                            if any(_prefix(c["id"]) == _prefix(i) for c in comps)), None)
    heartbeat = next((cb for cb in callbacks if (VERSION_ID, "data") in cb.outputs), None)
    version = None
    if heartbeat is not None:
        status, body = transport.post(UPDATE, payload(heartbeat, shell, "/", "", None))
        if status == 200:
            version = json.loads(body)["response"].get(VERSION_ID, {}).get("data")
    return Catalog(shell, pages, callbacks, version)


def payload(cb: Callback, components: list[dict], path: str, search: str, version: str | None) -> dict:
    """The request body the browser sends for `cb` when `path?search` loads (inputs from the layout)."""

    def value(comp: dict, prop: str) -> Any:
        if comp["id"] == URL_ID:
            return {"pathname": path, "search": search, "href": f"http://127.0.0.1{path}{search}"}.get(prop)
        if comp["id"] == VERSION_ID and prop == "data":
            return version
        return comp.get(prop)

    def entry(item: dict) -> dict | list:
        pattern = parse_id(item["id"])
        prop = item["property"]
        found = _find(components, pattern)
        if isinstance(pattern, dict):
            return [{"id": c["id"], "property": prop, "value": value(c, prop)} for c in found]
        comp = found[0] if found else {"id": pattern}
        return {"id": pattern, "property": prop, "value": value(comp, prop)}

    outputs: list = []
    for ident, prop in cb.outputs:
        if isinstance(ident, dict):
            outputs.append([{"id": c["id"], "property": prop} for c in _find(components, ident)])
        else:
            outputs.append({"id": ident, "property": prop})
    return {"output": cb.output, "outputs": outputs if cb.output.startswith("..") else outputs[0],
            "inputs": [entry(i) for i in cb.dep["inputs"]], "state": [entry(s) for s in cb.dep.get("state", [])],
            "changedPropIds": []}
