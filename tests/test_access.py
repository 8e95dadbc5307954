"""Access control: every callback, as a forged JSON request, leaks nothing outside the user's scope."""

from __future__ import annotations

import json
import re
import shutil
from urllib.parse import quote

import pytest
from sqlalchemy import text

from dashboard.app import create_app
from dashboard.config import Config
from data import accounts
from data.db import make_engine

DEMO_PASSWORD = "suqian-demo-2023"
SHUYANG = "321322"
OTHER_COUNTIES = {"321302": "宿城区", "321311": "宿豫区", "321323": "泗阳县", "321324": "泗洪县"}
ALL_CODES = ["321300", SHUYANG, *OTHER_COUNTIES]


@pytest.fixture(scope="module")
def access_db(demo_db_url: str, tmp_path_factory) -> str:
    """A private copy of the demo database: these tests add, disable and re-scope users."""
    src = demo_db_url.removeprefix("sqlite:///")
    dst = tmp_path_factory.mktemp("access") / "access.sqlite"
    shutil.copy(src, dst)
    return f"sqlite:///{dst}"


@pytest.fixture(scope="module")
def app(access_db: str):
    return create_app(Config(database_url=access_db, secret_key="test-secret-" + "x" * 20))


@pytest.fixture(scope="module")
def engine(access_db: str):
    return make_engine(access_db)


def login(client, user: str, password: str = DEMO_PASSWORD) -> int:
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": user, "password": password, "csrf": csrf}).status_code


@pytest.fixture(scope="module")
def forbidden_words(engine) -> list[str]:
    """Names that only other counties' data could put in a response: county and township names."""
    with engine.connect() as conn:
        names = conn.execute(text(
            "SELECT name FROM areas WHERE level IN ('county', 'township') AND county_code <> :c"),
            {"c": SHUYANG + "000000"}).scalars().all()
        own = set(conn.execute(text("SELECT name FROM areas WHERE county_code = :c"),
                               {"c": SHUYANG + "000000"}).scalars().all())
    return sorted(set(names) - own)


def _split_output(output: str) -> list[tuple[str, str]]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    result = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        result.append((ident, prop.split("@")[0]))
    return result


def _concrete(ident: str):
    """A concrete component id for a (possibly pattern-matching) id string; wildcards get a dummy value."""
    if not ident.startswith("{"):
        return ident, False
    parsed = json.loads(ident)
    wild = False
    for key, value in parsed.items():
        if isinstance(value, list):  # ["ALL"], ["MATCH"], ["ALLSMALLER"]
            parsed[key] = 0
            wild = value[0] != "MATCH"
    return parsed, wild


def _entry(item: dict, value):
    ident, wild = _concrete(item["id"])
    entry = {"id": ident, "property": item["property"], "value": value}
    return [entry] if wild else entry


HOSTILE = {
    "other county": lambda c: c,
    "city": lambda c: "321300",
    "none": lambda c: None,
    "star": lambda c: "*",
    "list": lambda c: ALL_CODES,
    "dict": lambda c: {"area": c, "code": "321300"},
    "sql": lambda c: "321322' OR 1=1 --",
    "long": lambda c: "3" * 100_000,
}


def _value_for(prop: str, raw):
    """Place the hostile value where an area would go: in query strings as ?area=…, elsewhere as is."""
    if prop in ("search", "href") and isinstance(raw, str):
        return "?area=" + quote(raw) + "&from=2021-01-01&to=2023-12-31"
    if prop == "pathname":
        return "/map"
    return raw


def _payload(dep: dict, raw) -> dict:
    outs = [{"id": _concrete(i)[0], "property": p} for i, p in _split_output(dep["output"])]
    return {
        "output": dep["output"],
        "outputs": outs if dep["output"].startswith("..") else outs[0],
        "inputs": [_entry(i, _value_for(i["property"], raw)) for i in dep["inputs"]],
        "state": [_entry(s, _value_for(s["property"], raw)) for s in dep.get("state", [])],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]],
    }


def test_every_callback_leaks_nothing_to_a_county_chief(app, forbidden_words) -> None:
    client = app.server.test_client()
    assert login(client, f"chief-{SHUYANG}") == 302
    deps = client.get("/_dash-dependencies").get_json()
    assert len(deps) >= 4
    checked = 0
    for dep in deps:
        if dep.get("clientside_function"):
            continue
        for label, make in HOSTILE.items():
            for county in OTHER_COUNTIES:
                body = _payload(dep, make(county))
                response = client.post("/_dash-update-component", json=body)
                text_ = response.get_data(as_text=True)
                assert "Traceback" not in text_ and "SELECT" not in text_, (dep["output"], label)
                leaked = [w for w in forbidden_words if w in text_]
                assert not leaked, f"{dep['output']} with {label}={county!r} leaked {leaked[:5]}"
                checked += 1
                if label not in ("other county",):
                    break  # values that do not depend on the county need one request
    assert checked > 20


def test_without_a_session_every_callback_is_refused(app) -> None:
    client = app.server.test_client()
    assert client.get("/_dash-dependencies").status_code == 401
    authed = app.server.test_client()
    login(authed, "leader")
    for dep in authed.get("/_dash-dependencies").get_json():
        response = client.post("/_dash-update-component", json=_payload(dep, "321322"))
        assert response.status_code == 401
        assert "宿迁" not in response.get_data(as_text=True)
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302
    assert client.get(f"/geo/{SHUYANG}.geojson").status_code == 401


def test_geojson_is_scoped(app) -> None:
    client = app.server.test_client()
    login(client, f"chief-{SHUYANG}")
    own = client.get(f"/geo/{SHUYANG}.geojson")
    assert own.status_code == 200 and len(own.get_json()["features"]) == 41
    for code in [*OTHER_COUNTIES, "321300", "321324101", "' OR 1=1"]:
        assert client.get(f"/geo/{quote(code)}.geojson").status_code == 404, code


def test_login_errors_are_generic_and_pages_have_security_headers(app) -> None:
    client = app.server.test_client()
    no_user = client.post("/login", data={"username": "nobody", "password": "x" * 10, "csrf": "bad"})
    assert no_user.status_code == 400  # CSRF checked before anything else
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    a = client.post("/login", data={"username": "nobody-here", "password": "wrong-password", "csrf": csrf})
    b = client.post("/login", data={"username": "leader", "password": "wrong-password", "csrf": csrf})
    assert a.status_code == b.status_code == 401
    assert "用户名或密码错误" in a.get_data(as_text=True) and "用户名或密码错误" in b.get_data(as_text=True)
    headers = page.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    login(client, "leader")
    cookie = client.get_cookie("cc_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_disable_and_rescope_apply_on_the_next_request(app, engine) -> None:
    accounts.add_user(engine, "temp-chief", "chief", "321324", DEMO_PASSWORD)
    client = app.server.test_client()
    assert login(client, "temp-chief") == 302
    geo = client.get("/geo/321324.geojson")
    assert geo.status_code == 200
    accounts.set_scope(engine, "temp-chief", "321311")
    assert client.get("/geo/321324.geojson").status_code == 401  # old session refused after a change
    assert login(client, "temp-chief") == 302
    assert client.get("/geo/321324.geojson").status_code == 404
    assert client.get("/geo/321311.geojson").status_code == 200
    accounts.disable_user(engine, "temp-chief")
    assert client.get("/geo/321311.geojson").status_code == 401
    assert login(client, "temp-chief") == 401


def test_user_without_scope_sees_nothing(app, engine) -> None:
    accounts.add_user(engine, "no-scope", "analyst", "321300", DEMO_PASSWORD)
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET area_code = NULL WHERE name = 'no-scope'"))
    client = app.server.test_client()
    assert login(client, "no-scope") == 302
    assert client.get("/_dash-dependencies").status_code == 403
    assert client.get("/geo/321300.geojson").status_code == 403


def test_display_token_is_view_only_scoped_and_revocable(app, engine) -> None:
    token_id, token = accounts.add_token(engine, "321322", ["screen", "map"])
    client = app.server.test_client()
    first = client.get(f"/screen?token={token}", headers={"Accept": "text/html"})
    assert first.status_code == 200
    assert client.get("/geo/321322.geojson").status_code == 200
    assert client.get("/geo/321324.geojson").status_code == 404
    assert client.get("/overdue", headers={"Accept": "text/html"}).status_code == 403
    assert client.get("/admin/audit").status_code == 403
    accounts.revoke_token(engine, token_id)
    assert client.get("/geo/321322.geojson").status_code == 401
    assert client.get(f"/screen?token={token}", headers={"Accept": "text/html"}).status_code == 403


def test_audit_log_records_logins_and_admin_can_browse_it(app, engine) -> None:
    client = app.server.test_client()
    login(client, "analyst", "wrong-password")
    login(client, "analyst")
    with engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_log WHERE actor = 'analyst' ORDER BY id")).scalars().all()
    assert actions[-2:] == ["login_failed", "login"]
    assert client.get("/admin/audit").status_code == 403
    admin = app.server.test_client()
    login(admin, "admin")
    page = admin.get("/admin/audit?actor=analyst&action=login_failed").get_data(as_text=True)
    assert "登录失败" in page and "analyst" in page
