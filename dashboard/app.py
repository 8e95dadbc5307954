"""The app factory: `create_app(config)` builds the Dash app, its pages and callbacks, on its own database.

Nothing is created at import time, so tests can build several apps on separate databases and every
gunicorn worker builds its own. Pages are routed by our own small router (not Dash's global page
registry) so that a change of the query string (a drill, a filter) updates a page's figures in place
instead of rebuilding the page.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from dash import Dash, Input, Output, State, html
from dash.development.base_component import Component

from callbacks import exports as export_callbacks
from callbacks import filters as filter_callbacks
from callbacks import shell as shell_callbacks
from dashboard import admin, auth, geo_routes, import_admin, indicator_admin, ops, plotly_bundle
from dashboard.charts import chart_specs
from dashboard.config import Config
from dashboard.context import EXTENSION_KEY, Services
from dashboard.exports import routes as export_routes
from dashboard.exports.registry import Registry
from dashboard.formatting import date_cn
from dashboard.ids import Shell
from dashboard.theme import register_templates
from data.cache import QueryCache, make_backend, namespace_for
from data.db import as_of_date, make_engine
from data.filters import city
from layouts.shell import placeholder, shell

ASSETS = Path(__file__).resolve().parent / "assets"
TITLE_SUFFIX = "社会治理指挥中心"
# Page module names, in navigation order. Each page is `layouts.<name>` (PATH, TITLE, layout(**query)) and
# optionally `callbacks.<name>` (register(app)); a page not written yet shows a placeholder.
PAGES = ("home", "map", "flow", "resolution", "overdue", "backlog", "grids", "safety", "alerts", "indicators",
         "campaigns", "plan", "opinion", "screen", "screen_ops", "screen_indicators")
PLACEHOLDER_PAGES = {"map": ("/map", "地图"), "flow": ("/flow", "案件流转"), "resolution": ("/resolution", "化解率"),
                     "overdue": ("/overdue", "逾期督办"), "screen": ("/screen", "大屏")}


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    render: Any  # layout(**query) -> Component
    placeholder: bool = False


def create_app(config: Config) -> Dash:
    """Build the whole app for one configuration."""
    config.ensure_sqlite_dir()
    engine = make_engine(config.database_url)
    register_templates()
    plotly_digest = plotly_bundle.bundle_digest()
    app = Dash(
        __name__,
        assets_folder=str(ASSETS),
        serve_locally=True,
        title=f"宿迁市{TITLE_SUFFIX}",
        update_title=None,
        suppress_callback_exceptions=True,
        meta_tags=[plotly_bundle.meta_tag(plotly_digest)],
    )
    app.server.config.update(SECRET_KEY=config.secret_key, DEBUG=config.debug)
    app.server.json.ensure_ascii = False  # Chinese error messages stay readable
    app.server.extensions[EXTENSION_KEY] = Services(config=config, engine=engine,
                                                    cache=QueryCache(make_backend(config.redis_url),
                                                                     namespace_for(config.database_url)))
    ops.register(app.server)
    auth.install(app.server, secure_cookies=config.secure_cookies, session_minutes=config.session_minutes)

    try:
        city_name = city(engine).name
    except LookupError:
        city_name = "宿迁市"
    as_of = as_of_date(engine)
    app.layout = shell(city_name, date_cn(as_of) if as_of else "—")
    pages = _load_pages(app)
    app.server.config["NAV_PATHS"] = frozenset(p.path for p in pages.values() if not p.placeholder)
    _register_router(app, pages)
    shell_callbacks.register(app)
    filter_callbacks.register(app)
    export_callbacks.register(app)
    geo_routes.register(app.server)
    plotly_bundle.register(app.server, plotly_digest)
    admin.register(app.server)
    import_admin.register(app.server)
    indicator_admin.register(app.server)
    export_routes.register(app.server, Registry(chart_specs()))
    app.server.config["CONTENT_SECURITY_POLICY"] = auth.content_security_policy(app.csp_hashes())
    return app


def _import_optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def _load_pages(app: Dash) -> dict[str, Page]:
    """Import each page's layout module and register its callbacks."""
    pages: dict[str, Page] = {}
    for name in PAGES:
        module = _import_optional(f"layouts.{name}")
        if module is None:
            path, title = PLACEHOLDER_PAGES.get(name, (f"/{name}", name))
            pages[path] = Page(path, title, lambda title=title, **_q: placeholder(title), placeholder=True)
            continue
        pages[module.PATH] = Page(module.PATH, module.TITLE, module.layout)
        page_callbacks = _import_optional(f"callbacks.{name}")
        if page_callbacks is not None:
            page_callbacks.register(app)
    return pages


def _register_router(app: Dash, pages: dict[str, Page]) -> None:
    """Render the page for the URL's path; query changes alone do not re-render (pages react to them)."""

    @app.callback(Output(Shell.PAGE, "children"), Input(Shell.URL, "pathname"), State(Shell.URL, "search"))
    def route(pathname: str | None, search: str | None) -> Component:
        page = pages.get(pathname or "/")
        principal = auth.current_principal()
        if page is not None and principal is not None and not principal.may_open(page.path):
            return html.Div([html.H2("无权访问该页面")], className="cc-placeholder")
        if page is None:
            return html.Div([html.H2("页面不存在"), html.A("返回总览", href="/")], className="cc-placeholder")
        return page.render()

    app.clientside_callback(
        "function(path, titles) { document.title = (titles[path] || '页面不存在') + ' · "
        + TITLE_SUFFIX
        + "'; return ''; }",
        Output(Shell.TITLE_SINK, "children"),
        Input(Shell.URL, "pathname"),
        State(Shell.TITLES, "data"),
    )
    app.layout.children.append(_titles_store(pages))


def _titles_store(pages: dict[str, Page]) -> Component:
    from dash import dcc

    return html.Div([dcc.Store(id=Shell.TITLES, data={p.path: p.title for p in pages.values()}),
                     html.Div(id=Shell.TITLE_SINK, hidden=True)])
