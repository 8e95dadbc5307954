"""Browser: /overdue at 1920×1080 — tiles and table equal the queries; paging, sorting, filtering, the timeline
of a clicked case, and a drill from the area chart that the back button undoes."""

from __future__ import annotations

from datetime import date

from browser_helpers import screenshot

from dashboard.formatting import count_full
from dashboard.ids import Kpi, OverduePage
from data.filters import Period, city
from data.queries import overdue as q

YEAR_2023 = Period(date(2023, 1, 1), date(2023, 12, 31))
CASE_CELLS = f"#{OverduePage.TABLE} td[data-dash-column=case_no]"


def expected_page(engine, page: int = 0, sort_by=None, filter_query: str = "") -> q.TablePage:
    request = q.parse_table_request(page, q.PAGE_SIZE, sort_by or [], filter_query)
    return q.overdue_cases_page(engine, city(engine), YEAR_2023, (), request)


def wait_first_case(page, case_no: str) -> None:
    page.wait_for_function(
        "([sel, no]) => document.querySelector(sel)?.innerText === no", arg=[CASE_CELLS, case_no], timeout=15_000
    )


def shown_cases(page) -> list[str]:
    return page.locator(CASE_CELLS).all_inner_texts()


def open_overdue(page, live_server: str, engine) -> q.TablePage:
    first = expected_page(engine)
    page.goto(live_server + "/overdue")
    wait_first_case(page, first.rows["case_no"].iloc[0])
    return first


def test_tiles_table_paging_sorting_and_timeline(page, live_server, demo_engine) -> None:
    first = open_overdue(page, live_server, demo_engine)
    summary = q.overdue_summary(demo_engine, city(demo_engine), YEAR_2023).iloc[0]
    page.wait_for_function(f"document.getElementById('{Kpi.VALUE.of('overdue_total')}')?.innerText === "
                           f"'{count_full(summary['overdue'])}'", timeout=15_000)
    assert page.inner_text(f"#{Kpi.VALUE.of('overdue_red')}") == count_full(summary["red"])
    assert page.inner_text(f"#{Kpi.VALUE.of('overdue_due_24h')}") == count_full(summary["due_24h"])
    assert page.inner_text(f"#{Kpi.VALUE.of('overdue_due_48h')}") == count_full(summary["due_48h"])
    assert page.inner_text(f"#{OverduePage.TABLE_TOTAL}") == f"共 {count_full(first.total)} 件"
    assert first.total == summary["overdue"] > q.PAGE_SIZE
    assert shown_cases(page) == list(first.rows["case_no"])  # 15 rows, the server's first page, no more

    # Page forward: the second page is the query's second page.
    second = expected_page(demo_engine, page=1)
    page.locator(f"#{OverduePage.TABLE} button.next-page").click()
    wait_first_case(page, second.rows["case_no"].iloc[0])
    assert shown_cases(page) == list(second.rows["case_no"])

    # Sort by 逾期天数 (first click: ascending, fewest days first) — back to the first page.
    ascending = expected_page(demo_engine, sort_by=[{"column_id": "overdue_days", "direction": "asc"}])
    page.locator(f"#{OverduePage.TABLE} th[data-dash-column=overdue_days] .column-header--sort").click()
    wait_first_case(page, ascending.rows["case_no"].iloc[0])
    assert shown_cases(page) == list(ascending.rows["case_no"])
    days = [int(d) for d in page.locator(f"#{OverduePage.TABLE} td[data-dash-column=overdue_days]").all_inner_texts()]
    assert days == sorted(days) and days[0] >= 1

    # Click a case: its history appears beside the table, as the timeline query says.
    row = ascending.rows.iloc[2]
    page.locator(CASE_CELLS).nth(2).click()
    page.wait_for_function(f"document.getElementById('{OverduePage.TIMELINE_TITLE}')?.innerText.includes("
                           f"'{row['case_no']}')", timeout=15_000)
    timeline = q.case_timeline(demo_engine, city(demo_engine), YEAR_2023, int(row["id"]))
    items = page.locator(f"#{OverduePage.TIMELINE} li").all_inner_texts()
    assert len(items) == len(timeline) >= 4
    assert "登记" in items[0] and any("督办" in i for i in items)  # overdue cases carry at least a blue card
    assert page.locator(f"#{OverduePage.TIMELINE} li").first.is_visible()
    page.locator(".overdue-row.table").scroll_into_view_if_needed()
    screenshot(page, "overdue")


def test_filter_row_filters_on_the_server(page, live_server, demo_engine) -> None:
    open_overdue(page, live_server, demo_engine)
    want = expected_page(demo_engine, filter_query="{kind} scontains 信访 && {overdue_days} s> 300")
    assert 0 < want.total < q.PAGE_SIZE * 14
    kind = page.locator(f"#{OverduePage.TABLE} th.dash-filter[data-dash-column=kind] input[type=text]")
    kind.fill("信访")
    kind.press("Enter")
    days = page.locator(f"#{OverduePage.TABLE} th.dash-filter[data-dash-column=overdue_days] input[type=text]")
    days.fill("> 300")
    days.press("Enter")
    page.wait_for_function(f"document.getElementById('{OverduePage.TABLE_TOTAL}')?.innerText === "
                           f"'共 {count_full(want.total)} 件'", timeout=15_000)
    assert shown_cases(page) == list(want.rows["case_no"])
    assert set(page.locator(f"#{OverduePage.TABLE} td[data-dash-column=kind]").all_inner_texts()) == {"信访"}
    assert page.inner_text(f"#{OverduePage.TABLE_NOTICE}") == ""


def test_area_bar_drills_and_back_returns(page, live_server, demo_engine) -> None:
    open_overdue(page, live_server, demo_engine)
    by_child = q.overdue_by_child(demo_engine, city(demo_engine), YEAR_2023)
    top = by_child.iloc[0]
    page.wait_for_selector(f"#{OverduePage.BY_AREA} g.point path")
    page.locator(f"#{OverduePage.BY_AREA} g.point path").first.click(force=True)
    page.wait_for_function(f"window.location.search.includes('area={top['code'][:6]}')", timeout=15_000)
    page.wait_for_function(f"document.getElementById('{OverduePage.AREA_LABEL}')?.innerText === '{top['name']}'",
                           timeout=15_000)
    page.wait_for_function(f"document.getElementById('{Kpi.VALUE.of('overdue_total')}')?.innerText === "
                           f"'{count_full(top['overdue'])}'", timeout=15_000)
    page.go_back()
    page.wait_for_function(f"!window.location.search.includes('area={top['code'][:6]}')", timeout=15_000)
    page.wait_for_function(f"document.getElementById('{OverduePage.AREA_LABEL}')?.innerText === '宿迁市'",
                           timeout=15_000)


def test_periodic_refresh_keeps_page_and_selected_case(page, live_server, demo_engine) -> None:
    """When the data version changes (an import), the table refreshes without jumping back to page 1."""
    open_overdue(page, live_server, demo_engine)
    second = expected_page(demo_engine, page=1)
    page.locator(f"#{OverduePage.TABLE} button.next-page").click()
    wait_first_case(page, second.rows["case_no"].iloc[0])
    page.locator(CASE_CELLS).nth(1).click()
    chosen = second.rows["case_no"].iloc[1]
    page.wait_for_function(f"document.getElementById('{OverduePage.TIMELINE_TITLE}')?.innerText.includes("
                           f"'{chosen}')", timeout=15_000)

    def table_refresh(response) -> bool:
        body = response.request.post_data or ""
        return ("_dash-update-component" in response.url and f'"{OverduePage.TABLE}"' in body
                and '"changedPropIds":["shell-data-version.data"]' in body.replace(" ", ""))

    # New data arrives (an import): the heartbeat hands the page a new data version within seconds.
    from data.maintenance import after_cases_changed

    with page.expect_response(table_refresh, timeout=40_000):
        after_cases_changed(demo_engine)
    page.wait_for_function("!document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=15_000)
    assert shown_cases(page) == list(second.rows["case_no"])
    assert chosen in page.inner_text(f"#{OverduePage.TIMELINE_TITLE}")
