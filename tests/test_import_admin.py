"""The admin upload page: admins only, the upload returns at once, the report appears when the import ends."""

from __future__ import annotations

import io
import re
import time

import pytest
from test_import_cases import copy_sqlite

from dashboard.app import create_app
from dashboard.config import Config
from data.importer.synth import grid_codes, synthetic_cases

PASSWORD = "suqian-demo-2023"


@pytest.fixture(scope="module")
def app_and_engine(small_sqlite, tmp_path_factory):
    folder = tmp_path_factory.mktemp("import-admin")
    engine = copy_sqlite(small_sqlite, folder / "db.sqlite")
    mp = pytest.MonkeyPatch()
    mp.setenv("IMPORT_DIR", str(folder / "imports"))
    app = create_app(Config(database_url=str(engine.url), secret_key="test-secret-" + "x" * 20))
    yield app, engine
    mp.undo()
    engine.dispose()


def _client(app, user: str):
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": user, "password": PASSWORD, "csrf": csrf}).status_code == 302
    return client


def _csv(engine, n: int, prefix: str) -> bytes:
    return synthetic_cases(grid_codes(engine)[:100], n, seed=11, prefix=prefix).to_csv(index=False).encode("utf-8-sig")


@pytest.mark.parametrize("user", ["leader", "analyst", "chief-321322"])
def test_only_admins_may_open_or_post(app_and_engine, user: str) -> None:
    app, _ = app_and_engine
    client = _client(app, user)
    assert client.get("/admin/import").status_code == 403
    assert client.post("/admin/import", data={"kind": "cases"}).status_code == 403
    assert client.get("/admin/import/1").status_code == 403
    assert client.get("/admin/import/1.json").status_code == 403


def test_anonymous_is_sent_to_login(app_and_engine) -> None:
    app, _ = app_and_engine
    response = app.server.test_client().get("/admin/import", headers={"Accept": "text/html"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_upload_runs_in_background_and_the_report_appears(app_and_engine) -> None:
    app, engine = app_and_engine
    client = _client(app, "admin")
    page = client.get("/admin/import").get_data(as_text=True)
    assert "数据导入" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    body = _csv(engine, 30_000, "WEB")
    started = time.monotonic()
    response = client.post("/admin/import", content_type="multipart/form-data", data={
        "csrf": csrf, "kind": "cases", "file": (io.BytesIO(body), "网页上传.csv")})
    took = time.monotonic() - started
    assert response.status_code == 303
    status_url = response.headers["Location"]
    first = client.get(status_url + ".json").get_json()
    assert first["status"] in ("queued", "running"), (first, took)  # the request did not wait for the import
    assert 'http-equiv="refresh"' in client.get(status_url).get_data(as_text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = client.get(status_url + ".json").get_json()
        if state["status"] not in ("queued", "running"):
            break
        time.sleep(0.3)
    assert state["status"] == "done", state
    assert (state["received"], state["inserted"], state["rejected"]) == (30_000, 30_000, 0)
    html = client.get(status_url).get_data(as_text=True)
    assert "已完成" in html and "30000" in html and "网页上传.csv" in html and "http-equiv" not in html
    assert "网页上传.csv" in client.get("/admin/import").get_data(as_text=True)


def test_a_refused_upload_shows_its_reason(app_and_engine) -> None:
    app, _ = app_and_engine
    client = _client(app, "admin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/import").get_data(as_text=True)).group(1)
    response = client.post("/admin/import", content_type="multipart/form-data", data={
        "csrf": csrf, "kind": "cases", "file": (io.BytesIO(b"a,b\n1,2\n"), "wrong.csv")})
    url = response.headers["Location"]
    deadline = time.monotonic() + 30
    while client.get(url + ".json").get_json()["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
    html = client.get(url).get_data(as_text=True)
    assert "已拒绝" in html and "缺少必需的列" in html


def test_upload_without_csrf_is_refused(app_and_engine) -> None:
    app, _ = app_and_engine
    client = _client(app, "admin")
    response = client.post("/admin/import", content_type="multipart/form-data", data={
        "kind": "cases", "file": (io.BytesIO(b"x"), "x.csv")})
    assert response.status_code == 400
