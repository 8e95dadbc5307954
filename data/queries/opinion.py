"""舆情监测 questions: media volume and tone over time, hot topics, by area and source, beside the case intake,
the political-legal accounts' own output, and negative surges for the risk early warning.

Definitions:
- an item counts in a period by its publication time, in an area when its known area lies in the area's
  subtree; items whose area is unknown count only in a view of the whole city;
- the kinds filter keeps the items whose topic relates to one of the chosen case kinds (see
  `data/lexicon/topics.json`); with no kind chosen every item counts;
- negative share: negative items / all items, in percent (NaN when there is none);
- opinion and cases are bucketed by the same SQL expression (`flow.bucket_start`), so a spike in either lines
  up with the other by period;
- a surge (`opinion_surges`) is a week whose negative items about one topic in one county stand out against the
  8 weeks before: robust z = (count − median) / max(1.4826 × MAD, 1) ≥ 3.5, with at least 8 negative items
  and a negative share of at least 50 % that week.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sqlalchemy import ColumnElement, Engine, and_, case, func, select, true

from data.filters import AreaRef, Period, kind_clause
from data.models import Area
from data.models_strategy import SENTIMENT_ORDER, MediaAccountOutput, MediaItem, Sentiment
from data.queries.base import (
    CASES,
    CHILD_COLUMN,
    DAILY,
    Grain,
    as_date,
    bucket_start,
    day_range,
    registered_in,
    summary_area,
    uses_summaries,
)
from data.queries.resolution import bucket_of, buckets
from data.sentiment import load_topics
from data.summaries import from_day_number
from data.vocab import Level

MEDIA = MediaItem.__table__
ACCOUNTS = MediaAccountOutput.__table__
AREAS = Area.__table__
LEVEL_COLUMN = {Level.COUNTY: "county_code", Level.TOWNSHIP: "township_code", Level.VILLAGE: "village_code",
                Level.GRID: "area_code"}
SURGE_WEEKS = 8
SURGE_Z = 3.5
SURGE_MIN_NEGATIVE = 8
SURGE_MIN_SHARE = 50.0
UNKNOWN_AREA = "未标注区域"


def media_in(area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> ColumnElement[bool]:
    """Items published in the period, in the area (unknown areas only for the city), about the kinds."""
    where = true() if area.level == Level.CITY else MEDIA.c[LEVEL_COLUMN[area.level]] == area.code
    return and_(MEDIA.c.published_at >= period.lo, MEDIA.c.published_at < period.hi, where, kind_clause(MEDIA, kinds))


def _tone_sums() -> list:
    """Count of each sentiment, as SQL sums labelled negative, neutral, positive."""
    return [func.coalesce(func.sum(case((MEDIA.c.sentiment == str(s), 1), else_=0)), 0).label(str(s))
            for s in SENTIMENT_ORDER]


def _share(negative: pd.Series | int, volume: pd.Series | int):
    if isinstance(volume, pd.Series):
        return (100.0 * negative / volume.where(volume > 0)).astype("float64")
    return 100.0 * negative / volume if volume else float("nan")


def opinion_kpis(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """The page's tiles in one row.

    Columns: volume, negative, neutral, positive, negative_share (percent), reach (sum), previous_volume,
    previous_negative_share (the same number of days just before the period).
    """
    before = Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))
    with engine.connect() as conn:
        now = conn.execute(select(func.count().label("volume"), *_tone_sums(),
                                  func.coalesce(func.sum(MEDIA.c.reach), 0).label("reach"))
                           .where(media_in(area, period, kinds))).one()
        then = conn.execute(select(func.count(), *_tone_sums()).where(media_in(area, before, kinds))).one()
    volume, negative = int(now.volume), int(now.negative)
    return pd.DataFrame([{"volume": volume, "negative": negative, "neutral": int(now.neutral),
                          "positive": int(now.positive), "negative_share": _share(negative, volume),
                          "reach": int(now.reach), "previous_volume": int(then[0]),
                          "previous_negative_share": _share(int(then[1]), int(then[0]))}])


def opinion_over_time(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (),
                      grain: Grain = Grain.WEEK) -> pd.DataFrame:
    """Items per week or month of the period, by tone.

    Columns: bucket (first day), volume, negative, neutral, positive, negative_share (percent, NaN if empty).
    Every bucket of the period is present (zeros when nothing was published).
    """
    bucket = bucket_start(engine, MEDIA.c.published_at, grain).label("bucket")
    stmt = select(bucket, func.count(), *_tone_sums()).where(media_in(area, period, kinds)).group_by(bucket)
    with engine.connect() as conn:
        got = {as_date(r[0]): tuple(int(v) for v in r[1:]) for r in conn.execute(stmt).all()}
    rows = [(b, *got.get(b, (0, 0, 0, 0))) for b in buckets(period, grain)]
    frame = pd.DataFrame(rows, columns=["bucket", "volume", *(str(s) for s in SENTIMENT_ORDER)])
    frame["negative_share"] = _share(frame["negative"], frame["volume"])
    return frame


def opinion_vs_cases(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (),
                     grain: Grain = Grain.WEEK) -> pd.DataFrame:
    """Opinion beside the case intake of the same area, kinds and buckets, so spikes line up.

    Columns: bucket, volume, negative (items), intake (cases registered, `base.registered_in`).
    """
    media = opinion_over_time(engine, area, period, kinds, grain)
    intake: dict[date, int] = {}
    if uses_summaries(engine, area):  # a city's or county's daily intake, bucketed here
        t = DAILY
        stmt = (select(t.c.day, func.sum(t.c.registered))
                .where(day_range(t, period), summary_area(t, area), kind_clause(t, kinds), t.c.registered > 0)
                .group_by(t.c.day))
        with engine.connect() as conn:
            for day, n in conn.execute(stmt).all():
                b = bucket_of(from_day_number(day), grain)
                intake[b] = intake.get(b, 0) + int(n)
    else:
        bucket = bucket_start(engine, CASES.c.reported_at, grain).label("bucket")
        stmt = select(bucket, func.count()).where(registered_in(area, period, kinds)).group_by(bucket)
        with engine.connect() as conn:
            intake = {as_date(b): int(n) for b, n in conn.execute(stmt).all()}
    media["intake"] = [intake.get(b, 0) for b in media["bucket"]]
    return media[["bucket", "volume", "negative", "intake"]]


def hot_topics(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Topics (keyword clusters) by volume in the period, with tone and growth on the period before.

    Columns: topic, label, keywords, kind, volume, negative, negative_share, reach, previous, growth (percent,
    NaN when the previous volume is 0). Most items first; topics with no item are left out.
    """
    before = Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))
    in_now = case((MEDIA.c.published_at >= period.lo, 1), else_=0)
    stmt = (select(MEDIA.c.topic, func.sum(in_now),
                   func.sum(case((and_(MEDIA.c.published_at >= period.lo,
                                       MEDIA.c.sentiment == str(Sentiment.NEGATIVE)), 1), else_=0)),
                   func.sum(case((MEDIA.c.published_at >= period.lo, MEDIA.c.reach), else_=0)),
                   func.sum(1 - in_now))
            .where(MEDIA.c.topic.is_not(None), media_in(area, Period(before.start, period.end), kinds))
            .group_by(MEDIA.c.topic))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    topics = {t.code: t for t in load_topics()}
    out = [{"topic": t, "label": topics[t].label if t in topics else t,
            "keywords": "、".join(topics[t].keywords) if t in topics else "", "kind": topics[t].kind if t in topics
            else None, "volume": int(v), "negative": int(n), "reach": int(r), "previous": int(p)}
           for t, v, n, r, p in rows if int(v) > 0]
    frame = pd.DataFrame(out, columns=["topic", "label", "keywords", "kind", "volume", "negative", "reach",
                                       "previous"])
    frame["negative_share"] = _share(frame["negative"], frame["volume"])
    frame["growth"] = (100.0 * (frame["volume"] - frame["previous"]) / frame["previous"].where(frame["previous"] > 0)
                       ).astype("float64")
    return frame.sort_values(["volume", "topic"], ascending=[False, True], kind="stable").reset_index(drop=True)


def opinion_by_area(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Items per child area of the view (items known only at the view's own level form one more row).

    Columns: code (None for the extra row), name, volume, negative, negative_share. Most items first.
    """
    if area.level == Level.GRID:
        return pd.DataFrame(columns=["code", "name", "volume", "negative", "negative_share"])
    child = MEDIA.c[CHILD_COLUMN[area.level] if area.level != Level.VILLAGE else "area_code"]
    if area.level == Level.VILLAGE:
        child = case((func.length(MEDIA.c.area_code) == 15, MEDIA.c.area_code), else_=None)
    key = child.label("code")
    negative = func.coalesce(func.sum(case((MEDIA.c.sentiment == str(Sentiment.NEGATIVE), 1), else_=0)), 0)
    stmt = select(key, func.count(), negative).where(media_in(area, period, kinds)).group_by(key)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        names = dict(conn.execute(select(AREAS.c.code, AREAS.c.name).where(
            AREAS.c.code.in_([r[0] for r in rows if r[0] is not None]))).all())
    own = "（" + ("全市未标注" if area.level == Level.CITY else f"{area.name}本级") + "）"
    frame = pd.DataFrame([{"code": c, "name": names.get(c, c) if c else own, "volume": int(v), "negative": int(n)}
                          for c, v, n in rows], columns=["code", "name", "volume", "negative"])
    frame["negative_share"] = _share(frame["negative"], frame["volume"])
    return frame.sort_values(["volume", "name"], ascending=[False, True], kind="stable").reset_index(drop=True)


def opinion_by_source(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Items per source (微博, 微信 …) by tone.

    Columns: source, volume, negative, neutral, positive, negative_share.
    """
    stmt = select(MEDIA.c.source, func.count(), *_tone_sums()).where(media_in(area, period, kinds)).group_by(
        MEDIA.c.source)
    with engine.connect() as conn:
        rows = [(s, *(int(v) for v in rest)) for s, *rest in conn.execute(stmt).all()]
    frame = pd.DataFrame(rows, columns=["source", "volume", *(str(s) for s in SENTIMENT_ORDER)])
    frame["negative_share"] = _share(frame["negative"], frame["volume"])
    return frame.sort_values(["volume", "source"], ascending=[False, True], kind="stable").reset_index(drop=True)


def negative_items(engine: Engine, area: AreaRef, period: Period, kinds: tuple[str, ...] = (),
                   limit: int = 12) -> pd.DataFrame:
    """The negative items of the period with the widest reach (what a duty officer reads first).

    Columns: id, published_at, source, title, area_name, reach, topic, sentiment_score.
    """
    stmt = (select(MEDIA.c.id, MEDIA.c.published_at, MEDIA.c.source, MEDIA.c.title, AREAS.c.name, MEDIA.c.reach,
                   MEDIA.c.topic, MEDIA.c.sentiment_score)
            .outerjoin(AREAS, AREAS.c.code == MEDIA.c.area_code)
            .where(media_in(area, period, kinds), MEDIA.c.sentiment == str(Sentiment.NEGATIVE))
            .order_by(MEDIA.c.reach.desc(), MEDIA.c.published_at.desc(), MEDIA.c.id).limit(limit))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=["id", "published_at", "source", "title", "area_name", "reach", "topic",
                                       "sentiment_score"])


def account_output(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Articles the political-legal accounts published in the months the period touches, per unit and platform.

    Columns: unit, platform, articles. Accounts of the city count only in a view of the whole city.
    """
    first = period.start.replace(day=1)
    where = true() if area.level == Level.CITY else ACCOUNTS.c.county_code == area.code[:6] + "000000"
    if area.level not in (Level.CITY, Level.COUNTY):
        where = ACCOUNTS.c.area_code == area.code  # no township accounts in the demo; exact match only
    stmt = (select(ACCOUNTS.c.unit, ACCOUNTS.c.platform, func.sum(ACCOUNTS.c.articles))
            .where(ACCOUNTS.c.month >= first, ACCOUNTS.c.month <= period.end, where)
            .group_by(ACCOUNTS.c.unit, ACCOUNTS.c.platform))
    with engine.connect() as conn:
        rows = [(u, p, int(n)) for u, p, n in conn.execute(stmt).all()]
    frame = pd.DataFrame(rows, columns=["unit", "platform", "articles"])
    totals = frame.groupby("unit")["articles"].transform("sum") if len(frame) else frame["articles"]
    return frame.assign(_t=totals).sort_values(["_t", "unit", "platform"], ascending=[False, True, True],
                                               kind="stable").drop(columns="_t").reset_index(drop=True)


def opinion_surges(engine: Engine, area: AreaRef, period: Period) -> pd.DataFrame:
    """Weeks of the period in which negative items about one topic in one county surged (rule in the docstring).

    For the risk early warning (issue 9) as well as this page. Columns: county_code, county_name, topic,
    topic_label, kind (case kind the topic relates to, or None), week_start (Monday, a date), negative (items
    that week), volume, negative_share (percent), reach, baseline_median, baseline_mad (of the 8 weeks before),
    z (robust z-score). One row per surge, newest first; empty when nothing surged.
    """
    first_week = period.start - timedelta(days=period.start.weekday())
    span = Period(first_week - timedelta(weeks=SURGE_WEEKS), period.end)
    week = bucket_start(engine, MEDIA.c.published_at, Grain.WEEK).label("week")
    negative = func.sum(case((MEDIA.c.sentiment == str(Sentiment.NEGATIVE), 1), else_=0))
    stmt = (select(MEDIA.c.county_code, MEDIA.c.topic, week, negative, func.count(), func.sum(MEDIA.c.reach))
            .where(media_in(area, span), MEDIA.c.county_code.is_not(None), MEDIA.c.topic.is_not(None))
            .group_by(MEDIA.c.county_code, MEDIA.c.topic, week))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    weekly = pd.DataFrame([(c, t, as_date(w), int(n), int(v), int(r or 0)) for c, t, w, n, v, r in rows],
                          columns=["county_code", "topic", "week_start", "negative", "volume", "reach"])
    found = surge_weeks(weekly, first_week, period.end)
    return _named(engine, found)


SURGE_COLUMNS = ["county_code", "county_name", "topic", "topic_label", "kind", "week_start", "negative", "volume",
                 "negative_share", "reach", "baseline_median", "baseline_mad", "z"]


def surge_weeks(weekly: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    """The surge rule on weekly counts (columns county_code, topic, week_start, negative, volume, reach) for the
    weeks first, first + 7 days, … up to last.

    Pure, so the rule can be tested on synthetic series: weeks missing from a series count as zero. Every
    series is laid out as one row of a weeks matrix (8 weeks of history before `first`), so the medians of
    all weeks are computed at once — a city's year is some 5,000 series-weeks.
    """
    columns = [c for c in SURGE_COLUMNS if c not in ("county_name", "topic_label", "kind")]
    weeks = (last - first).days // 7 + 1 if last >= first else 0
    origin = first - timedelta(weeks=SURGE_WEEKS)
    offset = (pd.to_datetime(weekly["week_start"]) - pd.Timestamp(origin)).dt.days.to_numpy() if len(weekly) else []
    keep = (np.asarray(offset) % 7 == 0) & (np.asarray(offset) >= 0) & (np.asarray(offset) < 7 * (weeks + SURGE_WEEKS))
    part = weekly.loc[keep] if len(weekly) else weekly
    if weeks == 0 or part.empty:
        return pd.DataFrame(columns=columns)
    keys, series = np.unique(part[["county_code", "topic"]].to_numpy(dtype=str), axis=0, return_inverse=True)
    series = series.reshape(-1)
    col = np.asarray(offset)[keep] // 7
    grids = {}
    for name in ("negative", "volume", "reach"):
        grid = np.zeros((len(keys), weeks + SURGE_WEEKS), dtype=np.int64)
        np.add.at(grid, (series, col), part[name].to_numpy(dtype=np.int64))
        grids[name] = grid
    history = sliding_window_view(grids["negative"], SURGE_WEEKS, axis=1)[:, :weeks].astype(float)
    median = np.median(history, axis=2)
    mad = np.median(np.abs(history - median[..., None]), axis=2)
    x = grids["negative"][:, SURGE_WEEKS:]
    volume = grids["volume"][:, SURGE_WEEKS:]
    z = (x - median) / np.maximum(1.4826 * mad, 1.0)
    share = np.where(volume > 0, 100.0 * x / np.maximum(volume, 1), 0.0)
    rows, cols = np.nonzero((x >= SURGE_MIN_NEGATIVE) & (z >= SURGE_Z) & (share >= SURGE_MIN_SHARE))
    out = [{"county_code": str(keys[r][0]), "topic": str(keys[r][1]), "week_start": first + timedelta(weeks=int(c)),
            "negative": int(x[r, c]), "volume": int(volume[r, c]), "negative_share": float(share[r, c]),
            "reach": int(grids["reach"][r, SURGE_WEEKS + c]), "baseline_median": float(median[r, c]),
            "baseline_mad": float(mad[r, c]), "z": round(float(z[r, c]), 2)} for r, c in zip(rows, cols, strict=True)]
    frame = pd.DataFrame(out, columns=columns)
    return frame.sort_values(["week_start", "z"], ascending=[False, False], kind="stable").reset_index(drop=True)


def _named(engine: Engine, found: pd.DataFrame) -> pd.DataFrame:
    """Add county names and topic labels to the surges."""
    with engine.connect() as conn:
        names = dict(conn.execute(select(AREAS.c.code, AREAS.c.name).where(
            AREAS.c.code.in_(found["county_code"].unique().tolist()))).all()) if len(found) else {}
    topics = {t.code: t for t in load_topics()}
    found["county_name"] = [names.get(c, c) for c in found["county_code"]]
    found["topic_label"] = [topics[t].label if t in topics else t for t in found["topic"]]
    found["kind"] = [topics[t].kind if t in topics else None for t in found["topic"]]
    return found[SURGE_COLUMNS]
