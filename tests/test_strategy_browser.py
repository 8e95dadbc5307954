"""Browser: the strategic pages at 1920×1080 — numbers equal the queries, clicks write the URL, back undoes them,
the wall screen hides the shell, and a county chief sees only the county. Screenshots go to artifacts/screenshots.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from browser_helpers import login, screenshot
from playwright.sync_api import expect

from dashboard.formatting import count_full, percent
from dashboard.ids import CampaignsPage, IndicatorsPage, Kpi, OpinionPage, PlanPage, ScreenIndicatorsPage
from data.filters import Period, city, find_area
from data.queries import campaigns as qc
from data.queries import indicators as qi
from data.queries import opinion as qo
from data.queries import plan as qp
from data.queries.base import Grain
from data.queries.resolution import buckets
from layouts.figures.indicators import format_value

YEAR = Period(date(2023, 1, 1), date(2023, 12, 31))  # the default view
AS_OF = date(2023, 12, 31)
WAIT = 20_000


def _text_is(page, element_id: str, want: str) -> None:
    page.wait_for_function(f"document.getElementById({str(element_id)!r})?.innerText === {want!r}", timeout=WAIT)


def _graph_data(page, graph_id: str, expr: str):
    return page.evaluate(f"(() => {{ const gd = document.querySelector('#{graph_id} .js-plotly-plot'); "
                         f"return gd && gd.data ? {expr} : null; }})()")


def _wait_traces(page, graph_id: str, condition: str) -> None:
    """Until `condition` (JS over `gd`) holds for the graph. A graph first plots an empty figure, so a trace the
    condition names may not exist yet: that is "not yet", not an error thrown into the page."""
    page.wait_for_function(f"(() => {{ const gd = document.querySelector('#{graph_id} .js-plotly-plot');"
                           f" try {{ return !!(gd && gd.data && ({condition})); }} catch (e) {{ return false; }} }})()",
                           timeout=WAIT)


def _wait_graph(page, graph_id: str) -> None:
    page.wait_for_function(f"document.querySelector('#{graph_id} .js-plotly-plot')?.data?.length > 0", timeout=WAIT)


def test_indicators_tiles_equal_the_query_and_a_row_click_selects_the_series(page, live_server, demo_engine) -> None:
    latest = qi.latest_values(demo_engine, city(demo_engine), YEAR).set_index("code")
    want = format_value(latest.loc["crime_rate", "value"], latest.loc["crime_rate", "unit"])
    page.goto(live_server + "/indicators")
    _text_is(page, Kpi.VALUE.of("ind_crime_rate"), want)
    _text_is(page, IndicatorsPage.SERIES_TITLE, "刑事案件发案率走势")
    for graph in (IndicatorsPage.SERIES, IndicatorsPage.RANKS, IndicatorsPage.SURVEY):
        _wait_graph(page, graph)
    assert _graph_data(page, IndicatorsPage.SERIES, "Array.from(gd._fullData[0].y)") == [
        9.38, 7.0, latest.loc["crime_rate", "value"]]
    assert sorted(_graph_data(page, IndicatorsPage.RANKS, "gd.data.map(t => t.name)")) == sorted(
        ["反诈知晓率", "刑事案件发案总量", "未成年人犯罪人数"])
    page.wait_for_timeout(400)
    screenshot(page, "strategy-indicators", full_page=True)

    page.locator(f"#{IndicatorsPage.TABLE} tr", has_text="反诈知晓率").first.click()
    page.wait_for_function("location.search.includes('ind=fraud_awareness')", timeout=WAIT)
    _text_is(page, IndicatorsPage.SERIES_TITLE, "反诈知晓率走势")
    series = qi.indicator_series(demo_engine, city(demo_engine), "fraud_awareness")
    page.wait_for_function(f"(() => {{ const gd = document.querySelector('#{IndicatorsPage.SERIES} .js-plotly-plot');"
                           f" return gd && gd._fullData && gd._fullData[0].y.length === {len(series)}"
                           f" && gd._fullData[0].y[4] === 78.41; }})()",
                           timeout=WAIT)
    expect(page.locator(f"#{IndicatorsPage.TABLE} tr.ind-row-selected")).to_contain_text("反诈知晓率")
    page.go_back()
    page.wait_for_function("!location.search.includes('ind=')", timeout=WAIT)
    _text_is(page, IndicatorsPage.SERIES_TITLE, "刑事案件发案率走势")


def test_campaign_row_click_shows_its_targets_and_comparison(page, live_server, demo_engine) -> None:
    area = city(demo_engine)
    listing = qc.campaign_list(demo_engine, area, YEAR)
    page.goto(live_server + "/campaigns")
    _text_is(page, CampaignsPage.TITLE, listing["name"].iloc[0])
    expect(page.locator(f"#{CampaignsPage.LIST} tbody tr")).to_have_count(len(listing))
    page.locator(f"#{CampaignsPage.LIST} tr", has_text="大排查大起底大化解").click()
    page.wait_for_function("location.search.includes('campaign=dpc')", timeout=WAIT)
    _text_is(page, CampaignsPage.TITLE, "大排查大起底大化解")
    targets = qc.campaign_targets(demo_engine, area, "dpc").set_index("metric")
    found = count_full(targets.loc["found", "actual"])
    _wait_traces(page, CampaignsPage.TARGETS, f"gd.data[0].text[0].startsWith('{found} 件')")
    phases = qc.before_after(demo_engine, area, "dpc")
    first_rate = f"{phases['rate'].iloc[0]:.1f}%"
    _wait_traces(page, CampaignsPage.BEFORE_AFTER,
                 f"gd.data[1].text[0] === '{first_rate}' && gd.data[0].x.length === {len(phases)}")
    rates = _graph_data(page, CampaignsPage.BEFORE_AFTER, "Array.from(gd._fullData[1].y)")
    assert rates == pytest.approx(list(phases["rate"]))
    _wait_graph(page, CampaignsPage.TIMELINE)
    page.wait_for_timeout(400)
    screenshot(page, "strategy-campaigns", full_page=True)
    page.go_back()
    page.wait_for_function("!location.search.includes('campaign=')", timeout=WAIT)
    _text_is(page, CampaignsPage.TITLE, listing["name"].iloc[0])


def test_plan_domain_click_filters_the_page_and_the_chip_clears_it(page, live_server, demo_engine) -> None:
    items = qp.plan_items(demo_engine, city(demo_engine), AS_OF)
    page.goto(live_server + "/plan")
    _text_is(page, Kpi.VALUE.of("plan_items"), str(len(items)))
    _text_is(page, Kpi.VALUE.of("plan_late"), str(int((items["status"] == "late").sum())))
    expect(page.locator(f"#{PlanPage.LATE} li")).to_have_count(int((items["status"] == "late").sum()))
    _wait_graph(page, PlanPage.DOMAINS)
    _wait_graph(page, PlanPage.TIMELINE)
    page.wait_for_timeout(400)
    screenshot(page, "strategy-plan", full_page=True)

    # click the "按期推进" segment of the first domain's bar, as a person would
    bar = page.locator(f"#{PlanPage.DOMAINS} g.trace.bars").nth(1).locator("path").first.bounding_box()
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)  # plotly's drag layer takes the click
    page.wait_for_function("location.search.includes('domain=risk')", timeout=WAIT)
    expect(page.locator(f"#{PlanPage.CHIP}")).to_be_visible()
    _text_is(page, PlanPage.CHIP_LABEL, "防范化解重大风险")
    risk = items[items["domain_code"] == "risk"]
    _text_is(page, Kpi.VALUE.of("plan_items"), str(len(risk)))
    expect(page.locator(f"#{PlanPage.TABLE} tbody tr")).to_have_count(len(risk))
    page.locator(f"#{PlanPage.CHIP_CLEAR}").click()
    page.wait_for_function("!location.search.includes('domain=')", timeout=WAIT)
    _text_is(page, Kpi.VALUE.of("plan_items"), str(len(items)))
    expect(page.locator(f"#{PlanPage.CHIP}")).to_be_hidden()


def test_opinion_tiles_equal_the_query_and_the_grain_toggle_round_trips(page, live_server, demo_engine) -> None:
    kpis = qo.opinion_kpis(demo_engine, city(demo_engine), YEAR).iloc[0]
    page.goto(live_server + "/opinion")
    _text_is(page, Kpi.VALUE.of("op_volume"), count_full(kpis["volume"]))
    _text_is(page, Kpi.VALUE.of("op_negative_share"), percent(kpis["negative_share"], 1))
    months = len(buckets(YEAR, Grain.MONTH))
    _wait_traces(page, OpinionPage.VOLUME, f"gd.data[0].x.length === {months}")
    for graph in (OpinionPage.VS_CASES, OpinionPage.TOPICS, OpinionPage.AREAS, OpinionPage.SOURCES, OpinionPage.ACCOUNTS):
        _wait_graph(page, graph)
    surges = len(qo.opinion_surges(demo_engine, city(demo_engine), YEAR))
    expect(page.locator(f"#{OpinionPage.SURGES} li")).to_have_count(surges)
    _text_is(page, Kpi.VALUE.of("op_surges"), str(surges))  # its own callback, beside the other four tiles
    assert page.locator(".op-tiles .kpi").count() == 5
    page.wait_for_timeout(400)
    screenshot(page, "strategy-opinion", full_page=True)

    page.get_by_role("button", name="按周").click()
    page.wait_for_function("location.search.includes('grain=week')", timeout=WAIT)
    weeks = len(buckets(YEAR, Grain.WEEK))
    _wait_traces(page, OpinionPage.VS_CASES, f"gd.data[0].x.length === {weeks} && gd.data[2].x.length === {weeks}")
    expect(page.get_by_role("button", name="按周")).to_have_class(re.compile(r"\bactive\b"))
    page.go_back()
    page.wait_for_function("!location.search.includes('grain=')", timeout=WAIT)
    _wait_traces(page, OpinionPage.VOLUME, f"gd.data[0].x.length === {months}")


def test_the_indicator_wall_screen_fills_the_canvas_and_hides_the_shell(page, live_server, demo_engine) -> None:
    items = qp.plan_items(demo_engine, city(demo_engine), AS_OF)
    kpis = qo.opinion_kpis(demo_engine, city(demo_engine), YEAR).iloc[0]
    page.goto(live_server + "/screen-indicators")
    _text_is(page, Kpi.VALUE.of("sind_plan"), f"{int((items['status'] == 'done').sum())}/{len(items)}")
    _text_is(page, Kpi.VALUE.of("sind_opinion_volume"), count_full(kpis["volume"]))
    for graph in (ScreenIndicatorsPage.CRIME, ScreenIndicatorsPage.FRAUD, ScreenIndicatorsPage.RANKS,
                  ScreenIndicatorsPage.PLAN, ScreenIndicatorsPage.OPINION):
        _wait_graph(page, graph)
    expect(page.locator(".cc-header")).to_be_hidden()
    box = page.locator(f"#{ScreenIndicatorsPage.CANVAS}").bounding_box()
    assert box is not None and (round(box["width"]), round(box["height"])) == (1920, 1080)
    expect(page.locator(f"#{ScreenIndicatorsPage.TIERS}")).to_contain_text("全省第一方阵")
    page.wait_for_timeout(600)
    screenshot(page, "strategy-screen-indicators")
    page.locator(f"#{ScreenIndicatorsPage.EXIT}").click()
    page.wait_for_function("location.pathname === '/indicators'", timeout=WAIT)
    expect(page.locator(".cc-header")).to_be_visible()


@pytest.fixture
def chief_page(browser, live_server, page_watch):
    """A 1920×1080 page logged in as the chief of 沭阳县 (321322), watched like `page`."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    login(context, live_server, "chief-321322")
    page_watch.attach(context)
    chief = context.new_page()
    page_watch.watch_page(chief)
    yield chief
    context.close()
    assert not page_watch.problems(), page_watch.problems()


def test_a_county_chief_sees_only_the_county(chief_page, live_server, demo_engine) -> None:
    county = find_area(demo_engine, "321322")
    page = chief_page
    page.goto(live_server + "/opinion?area=321300&from=2023-01-01&to=2023-12-31")  # asks for the whole city
    kpis = qo.opinion_kpis(demo_engine, county, YEAR).iloc[0]
    _text_is(page, Kpi.VALUE.of("op_volume"), count_full(kpis["volume"]))
    expect(page.locator(f"#{OpinionPage.CONTEXT}")).to_contain_text("沭阳县")
    _wait_graph(page, OpinionPage.AREAS)
    names = _graph_data(page, OpinionPage.AREAS, "gd.data[0].y")
    assert names and all(n not in names for n in ("宿城区", "宿豫区", "泗阳县", "泗洪县"))
    page.wait_for_timeout(300)
    screenshot(page, "strategy-opinion-chief", full_page=True)

    page.goto(live_server + "/indicators?area=321324")
    latest = qi.latest_values(demo_engine, county, YEAR).set_index("code")
    _text_is(page, Kpi.VALUE.of("ind_crime_rate"), format_value(latest.loc["crime_rate", "value"], "件/万人"))

    page.goto(live_server + "/plan")
    items = qp.plan_items(demo_engine, county, AS_OF)
    expect(page.locator(f"#{PlanPage.TABLE} tbody tr")).to_have_count(len(items))
    expect(page.locator(f"#{PlanPage.TABLE}")).to_contain_text("推进矛盾纠纷多元化解试点")  # the county's own item
    expect(page.locator(f"#{PlanPage.TABLE}")).not_to_contain_text("推进网格化服务管理示范")  # 泗洪县's item


def test_another_county_chief_cannot_open_a_campaign_of_shuyang(browser, live_server, demo_engine, page_watch) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    login(context, live_server, "chief-321302")
    page_watch.attach(context)
    page = context.new_page()
    page.goto(live_server + "/campaigns?campaign=sy_property")  # a forged link to 沭阳县's campaign
    listing = qc.campaign_list(demo_engine, find_area(demo_engine, "321302"), YEAR)
    _text_is(page, CampaignsPage.TITLE, listing["name"].iloc[0])
    expect(page.locator(f"#{CampaignsPage.LIST}")).not_to_contain_text("沭阳县物业纠纷专项治理")
    context.close()
    assert not page_watch.problems(), page_watch.problems()
