"""The frame of every page: title, navigation, the data's date and the notice line for bad URL values."""

from __future__ import annotations

from dataclasses import dataclass

from dash import dcc, html

from dashboard.ids import Shell
from layouts.filters import filter_bar

HEARTBEAT_SECONDS = 15


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    group: str = ""  # "" for the main row; otherwise the name of a drop-down menu


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("/", "总览"),
    NavItem("/map", "地图"),
    NavItem("/flow", "案件流转"),
    NavItem("/resolution", "化解率"),
    NavItem("/overdue", "逾期督办"),
    NavItem("/backlog", "信访积案", "治理业务"),
    NavItem("/grids", "精网微格", "治理业务"),
    NavItem("/safety", "平安指数", "治理业务"),
    NavItem("/alerts", "风险预警", "治理业务"),
    NavItem("/indicators", "指标与调查", "战略指标"),
    NavItem("/campaigns", "专项行动", "战略指标"),
    NavItem("/plan", "三年计划", "战略指标"),
    NavItem("/opinion", "舆情监测", "战略指标"),
    NavItem("/screen", "综合大屏", "大屏"),
    NavItem("/screen-ops", "治理大屏", "大屏"),
    NavItem("/screen-indicators", "指标大屏", "大屏"),
)


def nav_links(pathname: str | None, search: str | None, available: frozenset[str] | None = None) -> list:
    """Navigation that keeps the current view's query string; pages not available are left out."""
    current = pathname or "/"
    items = [i for i in NAV_ITEMS if available is None or i.path in available]

    def link(item: NavItem):
        return dcc.Link(item.label, href=item.path + (search or ""), className="active" if item.path == current else "")

    out: list = []
    groups: dict[str, list[NavItem]] = {}
    for item in items:
        if item.group:
            if item.group not in groups:
                groups[item.group] = []
                out.append(item.group)  # placeholder, replaced below to keep the order
            groups[item.group].append(item)
        else:
            out.append(link(item))
    for i, entry in enumerate(out):
        if isinstance(entry, str):
            members = groups[entry]
            active = any(m.path == current for m in members)
            out[i] = html.Details([html.Summary(entry, className="active" if active else ""),
                                   html.Div([link(m) for m in members], className="cc-nav-menu")],
                                  className="cc-nav-group")
    return out


def shell(city_name: str, data_date: str) -> html.Div:
    """The app layout: header, notice line and the page container."""
    return html.Div(
        [
            dcc.Location(id=Shell.URL, refresh="callback-nav"),
            # Every page's callbacks also listen to DATA_VERSION: an import or the database coming back
            # after an outage refreshes what is on screen without a reload.
            dcc.Interval(id=Shell.HEARTBEAT, interval=HEARTBEAT_SECONDS * 1000),
            dcc.Store(id=Shell.DATA_VERSION),
            html.Header(
                [
                    html.Div([f"{city_name}社会治理现代化指挥中心", html.Small("四级联动 · 精网微格 · 矛盾纠纷化解")],
                             className="cc-title"),
                    html.Nav(id=Shell.NAV, className="cc-nav"),
                    html.Div([html.Div(id=Shell.STALE, className="cc-stale", role="status"),
                              html.Div(["数据截至 ", html.Strong(data_date, id=Shell.DATA_DATE)]),
                              html.Div(id=Shell.USER, className="cc-user")], className="cc-meta"),
                ],
                className="cc-header",
            ),
            filter_bar(),
            html.Div(id=Shell.NOTICE, className="cc-notice", role="status"),
            html.Main(id=Shell.PAGE, className="cc-page"),
        ]
    )


def placeholder(title: str) -> html.Div:
    """An honest marker for a page that a later change fills."""
    return html.Div([html.H2(title), html.Div("本页面尚在建设中。", className="cc-placeholder")])


def user_badge(name: str, role: str, can_logout: bool) -> list:
    """Who is logged in, and a logout link (display tokens have no one to log out)."""
    items: list = [html.Span(f"{name} · {role}")]
    if can_logout:
        items += [" ", html.A("退出", href="/logout")]
    return items


def stale_badge(last_ok: str) -> list:
    """Shown while the database is unreachable: the figures on screen are the last good ones."""
    return [html.Strong("数据未更新"), f" · 最后更新 {last_ok}"]
