"""The partial plotly.js bundle: it holds every trace type the code draws, matches plotly.py's plotly.js version,
and is served under its digest (cached for good, no login) with the page told where it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

from dashboard import plotly_bundle
from dashboard.app import create_app
from dashboard.config import Config
from data.demo_users import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
TRACES_FILE = ROOT / "frontend" / "plotly" / "traces.json"
CODE_DIRS = ("dashboard", "layouts", "callbacks", "geo", "data")
IN_CORE = {"scatter"}


def plotly_trace_types() -> dict[str, str]:
    """Every trace class of plotly.py by name (go.Bar → 'bar')."""
    out = {}
    for name in dir(go):
        cls = getattr(go, name)
        if isinstance(cls, type) and issubclass(cls, BaseTraceType) and cls is not BaseTraceType:
            out[name] = cls().type
    return out


def trace_types_in_code() -> set[str]:
    """Trace types the code builds, as `go.Bar(...)`, `trace(go.Bar, ...)` or figure dicts with `"type": "bar"`."""
    classes = plotly_trace_types()
    known = set(classes.values())
    used: set[str] = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            used |= {classes[m] for m in re.findall(r"\bgo\.([A-Z]\w*)[(,]", text) if m in classes}
            used |= {m for m in re.findall(r"""["']type["']\s*:\s*["'](\w+)["']""", text) if m in known}
    return used


def bundled_traces() -> list[str]:
    return json.loads(TRACES_FILE.read_text(encoding="utf-8"))["traces"]


def test_the_code_finds_the_trace_types_it_uses() -> None:
    used = trace_types_in_code()
    assert {"bar", "scatter", "choroplethmap"} <= used  # the scan itself works


def test_every_trace_type_the_code_draws_is_bundled() -> None:
    missing = trace_types_in_code() - set(bundled_traces()) - IN_CORE
    assert not missing, f"add {sorted(missing)} to {TRACES_FILE.name} and run `make plotly-bundle`"
    assert set(bundled_traces()) <= set(plotly_trace_types().values())  # no typo in the list


def test_the_bundle_is_built_from_the_list_and_plotly_py_s_version() -> None:
    head = plotly_bundle.BUNDLE.read_bytes()[:400].decode("utf-8", "replace")
    match = re.match(r"/\* plotly\.js v(\S+) partial bundle: core \(scatter\), ([a-z, ]+)\. MIT", head)
    assert match, head[:200]
    assert match.group(1) == get_plotlyjs_version()  # figures are serialised for this plotly.js
    assert match.group(2).split(", ") == bundled_traces()  # rebuilt after the list last changed


@pytest.fixture(scope="module")
def client(small_sqlite):
    app = create_app(Config(database_url=str(small_sqlite.url), secret_key="test-secret-" + "x" * 20))
    return app.server.test_client()


def test_the_bundle_is_served_under_its_digest_without_login(client) -> None:
    digest = plotly_bundle.bundle_digest()
    response = client.get(plotly_bundle.bundle_url(digest))
    assert response.status_code == 200
    assert response.data == plotly_bundle.BUNDLE.read_bytes()
    assert response.mimetype == "text/javascript"
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get(plotly_bundle.bundle_url("0" * 12)).status_code == 404  # an old build's URL


def test_the_page_names_the_bundle(client) -> None:
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    assert client.post("/login", data={"username": "leader", "password": DEMO_PASSWORD, "csrf": csrf}).status_code == 302
    page = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    url = plotly_bundle.bundle_url(plotly_bundle.bundle_digest())
    assert f'<meta name="{plotly_bundle.META_NAME}" content="{url}">' in page
    assert "/assets/plotly-bundle.js" in page
