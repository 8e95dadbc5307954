"""The app factory: `create_app(config)` builds the Dash app, its pages and callbacks, on its own database.

Nothing is created at import time, so tests can build several apps on separate databases and every
gunicorn worker builds its own.
"""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash

from callbacks import home as home_callbacks
from callbacks import shell as shell_callbacks
from dashboard.config import Config
from dashboard.context import EXTENSION_KEY, Services
from dashboard.formatting import date_cn
from dashboard.theme import register_templates
from data.db import as_of_date, create_schema, make_engine
from data.filters import city
from layouts import home
from layouts.shell import placeholder, shell

ASSETS = Path(__file__).resolve().parent / "assets"
PLACEHOLDER_PAGES = {"/map": "地图", "/flow": "案件流转", "/resolution": "化解率", "/overdue": "逾期督办",
                     "/screen": "大屏"}


def create_app(config: Config) -> Dash:
    """Build the whole app for one configuration."""
    config.ensure_sqlite_dir()
    engine = make_engine(config.database_url)
    create_schema(engine)
    register_templates()
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        serve_locally=True,
        title="宿迁市社会治理现代化指挥中心",
        update_title=None,
        suppress_callback_exceptions=True,
    )
    app.server.config.update(SECRET_KEY=config.secret_key, DEBUG=config.debug)
    app.server.extensions[EXTENSION_KEY] = Services(config=config, engine=engine)

    _register_pages()
    try:
        root = city(engine)
        city_name = root.name
    except LookupError:
        city_name = "宿迁市"
    as_of = as_of_date(engine)
    app.layout = shell(city_name, date_cn(as_of) if as_of else "—")
    shell_callbacks.register(app)
    home_callbacks.register(app)
    return app


def _register_pages() -> None:
    """Register every page with Dash Pages (paths and titles only; layouts are plain functions)."""
    dash.register_page("home", path="/", name="总览", title="总览 · 社会治理指挥中心", layout=home.layout)
    for path, title in PLACEHOLDER_PAGES.items():
        dash.register_page(
            path.strip("/"), path=path, name=title, title=f"{title} · 社会治理指挥中心",
            layout=lambda title=title, **_q: placeholder(title),
        )
