"""Browser: the governance-operation pages at 1920×1080 as a person uses them — numbers equal the queries,
clicks drill and open details, personal data only for the area's chief, the warning workflow, and a 重大
warning banner that pauses the kiosk rotation until it is acknowledged."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from browser_helpers import PageWatch, login, screenshot
from server_helpers import running_server
from sqlalchemy import text

from dashboard.formatting import count_full, percent
from dashboard.ids import AlertsPage, BacklogPage, Filters, GridsPage, Kpi, SafetyPage, ScreenOpsPage
from data import alert_rules as ar
from data.db import make_engine
from data.filters import Period, city, find_area
from data.models_ops import WarningAction, WarningLevel, WarningRule
from data.queries import alerts as qa
from data.queries import backlog as qb
from data.queries import grids as qg
from data.queries import safety as qs
from data.queries import supervision as qsup
from layouts.figures import backlog as fig_backlog
from layouts.figures.safety import fmt_index

YEAR = Period(date(2023, 1, 1), date(2023, 12, 31))
VIEW = "?area=321300&from=2023-01-01&to=2023-12-31"


def tile(page, key: str) -> str:
    return page.locator(f"#{Kpi.VALUE.of(key)}").inner_text()


def wait_tile(page, key: str, want: str) -> None:
    page.wait_for_function(f"document.getElementById('{Kpi.VALUE.of(key)}')?.innerText === {want!r}", timeout=30_000)


def wait_graph(page, graph_id: str) -> None:
    page.wait_for_function(f"document.querySelector('#{graph_id} .js-plotly-plot')?.data?.length > 0", timeout=30_000)


def test_backlog_board_drill_and_case_detail(page, live_server, demo_engine) -> None:
    area = city(demo_engine)
    summary = qb.backlog_summary(demo_engine, area, YEAR).iloc[0]
    sup = qsup.supervision_summary(demo_engine, area, YEAR).iloc[0]
    page.goto(live_server + "/backlog" + VIEW)
    wait_tile(page, "backlog_on_board", count_full(summary["on_board"]))
    assert tile(page, "backlog_resolved") == count_full(summary["resolved"])
    assert tile(page, "backlog_red") == count_full(summary["red"])
    wait_tile(page, "sup_overdue", count_full(sup["overdue_milestones"]))
    assert tile(page, "sup_difficult") == count_full(sup["difficult_resolved"])
    for graph in (BacklogPage.BY_ORIGIN, BacklogPage.BY_AREA, BacklogPage.ASSESSMENT, BacklogPage.RESOLVED,
                  BacklogPage.COLOR_TREND):
        wait_graph(page, graph)
    first = qb.backlog_cases(demo_engine, area, YEAR)["case_no"].iloc[0]
    cell = page.locator(f"#{BacklogPage.TABLE} td[data-dash-column=case_no]").first
    assert cell.inner_text() == first
    cell.click()
    page.wait_for_function(f"document.getElementById('{BacklogPage.DETAIL}')?.innerText.includes('{first}')",
                           timeout=20_000)
    detail = page.locator(f"#{BacklogPage.DETAIL}").inner_text()
    assert "包案领导" in detail and "颜色变化" in detail and "列入积案" in detail
    page.mouse.move(5, 1075)
    screenshot(page, "ops-backlog", full_page=True)
    _page_and_sort_the_case_table(page, qb.backlog_cases(demo_engine, area, YEAR))
    # a click on an area's bar drills into it: the URL and the breadcrumb follow
    page.locator(f"#{BacklogPage.BY_AREA} g.point path").first.click(force=True)
    page.wait_for_function("new URLSearchParams(location.search).get('area') !== '321300'", timeout=20_000)
    code = page.evaluate("new URLSearchParams(location.search).get('area')")
    county = find_area(demo_engine, code)
    assert county is not None and county.level == "county"
    page.wait_for_function(f"document.getElementById('{Filters.BREADCRUMB}')?.innerText.includes('{county.name}')",
                           timeout=20_000)
    wait_tile(page, "backlog_on_board", count_full(qb.backlog_summary(demo_engine, county, YEAR).iloc[0]["on_board"]))
    page.go_back()
    page.wait_for_function("new URLSearchParams(location.search).get('area') === '321300'", timeout=20_000)


def _first_case_cell(page) -> str:
    return page.locator(f"#{BacklogPage.TABLE} td[data-dash-column=case_no]").first.inner_text()


def _page_and_sort_the_case_table(page, cases) -> None:
    """The table is paged and sorted on the server: page 2 shows the list's 11th case; sorting by 难度 orders the
    whole list (the hardest-first list ends with green cases, which a descending sort brings to row 1)."""
    size = fig_backlog.CASE_PAGE_SIZE
    rows = page.locator(f"#{BacklogPage.TABLE} td[data-dash-column=case_no]")
    assert rows.count() == size
    page.locator(f"#{BacklogPage.TABLE} button.next-page").click()
    page.wait_for_function(f"document.querySelector('#{BacklogPage.TABLE} td[data-dash-column=case_no]')"
                           f"?.innerText === {cases['case_no'].iloc[size]!r}", timeout=20_000)
    greenest = qb.case_page(cases, 0, size, (("color", True),)).rows
    assert greenest["color"].iloc[0] != cases["color"].iloc[0]  # the sort must change what row 1 shows
    sorter = page.locator(f"#{BacklogPage.TABLE} th[data-dash-column=color] .column-header--sort")
    for _ in range(2):  # the header cycles through the directions: click until descending
        sorter.click()
        page.wait_for_timeout(300)
        page.wait_for_function(f"document.querySelector('#{BacklogPage.TABLE} td[data-dash-column=case_no]')"
                               f"?.innerText !== {cases['case_no'].iloc[size]!r}", timeout=20_000)
        if _first_case_cell(page) == greenest["case_no"].iloc[0]:
            break
    assert _first_case_cell(page) == greenest["case_no"].iloc[0]
    assert rows.all_inner_texts() == greenest["case_no"].tolist()


def test_grids_counts_only_for_a_leader(page, live_server, demo_engine) -> None:
    area = city(demo_engine)
    row = qg.grids_summary(demo_engine, area, YEAR, ar.OpsSettings.load()).iloc[0]
    page.goto(live_server + "/grids" + VIEW)
    wait_tile(page, "grids_coverage", percent(row["coverage"]))
    assert tile(page, "grids_persons") == count_full(row["persons"])
    assert tile(page, "grids_silent") == count_full(row["silent"])
    assert tile(page, "grids_liaisons") == count_full(row["liaisons"]) == "20,000"
    assert tile(page, "grids_demo") == "37"
    for graph in (GridsPage.COVERAGE, GridsPage.GROUPS, GridsPage.VISITS):
        wait_graph(page, graph)
    page.wait_for_function(f"document.getElementById('{GridsPage.PEOPLE_NOTE}')?.innerText.includes('仅显示统计数字')",
                           timeout=20_000)
    assert page.locator(f"#{GridsPage.PEOPLE}").is_hidden()
    page.mouse.move(5, 1075)
    screenshot(page, "ops-grids-leader", full_page=True)


def test_grids_people_list_for_the_county_chief(browser, live_server, demo_engine, page_watch: PageWatch) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    login(context, live_server, "chief-321322")
    page_watch.attach(context)
    page = context.new_page()
    try:
        county = find_area(demo_engine, "321322")
        people = qg.key_person_list(demo_engine, county, YEAR, ar.OpsSettings.load())
        page.goto(live_server + "/grids?area=321302&from=2023-01-01&to=2023-12-31")  # another county: clamped
        page.wait_for_function(f"document.querySelector('#{GridsPage.PEOPLE} td[data-dash-column=name]')"
                               f"?.innerText === {people['name'].iloc[0]!r}", timeout=30_000)
        assert "沭阳县" in page.locator(f"#{Filters.BREADCRUMB}").inner_text()
        names = page.locator(f"#{GridsPage.PEOPLE} td[data-dash-column=name]").all_inner_texts()
        assert names == list(people["name"].head(len(names))) and len(names) == 10
        assert "不提供导出" in page.locator(f"#{GridsPage.PEOPLE_NOTE}").inner_text()
        page.mouse.move(5, 1075)
        screenshot(page, "ops-grids-chief", full_page=True)
    finally:
        context.close()
    assert not page_watch.problems(), page_watch.problems()


def test_safety_index_map_ranking_and_breakdown(page, live_server, demo_engine) -> None:
    area = find_area(demo_engine, "321322")
    index = qs.safety_index(demo_engine, area, YEAR)
    page.goto(live_server + "/safety?area=321322&from=2023-01-01&to=2023-12-31")
    wait_tile(page, "safety_index", fmt_index(index))
    for graph in (SafetyPage.RANKING, SafetyPage.TREND, SafetyPage.BREAKDOWN, SafetyPage.CHANGES):
        wait_graph(page, graph)
    page.wait_for_selector(f"#{SafetyPage.MAP} canvas", state="attached", timeout=30_000)
    best = qs.safety_by_child(demo_engine, area, YEAR, ar.OpsSettings.load(), qs.SafetyConfig.load()).iloc[0]
    assert tile(page, "safety_best") == f"{best['name']} {fmt_index(best['index'])}"
    assert page.locator(f"#{SafetyPage.TABLE} td[data-dash-column=label]").count() == 11
    page.wait_for_timeout(1500)  # let the map draw its shapes before the picture
    page.mouse.move(5, 1075)
    screenshot(page, "ops-safety", full_page=True)
    page.locator(f"#{SafetyPage.RANKING} g.point path").last.click(force=True)  # the best, drawn on top
    page.wait_for_function("new URLSearchParams(location.search).get('area')?.length === 9", timeout=20_000)
    assert page.evaluate("new URLSearchParams(location.search).get('area')") == best["code"][:9]


def test_alerts_page_tiles_and_detail(page, live_server, demo_engine) -> None:
    area = city(demo_engine)
    row = qa.alerts_summary(demo_engine, area, YEAR).iloc[0]
    page.goto(live_server + "/alerts" + VIEW)
    wait_tile(page, "alerts_raised", count_full(row["raised"]))
    assert tile(page, "alerts_open") == count_full(row["open"])
    for graph in (AlertsPage.BY_WEEK, AlertsPage.BY_RULE, AlertsPage.KEY_DATES):
        wait_graph(page, graph)
    title = qa.warnings_list(demo_engine, area, YEAR, ar.revision(demo_engine))["title"].iloc[0]
    page.locator(f"#{AlertsPage.TABLE} td[data-dash-column=title]").first.click()
    page.wait_for_function(f"document.getElementById('{AlertsPage.DETAIL}')?.innerText.includes({title!r})",
                           timeout=20_000)
    assert "研判依据" in page.locator(f"#{AlertsPage.DETAIL}").inner_text()
    page.mouse.move(5, 1075)
    screenshot(page, "ops-alerts", full_page=True)


def test_screen_ops_canvas(page, live_server, demo_engine) -> None:
    area = city(demo_engine)
    sup = qsup.supervision_summary(demo_engine, area, YEAR).iloc[0]
    page.goto(live_server + "/screen-ops" + VIEW)
    wait_tile(page, "sops_overdue", count_full(sup["overdue_milestones"]))
    assert tile(page, "sops_listed") == count_full(sup["listed"])
    for graph in (ScreenOpsPage.BACKLOG, ScreenOpsPage.TREND, ScreenOpsPage.COVERAGE, ScreenOpsPage.GROUPS):
        wait_graph(page, graph)
    assert page.locator(".cc-header").is_hidden()
    sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert sizes == [1920, 1080]
    page.mouse.move(5, 1075)
    screenshot(page, "ops-screen")


# --- a private server: these tests change warnings ---


@pytest.fixture(scope="module")
def ops_server(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A copy of the demo database served with a fast kiosk rotation through /screen-ops and /backlog."""
    folder = tmp_path_factory.mktemp("ops-server")
    target = folder / "ops.sqlite"
    src = make_engine(demo_db_url)
    with src.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
    src.dispose()
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), target)
    url = f"sqlite:///{target}"
    env = {"KIOSK_SECONDS": "3", "KIOSK_PAGES": "/screen-ops,/backlog", "SCREEN_REFRESH_SECONDS": "5"}
    with running_server(url, folder, env) as base_url:
        yield base_url, url


def open_page(browser, base_url: str, user: str, watch: PageWatch):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    login(context, base_url, user)
    watch.attach(context)
    return context, context.new_page()


def fresh_warning(engine, key: str, level: WarningLevel = WarningLevel.GENERAL) -> int:
    """A new warning in a village of 沭阳县, stored the way the real-time evaluation stores one."""
    with engine.connect() as conn:
        village = conn.execute(text("SELECT code FROM areas WHERE level = 'village' AND county_code = '321322000000' "
                                    "ORDER BY code")).scalar()
    at = datetime(2023, 12, 31, 20, 0)
    cand = ar.Candidate(WarningRule.MASS_DISPUTE, level, village, "dispute", "劳资纠纷",
                        {"people": 120 if level == WarningLevel.CRITICAL else 25, "case_nos": ["SQ-TEST"]},
                        at, at + timedelta(seconds=1), key)
    assert ar.store(engine, [cand], ar.AlertRules.load()) == 1
    with engine.connect() as conn:
        return conn.execute(text("SELECT id FROM risk_warnings WHERE dedup_key = :k"), {"k": key}).scalar_one()


def test_warning_workflow_in_the_browser(browser, ops_server, page_watch: PageWatch) -> None:
    base_url, url = ops_server
    engine = make_engine(url)
    wid = fresh_warning(engine, "browser:workflow")
    context, page = open_page(browser, base_url, "leader", page_watch)
    try:
        page.goto(f"{base_url}/alerts?warning={wid}")
        page.wait_for_function(f"document.getElementById('{AlertsPage.ASSIGN}')?.disabled === false", timeout=30_000)
        assert page.locator(f"#{AlertsPage.ACKNOWLEDGE}").is_disabled()  # not before it is assigned
        page.locator(f"#{AlertsPage.UNIT}").click()
        option = page.locator(".dash-dropdown-options [role=option]").first
        unit = option.inner_text()
        option.click()
        page.locator(f"#{AlertsPage.ASSIGN}").click()
        page.wait_for_function(f"document.getElementById('{AlertsPage.MESSAGE}')?.innerText.includes('已交办')",
                               timeout=20_000)
        page.wait_for_function(f"document.getElementById('{AlertsPage.DETAIL}')?.innerText.includes({unit!r})",
                               timeout=20_000)
        page.wait_for_function(f"document.getElementById('{AlertsPage.ACKNOWLEDGE}')?.disabled === false", timeout=20_000)
        page.locator(f"#{AlertsPage.ACKNOWLEDGE}").click()
        page.wait_for_function(f"document.getElementById('{AlertsPage.MESSAGE}')?.innerText.includes('已签收')",
                               timeout=20_000)
        page.wait_for_function(f"document.getElementById('{AlertsPage.CLOSE}')?.disabled === false", timeout=20_000)
        page.locator(f"#{AlertsPage.CLOSE}").click()  # without a note: refused
        page.wait_for_function(f"document.getElementById('{AlertsPage.MESSAGE}')?.innerText.includes('办结须填写')",
                               timeout=20_000)
        page.locator(f"#{AlertsPage.NOTE}").fill("已组织排查化解，当事人情绪稳定")
        page.locator(f"#{AlertsPage.CLOSE}").click()
        page.wait_for_function(f"document.getElementById('{AlertsPage.MESSAGE}')?.innerText.includes('已办结')",
                               timeout=20_000)
        page.wait_for_function(f"document.getElementById('{AlertsPage.DETAIL}')?.innerText.includes('办结说明')",
                               timeout=20_000)
        page.mouse.move(5, 1075)
        screenshot(page, "ops-alerts-workflow", full_page=True)
    finally:
        context.close()
    with engine.connect() as conn:
        status, note = conn.execute(text("SELECT status, close_note FROM risk_warnings WHERE id = :i"), {"i": wid}).one()
        actors = conn.execute(text("SELECT actor FROM risk_warning_events WHERE warning_id = :i AND action = 'assign'"),
                              {"i": wid}).scalars().all()
    engine.dispose()
    assert status == "closed" and note == "已组织排查化解，当事人情绪稳定" and actors == ["leader"]
    assert not page_watch.problems(), page_watch.problems()


def test_an_analyst_cannot_act(browser, ops_server, page_watch: PageWatch) -> None:
    base_url, url = ops_server
    engine = make_engine(url)
    wid = fresh_warning(engine, "browser:analyst")
    engine.dispose()
    context, page = open_page(browser, base_url, "analyst", page_watch)
    try:
        page.goto(f"{base_url}/alerts?warning={wid}")
        page.wait_for_function(f"document.getElementById('{AlertsPage.DETAIL}')?.innerText.includes('研判依据')",
                               timeout=30_000)
        for button in (AlertsPage.ASSIGN, AlertsPage.ACKNOWLEDGE, AlertsPage.CLOSE):
            assert page.locator(f"#{button}").is_disabled()
    finally:
        context.close()


def test_a_critical_warning_pauses_the_kiosk_until_acknowledged(browser, ops_server, page_watch: PageWatch) -> None:
    base_url, url = ops_server
    engine = make_engine(url)
    context, page = open_page(browser, base_url, "leader", page_watch)
    try:
        page.goto(base_url + "/screen-ops?area=321322&kiosk=1")
        page.wait_for_function("window.location.pathname === '/backlog'", timeout=30_000)  # the rotation runs
        wid = fresh_warning(engine, "browser:critical", WarningLevel.CRITICAL)  # a 重大 warning arrives
        banner = page.locator(f"#{AlertsPage.BANNER}")
        banner.wait_for(state="visible", timeout=45_000)
        assert "多人" in page.locator(f"#{AlertsPage.BANNER_TEXT}").inner_text()
        path = page.evaluate("window.location.pathname")
        page.wait_for_timeout(10_000)  # three kiosk periods: without the banner the page would have moved on
        assert page.evaluate("window.location.pathname") == path
        screenshot(page, "ops-banner-kiosk")
        scope = city(engine)
        ar.transition(engine, wid, WarningAction.ASSIGN, "leader", scope, datetime.now(),
                      unit=ar.unit_options(engine, wid, scope)[0])
        ar.transition(engine, wid, WarningAction.ACKNOWLEDGE, "leader", scope, datetime.now())
        banner.wait_for(state="hidden", timeout=45_000)
        page.wait_for_function(f"window.location.pathname !== {path!r}", timeout=30_000)  # the rotation resumes
    finally:
        context.close()
        engine.dispose()
    assert not page_watch.problems(), page_watch.problems()
