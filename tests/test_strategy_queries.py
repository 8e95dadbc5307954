"""Strategic pages' queries against independent counts written as raw SQL, on the small demo (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import statistics
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import text

from data.filters import Period, city, find_area
from data.queries import campaigns as qc
from data.queries import indicators as qi
from data.queries import opinion as qo
from data.queries import plan as qp
from data.queries.base import Grain
from data.queries.resolution import buckets

YEAR = Period(date(2023, 1, 1), date(2023, 12, 31))
AS_OF = date(2023, 12, 31)


def _scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _rows(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


# --- indicators -----------------------------------------------------------------------------------------


def test_latest_values_are_the_last_rows_reported_by_the_view_end(small_db) -> None:
    area = city(small_db)
    latest = qi.latest_values(small_db, area, Period(date(2022, 1, 1), date(2022, 12, 31)))
    raw = _rows(small_db, "SELECT v.indicator_code, v.period_key, v.value FROM indicator_values v WHERE v.area_code = :a "
                          "AND v.period_end <= :end AND v.period_start = (SELECT MAX(w.period_start) FROM indicator_values w "
                          "WHERE w.indicator_code = v.indicator_code AND w.area_code = v.area_code AND w.period_end <= :end)",
                a=area.code, end=date(2022, 12, 31))
    assert {(c, k, round(v, 6)) for c, k, v in raw} == {
        (r.code, r.period_key, round(r.value, 6)) for r in latest.itertuples()}
    crime = latest.set_index("code").loc["crime_rate"]
    assert (crime["period_key"], crime["value"], crime["previous_value"]) == ("2022", 7.0, 9.38)
    assert crime["improved"]  # lower is better and it fell (None or False would fail)


def test_indicator_series_and_ranks_match_the_rows(small_db) -> None:
    area = city(small_db)
    series = qi.indicator_series(small_db, area, "fraud_awareness")
    raw = _rows(small_db, "SELECT period_key, value FROM indicator_values WHERE indicator_code = 'fraud_awareness' "
                          "AND area_code = :a ORDER BY period_start", a=area.code)
    assert list(zip(series["period_key"], series["value"], strict=True)) == [(k, v) for k, v in raw]
    assert set(series["target"]) == {80.0}  # the indicator's target where the row has none
    ranks = qi.rank_series(small_db, area)
    n = _scalar(small_db, "SELECT COUNT(*) FROM indicator_values WHERE area_code = :a AND province_rank IS NOT NULL",
                a=area.code)
    assert len(ranks) == n > 0


def test_a_township_view_shows_its_county_values(small_db) -> None:
    township = find_area(small_db, "321322101")
    shown = qi.value_area(small_db, township)
    assert shown.code == "321322000000"
    n = _scalar(small_db, "SELECT COUNT(*) FROM indicator_values WHERE area_code = '321322000000'")
    assert len(qi.indicator_series(small_db, township, "crime_rate")) == _scalar(
        small_db, "SELECT COUNT(*) FROM indicator_values WHERE area_code = '321322000000' AND indicator_code = 'crime_rate'")
    assert n > 0
    assert qi.rank_series(small_db, township).empty  # ranks are published for the city only


@pytest.mark.parametrize("summaries", [True, False])
@pytest.mark.parametrize("code", ["321300", "321324"])
def test_survey_vs_cases_counts_the_cases_of_each_survey_period(small_db, code: str, summaries: bool,
                                                                monkeypatch) -> None:
    """From the daily summary (city, county) and from the case table: both equal the raw count."""
    area = find_area(small_db, code)
    if not summaries:
        monkeypatch.setattr(qi, "uses_summaries", lambda _engine, _area: False)
    assert qi.uses_summaries(small_db, area) == summaries
    frame = qi.survey_vs_cases(small_db, area, YEAR)
    assert set(frame["period_key"]) == {"2023H1", "2023H2"}
    where = "" if code == "321300" else "AND county_code = :c"
    for r in frame.itertuples():
        kinds, outcomes = {"mediation_success": (("dispute",), ("mediated",)),
                           "dispute_resolution": (("dispute", "petition"), ("mediated", "resolved")),
                           "security_resolution": (("security",), ("mediated", "resolved"))}[r.case_metric]
        p = Period(r.period_start, r.period_end)
        kind_list = ", ".join(f"'{k}'" for k in kinds)
        out_list = ", ".join(f"'{o}'" for o in outcomes)
        closed, success = _rows(small_db, f"SELECT COUNT(*), SUM(CASE WHEN outcome IN ({out_list}) THEN 1 ELSE 0 END) "
                                          f"FROM cases WHERE kind IN ({kind_list}) AND closed_at >= :lo AND closed_at < :hi {where}",
                                lo=p.lo, hi=p.hi, c=area.code)[0]
        assert (r.case_closed, r.case_success) == (closed, success or 0)
        assert r.case_rate == pytest.approx(100.0 * success / closed)


# --- campaigns ------------------------------------------------------------------------------------------

CAMPAIGN_SQL = ("SELECT COUNT(*), SUM(CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN outcome IN ('mediated', 'resolved') THEN 1 ELSE 0 END) FROM cases "
                "WHERE reported_at >= :lo AND reported_at < :hi AND {cats} {area}")


def _campaign_counts(engine, code: str, window: Period, county: str | None) -> tuple[int, int, int]:
    cats = _rows(engine, "SELECT kind, category FROM campaign_categories cc JOIN campaigns c ON c.id = cc.campaign_id "
                         "WHERE c.code = :code", code=code)
    cat_sql = "(" + " OR ".join(f"(kind = '{k}' AND category = '{c}')" for k, c in cats) + ")"
    areas = [a for (a,) in _rows(engine, "SELECT area_code FROM campaign_areas ca JOIN campaigns c ON c.id = ca.campaign_id "
                                        "WHERE c.code = :code", code=code)]
    area_sql = ""
    if county is not None:
        area_sql = "AND county_code = :county"
    elif not any(a.endswith("00000000") for a in areas):
        area_sql = "AND county_code IN (" + ", ".join(f"'{a}'" for a in areas) + ")"
    found, closed, resolved = _rows(engine, CAMPAIGN_SQL.format(cats=cat_sql, area=area_sql), lo=window.lo, hi=window.hi,
                                    county=county)[0]
    return int(found), int(closed or 0), int(resolved or 0)


@pytest.mark.parametrize("code", ["321300", "321322", "321302"])
def test_campaign_list_counts_each_campaign_in_its_own_window_and_the_view(small_db, code: str) -> None:
    area = find_area(small_db, code)
    listing = qc.campaign_list(small_db, area, YEAR)
    county = None if code == "321300" else area.code
    for r in listing.itertuples():
        want = _campaign_counts(small_db, r.code, Period(r.start_date, r.end_date), county)
        assert (r.found, r.closed, r.resolved) == want, r.code
    # the Shuyang county campaign is listed for the city and Shuyang, never for another county
    assert ("sy_property" in set(listing["code"])) == (code in ("321300", "321322"))
    assert "centenary" not in set(listing["code"])  # 2021: outside the view's period
    # the charts pick their campaign from the same choices, in the same order, without the counts
    for period in (YEAR, Period(date(2021, 1, 1), AS_OF)):
        full = qc.campaign_list(small_db, area, period)
        choices = qc.campaign_choices(small_db, area, period)
        pd.testing.assert_frame_equal(choices, full[["code", "name", "start_date", "end_date"]])


def test_before_after_windows_have_the_campaign_length_and_raw_counts(small_db) -> None:
    area = city(small_db)
    phases = qc.before_after(small_db, area, "dpc").set_index("phase")
    days = (date(2023, 8, 31) - date(2023, 3, 1)).days + 1
    assert phases.loc["during", "days"] == phases.loc["before", "days"] == days
    assert phases.loc["after", "end"] == AS_OF  # cut at the data's as-of date
    for phase, row in phases.iterrows():
        want = _campaign_counts(small_db, "dpc", Period(row["start"], row["end"]), None)
        assert (row["found"], row["closed"], row["resolved"]) == want, phase
    # the long campaign's before-window is cut at the data's first day
    xcdp = qc.before_after(small_db, area, "xcdp").set_index("phase")
    first = _scalar(small_db, "SELECT MIN(reported_at) FROM cases")
    assert xcdp.loc["before", "start"] == (first if isinstance(first, datetime) else datetime.fromisoformat(str(first))).date()


def test_campaign_targets_use_the_phase_figures(small_db) -> None:
    area = city(small_db)
    targets = qc.campaign_targets(small_db, area, "dpc").set_index("metric")
    phases = qc.before_after(small_db, area, "dpc").set_index("phase")
    assert targets.loc["found", "actual"] == phases.loc["during", "found"]
    assert targets.loc["resolution_rate", "actual"] == pytest.approx(phases.loc["during", "rate"])
    assert targets.loc["manual", "actual"] == 4 and bool(targets.loc["manual", "shown"])
    county = qc.campaign_targets(small_db, find_area(small_db, "321302"), "dpc").set_index("metric")
    assert not bool(county.loc["manual", "shown"])  # a city-wide workload is not shown to a county view
    assert not bool(county.loc["found", "comparable"]) and bool(county.loc["resolution_rate", "comparable"])


def test_campaign_timeline_adds_up_to_the_span(small_db) -> None:
    area = city(small_db)
    timeline = qc.campaign_timeline(small_db, area, "dpc")
    phases = qc.before_after(small_db, area, "dpc")
    span = Period(phases["start"].min(), phases["end"].max())
    assert int(timeline["found"].sum()) == _campaign_counts(small_db, "dpc", span, None)[0]
    assert list(timeline["month"]) == buckets(span, Grain.MONTH)


def test_campaign_counts_from_the_summaries_equal_the_case_table(small_db, monkeypatch) -> None:
    """Views down to a township read sum_cases; a village reads the case table: both give the same figures."""
    with small_db.connect() as conn:
        township, village = conn.execute(text("SELECT township_code, village_code FROM cases WHERE county_code = :c "
                                              "ORDER BY id LIMIT 1"), {"c": find_area(small_db, "321322").code}).one()
    views = [city(small_db), *(find_area(small_db, c) for c in ("321322", "321302", township))]
    assert all(qc._source(small_db, s, v) is qc.CELLS for v in views for s in qc._scopes(small_db, v))
    assert all(qc._source(small_db, s, find_area(small_db, village)) is qc.CASES
               for s in qc._scopes(small_db, find_area(small_db, village)))

    def records(frame) -> list[dict]:
        return frame.astype(object).where(frame.notna(), None).to_dict("records")  # NaN != NaN

    def answers() -> list:
        out = []
        for view in (*views, find_area(small_db, village)):
            out.append(records(qc.campaign_list(small_db, view, Period(date(2021, 1, 1), AS_OF))))
            for code in ("dpc", "xcdp", "sy_property"):
                out.append(records(qc.before_after(small_db, view, code)))
                out.append(records(qc.campaign_timeline(small_db, view, code)))
        return out

    from_summaries = answers()
    monkeypatch.setattr(qc, "summaries_fresh", lambda _engine: False)
    assert answers() == from_summaries
    assert sum(r["found"] for rows in from_summaries for r in rows if "found" in r) > 0


def test_a_campaign_of_another_county_is_not_found_for_a_chief_view(small_db) -> None:
    assert qc.find_campaign(small_db, find_area(small_db, "321302"), "sy_property") is None
    assert qc.campaign_targets(small_db, find_area(small_db, "321302"), "sy_property").empty


# --- plan -----------------------------------------------------------------------------------------------

LATE_SQL = ("SELECT COUNT(DISTINCT i.id) FROM plan_items i JOIN plan_milestones m ON m.item_id = i.id "
            "WHERE m.due_date < :d AND (m.done_at IS NULL OR m.done_at > :d) {area}")
DONE_SQL = ("SELECT COUNT(*) FROM plan_items i {area_where} NOT EXISTS (SELECT 1 FROM plan_milestones m "
            "WHERE m.item_id = i.id AND (m.done_at IS NULL OR m.done_at > :d))")


@pytest.mark.parametrize(("code", "when"), [("321300", AS_OF), ("321300", date(2023, 6, 30)), ("321322", AS_OF)])
def test_plan_statuses_match_the_milestones(small_db, code: str, when: date) -> None:
    area = find_area(small_db, code)
    items = qp.plan_items(small_db, area, when)
    area_sql = "" if code == "321300" else "AND i.area_code IN ('321300000000', :c)"
    where = "WHERE" if code == "321300" else "WHERE i.area_code IN ('321300000000', :c) AND"
    assert len(items) == _scalar(small_db, "SELECT COUNT(*) FROM plan_items i " + (
        "" if code == "321300" else "WHERE i.area_code IN ('321300000000', :c)"), c=area.code)
    assert (items["status"] == "late").sum() == _scalar(small_db, LATE_SQL.format(area=area_sql), d=when, c=area.code)
    assert (items["status"] == "done").sum() == _scalar(small_db, DONE_SQL.format(area_where=where), d=when, c=area.code)
    by_domain = qp.plan_by_domain(small_db, area, when)
    assert int(by_domain["total"].sum()) == len(items)


def test_the_demo_plan_has_four_domains_and_31_items(small_db) -> None:
    items = qp.plan_items(small_db, city(small_db), AS_OF)
    assert len(items) == 31 and items["domain_code"].nunique() == 4
    assert set(items["status"]) == {"done", "on_track", "late"}
    chief = qp.plan_items(small_db, find_area(small_db, "321302"), AS_OF)
    assert set(chief["area_code"]) == {"321300000000", "321302000000"}  # the city's items and its own only


# --- opinion --------------------------------------------------------------------------------------------

MEDIA_WHERE = "published_at >= :lo AND published_at < :hi {area}"


def _media_where(code: str) -> str:
    return MEDIA_WHERE.format(area="" if code == "321300" else "AND county_code = :c")


@pytest.mark.parametrize("code", ["321300", "321324"])
def test_opinion_kpis_sources_and_areas_match_raw_counts(small_db, code: str) -> None:
    area = find_area(small_db, code)
    args = {"lo": YEAR.lo, "hi": YEAR.hi, "c": area.code}
    where = _media_where(code)
    volume, negative, reach = _rows(small_db, f"SELECT COUNT(*), SUM(CASE WHEN sentiment = 'negative' THEN 1 ELSE 0 END), "
                                              f"SUM(reach) FROM media_items WHERE {where}", **args)[0]
    kpis = qo.opinion_kpis(small_db, area, YEAR).iloc[0]
    assert (kpis["volume"], kpis["negative"], kpis["reach"]) == (volume, negative, reach)
    assert kpis["negative_share"] == pytest.approx(100.0 * negative / volume)
    sources = dict(_rows(small_db, f"SELECT source, COUNT(*) FROM media_items WHERE {where} GROUP BY source", **args))
    assert dict(zip(qo.opinion_by_source(small_db, area, YEAR)["source"],
                    qo.opinion_by_source(small_db, area, YEAR)["volume"], strict=True)) == sources
    by_area = qo.opinion_by_area(small_db, area, YEAR)
    assert int(by_area["volume"].sum()) == volume


def test_opinion_kind_filter_keeps_items_of_topics_of_that_kind(small_db) -> None:
    area = city(small_db)
    n = _scalar(small_db, "SELECT COUNT(*) FROM media_items WHERE kind = 'petition' AND published_at >= :lo "
                          "AND published_at < :hi", lo=YEAR.lo, hi=YEAR.hi)
    assert qo.opinion_kpis(small_db, area, YEAR, ("petition",)).iloc[0]["volume"] == n > 0


@pytest.mark.parametrize("grain", [Grain.MONTH, Grain.WEEK])
def test_opinion_and_case_timelines_align_by_period(small_db, grain: Grain) -> None:
    """Both series have the same buckets, and each bucket holds exactly that period's items and cases."""
    area = find_area(small_db, "321324")
    period = Period(date(2023, 7, 1), date(2023, 9, 30))
    frame = qo.opinion_vs_cases(small_db, area, period, ("petition",), grain)
    assert list(frame["bucket"]) == buckets(period, grain)
    for i, start in enumerate(frame["bucket"]):
        end = frame["bucket"][i + 1] if i + 1 < len(frame) else period.end + timedelta(days=1)
        window = Period(max(start, period.start), end - timedelta(days=1))
        media = _scalar(small_db, "SELECT COUNT(*) FROM media_items WHERE county_code = :c AND kind = 'petition' "
                                  "AND published_at >= :lo AND published_at < :hi", c=area.code, lo=window.lo, hi=window.hi)
        cases = _scalar(small_db, "SELECT COUNT(*) FROM cases WHERE county_code = :c AND kind = 'petition' "
                                  "AND reported_at >= :lo AND reported_at < :hi", c=area.code, lo=window.lo, hi=window.hi)
        assert (frame["volume"][i], frame["intake"][i]) == (media, cases), start
    # the planted land-requisition surge of August 2023 is the peak of the opinion series, in its own bucket
    peak = frame.loc[frame["negative"].idxmax(), "bucket"]
    assert peak.month == 8


def test_hot_topics_count_by_topic_with_growth(small_db) -> None:
    area = city(small_db)
    topics = qo.hot_topics(small_db, area, YEAR).set_index("topic")
    raw = dict(_rows(small_db, "SELECT topic, COUNT(*) FROM media_items WHERE published_at >= :lo AND published_at < :hi "
                               "AND topic IS NOT NULL GROUP BY topic", lo=YEAR.lo, hi=YEAR.hi))
    assert topics["volume"].to_dict() == raw
    before = Period(date(2022, 1, 1), date(2022, 12, 31))
    prev = _scalar(small_db, "SELECT COUNT(*) FROM media_items WHERE topic = 'land' AND published_at >= :lo "
                             "AND published_at < :hi", lo=before.lo, hi=before.hi)
    assert topics.loc["land", "previous"] == prev
    assert topics.loc["land", "label"] == "征地拆迁"


def test_account_output_sums_the_months_of_the_period(small_db) -> None:
    county = find_area(small_db, "321322")
    frame = qo.account_output(small_db, county, YEAR)
    total = _scalar(small_db, "SELECT SUM(articles) FROM media_account_output WHERE county_code = :c AND month >= :lo "
                              "AND month <= :hi", c=county.code, lo=date(2023, 1, 1), hi=date(2023, 12, 31))
    assert int(frame["articles"].sum()) == total
    assert set(frame["unit"]) == {"沭阳政法"}  # a county sees its own account, not the city's


def test_negative_items_are_the_widest_reach_negative_ones(small_db) -> None:
    area = city(small_db)
    items = qo.negative_items(small_db, area, YEAR, limit=5)
    raw = [r for (r,) in _rows(small_db, "SELECT reach FROM media_items WHERE sentiment = 'negative' AND published_at >= :lo "
                                         "AND published_at < :hi ORDER BY reach DESC LIMIT 5", lo=YEAR.lo, hi=YEAR.hi)]
    assert list(items["reach"]) == raw


def test_opinion_surges_find_the_planted_surges_and_nothing_else(small_db) -> None:
    surges = qo.opinion_surges(small_db, city(small_db), Period(date(2021, 1, 1), date(2023, 12, 31)))
    assert set(zip(surges["county_name"], surges["topic"], strict=True)) == {("泗洪县", "land"), ("沭阳县", "property")}
    for r in surges.itertuples():
        week = Period(r.week_start, r.week_start + timedelta(days=6))
        negative = _scalar(small_db, "SELECT COUNT(*) FROM media_items WHERE county_code = :c AND topic = :t "
                                     "AND sentiment = 'negative' AND published_at >= :lo AND published_at < :hi",
                           c=r.county_code, t=r.topic, lo=week.lo, hi=week.hi)
        assert r.negative == negative >= qo.SURGE_MIN_NEGATIVE
        assert r.z >= qo.SURGE_Z
    chief = qo.opinion_surges(small_db, find_area(small_db, "321302"), Period(date(2021, 1, 1), date(2023, 12, 31)))
    assert chief.empty  # another county's surges are not visible from 宿城区


def _surges_by_loop(weekly, first: date, last: date) -> list[tuple]:
    """The surge rule spelled out week by week (the definition in data.queries.opinion's docstring)."""
    out = []
    counts = {(r.county_code, r.topic, r.week_start): r for r in weekly.itertuples()}
    for county, topic in sorted({(r.county_code, r.topic) for r in weekly.itertuples()}):
        week = first
        while week <= last:
            row = counts.get((county, topic, week))
            x = row.negative if row else 0
            history = [getattr(counts.get((county, topic, week - timedelta(weeks=k))), "negative", 0)
                       for k in range(1, qo.SURGE_WEEKS + 1)]
            median = statistics.median(history)
            mad = statistics.median([abs(h - median) for h in history])
            z = (x - median) / max(1.4826 * mad, 1.0)
            share = 100.0 * x / row.volume if row and row.volume else 0.0
            if x >= qo.SURGE_MIN_NEGATIVE and z >= qo.SURGE_Z and share >= qo.SURGE_MIN_SHARE:
                out.append((county, topic, week, x, row.volume, row.reach, float(median), float(mad), round(z, 2)))
            week += timedelta(weeks=1)
    return sorted(out, key=lambda r: (r[2], r[8]), reverse=True)


def test_surge_weeks_match_the_rule_week_by_week() -> None:
    """Random weekly series with planted spikes and gaps: the vectorised rule finds exactly the weeks the
    week-by-week definition finds (and some exist)."""
    rng = random.Random(3)
    monday = date(2023, 1, 2)
    rows = []
    for county in ("321302", "321322", "321324"):
        for topic in ("land", "wage", "school"):
            for w in range(-qo.SURGE_WEEKS, 40):
                if rng.random() < 0.2:
                    continue  # a week with no item at all
                negative = rng.choice([0, 1, 2, 3]) + (rng.choice([9, 14, 30]) if rng.random() < 0.08 else 0)
                rows.append((county, topic, monday + timedelta(weeks=w), negative,
                             negative + rng.randint(0, 6), rng.randint(0, 10_000)))
    weekly = pd.DataFrame(rows, columns=["county_code", "topic", "week_start", "negative", "volume", "reach"])
    last = monday + timedelta(weeks=39, days=3)
    got = qo.surge_weeks(weekly, monday, last)
    want = _surges_by_loop(weekly, monday, last)
    assert len(want) >= 3
    assert [(r.county_code, r.topic, r.week_start, r.negative, r.volume, r.reach, r.baseline_median, r.baseline_mad,
             r.z) for r in got.itertuples()] == want
    assert qo.surge_weeks(weekly.iloc[0:0], monday, last).empty


def test_planted_opinion_surge_is_found(small_db) -> None:
    """The demo's land-requisition surge of August 2023 (see the timeline test) is a surge in its county."""
    found = qo.opinion_surges(small_db, city(small_db), Period(date(2023, 7, 1), date(2023, 9, 30)))
    assert ((found["topic"] == "land") & (found["week_start"].map(lambda d: d.month) == 8)).any()
