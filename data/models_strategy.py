"""Tables of the strategic pages: published indicators, special campaigns, the three-year plan, public opinion.

The small vocabularies these tables store (period types, sentiments, media sources, plan statuses) live here
beside them, codes in the database and Chinese labels for the screens, like `data.vocab` does for cases.
Every row that the demo invents carries `is_demo`, so the screens can say which numbers are not real.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from data.models import CODE, Base

# --- vocabularies ---------------------------------------------------------------------------------------


class PeriodType(StrEnum):
    """The reporting period of an indicator value."""

    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


PERIOD_TYPE_LABELS = {PeriodType.MONTH: "月度", PeriodType.QUARTER: "季度", PeriodType.HALF: "半年",
                      PeriodType.YEAR: "年度"}


class Direction(StrEnum):
    """Whether a higher value of an indicator is good news or bad news."""

    HIGHER = "higher_better"
    LOWER = "lower_better"


DIRECTION_LABELS = {Direction.HIGHER: "越高越好", Direction.LOWER: "越低越好"}


class IndicatorGroup(StrEnum):
    SURVEY = "survey"
    CRIME = "crime"
    JUVENILE = "juvenile"
    FRAUD = "fraud"


INDICATOR_GROUP_LABELS = {IndicatorGroup.SURVEY: "公众安全感调查", IndicatorGroup.CRIME: "刑事犯罪",
                          IndicatorGroup.JUVENILE: "未成年人保护", IndicatorGroup.FRAUD: "反诈宣传"}


class CaseMetric(StrEnum):
    """A rate computed from the case data that a surveyed indicator can be compared with."""

    MEDIATION = "mediation_success"
    DISPUTE_RESOLUTION = "dispute_resolution"
    SECURITY_RESOLUTION = "security_resolution"


CASE_METRIC_LABELS = {CaseMetric.MEDIATION: "案件调解成功率", CaseMetric.DISPUTE_RESOLUTION: "纠纷案件化解率",
                      CaseMetric.SECURITY_RESOLUTION: "治安问题办结化解率"}


class EntrySource(StrEnum):
    DEMO = "demo"
    IMPORT = "import"
    FORM = "form"


ENTRY_SOURCE_LABELS = {EntrySource.DEMO: "演示数据", EntrySource.IMPORT: "文件导入", EntrySource.FORM: "后台录入"}


class TargetMetric(StrEnum):
    """What a campaign target measures: computed from cases, or a count the campaign office reports."""

    FOUND = "found"
    RESOLVED = "resolved"
    RATE = "resolution_rate"
    CHANGE = "change_vs_before"
    MANUAL = "manual"


TARGET_METRIC_LABELS = {TargetMetric.FOUND: "排查发现", TargetMetric.RESOLVED: "化解办结",
                        TargetMetric.RATE: "化解率", TargetMetric.CHANGE: "较行动前变化",
                        TargetMetric.MANUAL: "工作量"}


class PlanStatus(StrEnum):
    DONE = "done"
    ON_TRACK = "on_track"
    LATE = "late"


PLAN_STATUS_ORDER: tuple[PlanStatus, ...] = (PlanStatus.DONE, PlanStatus.ON_TRACK, PlanStatus.LATE)
PLAN_STATUS_LABELS = {PlanStatus.DONE: "已完成", PlanStatus.ON_TRACK: "按期推进", PlanStatus.LATE: "滞后"}


class MediaSource(StrEnum):
    WEIBO = "weibo"
    WECHAT = "wechat"
    NEWS = "news"
    VIDEO = "video"
    FORUM = "forum"


MEDIA_SOURCE_LABELS = {MediaSource.WEIBO: "微博", MediaSource.WECHAT: "微信", MediaSource.NEWS: "新闻网站",
                       MediaSource.VIDEO: "短视频", MediaSource.FORUM: "论坛"}


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


SENTIMENT_ORDER: tuple[Sentiment, ...] = (Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.POSITIVE)
SENTIMENT_LABELS = {Sentiment.NEGATIVE: "负面", Sentiment.NEUTRAL: "中性", Sentiment.POSITIVE: "正面"}


# --- indicators -----------------------------------------------------------------------------------------


class Indicator(Base):
    """A published indicator (e.g. 刑事案件发案率): what it measures, its unit, direction and target."""

    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    unit: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))  # IndicatorGroup
    source: Mapped[str] = mapped_column(String(80))
    target: Mapped[float | None] = mapped_column(Float)
    case_metric: Mapped[str | None] = mapped_column(String(24))
    rank_note: Mapped[str | None] = mapped_column(String(80))  # what a province rank means (order, cohort)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class IndicatorValue(Base):
    """One value of an indicator for an area and period; who entered it and when is kept on the row.

    `is_demo` marks a synthetic value; `rank_is_demo` marks a synthetic rank or tier (a published tier can sit
    beside a synthetic value).
    """

    __tablename__ = "indicator_values"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(32), ForeignKey("indicators.code"))
    area_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"))
    period_type: Mapped[str] = mapped_column(String(8))
    period_key: Mapped[str] = mapped_column(String(8))  # 2023, 2023H1, 2023Q3, 2023-07
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    province_rank: Mapped[int | None] = mapped_column(Integer)
    rank_total: Mapped[int | None] = mapped_column(Integer)
    rank_group: Mapped[str | None] = mapped_column(String(32))  # 全省, 三类地区
    tier: Mapped[str | None] = mapped_column(String(32))  # 全省第一方阵, 三类地区前列
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    rank_is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(200))
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(DateTime)
    entry_source: Mapped[str] = mapped_column(String(8))
    import_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("indicator_code", "area_code", "period_key", name="uq_indicator_values_key"),
        Index("ix_indicator_values_area_indicator", "area_code", "indicator_code", "period_start"),
    )


class IndicatorValueLog(Base):
    """Every entry of a value (insert or change), so a corrected value still shows who entered the old one."""

    __tablename__ = "indicator_value_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value_id: Mapped[int] = mapped_column(ForeignKey("indicator_values.id"), index=True)
    value: Mapped[float] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    province_rank: Mapped[int | None] = mapped_column(Integer)
    tier: Mapped[str | None] = mapped_column(String(32))
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(DateTime)
    entry_source: Mapped[str] = mapped_column(String(8))
    import_id: Mapped[int | None] = mapped_column(Integer)


# --- special campaigns ----------------------------------------------------------------------------------


class Campaign(Base):
    """A special campaign (专项行动) with its own period, areas, linked case categories and targets."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    lead_unit: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class CampaignArea(Base):
    """An area a campaign covers (its subtree); the level is kept so no lookup is needed to filter cases."""

    __tablename__ = "campaign_areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    area_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"))
    level: Mapped[str] = mapped_column(String(10))


class CampaignCategory(Base):
    """A case category a campaign works on (kind + category of the case model)."""

    __tablename__ = "campaign_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(16))


class CampaignTarget(Base):
    """One target: a case-based metric (computed) or a reported workload with its `actual` (manual)."""

    __tablename__ = "campaign_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(24))
    target: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(8))
    actual: Mapped[float | None] = mapped_column(Float)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


# --- three-year plan ------------------------------------------------------------------------------------


class PlanDomain(Base):
    """One of the plan's domains (领域)."""

    __tablename__ = "plan_domains"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class PlanItem(Base):
    """One numbered item of the plan; its status is derived from its milestones (see data.queries.plan)."""

    __tablename__ = "plan_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    no: Mapped[int] = mapped_column(Integer, unique=True)
    domain_code: Mapped[str] = mapped_column(String(16), ForeignKey("plan_domains.code"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    owner_unit: Mapped[str] = mapped_column(String(64))
    area_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"))
    start_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class PlanMilestone(Base):
    """A dated step of an item; undone after its due date makes the item late."""

    __tablename__ = "plan_milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("plan_items.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    due_date: Mapped[date] = mapped_column(Date)
    done_at: Mapped[date | None] = mapped_column(Date)


class PlanNote(Base):
    """A progress note on an item (进展情况)."""

    __tablename__ = "plan_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("plan_items.id"), index=True)
    at: Mapped[date] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)


# --- public opinion -------------------------------------------------------------------------------------


class MediaItem(Base):
    """One media item (post, article, video) with its sentiment computed offline when it was stored.

    Ancestor codes are derived from `area_code` (codes are hierarchical) so that area filters are one indexed
    comparison, as for cases; items whose area is unknown have no codes and count only for the whole city.
    """

    __tablename__ = "media_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(8))
    published_at: Mapped[datetime] = mapped_column(DateTime)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = deferred(mapped_column(Text))
    area_code: Mapped[str | None] = mapped_column(CODE, ForeignKey("areas.code"))
    county_code: Mapped[str | None] = mapped_column(CODE)
    township_code: Mapped[str | None] = mapped_column(CODE)
    village_code: Mapped[str | None] = mapped_column(CODE)
    reach: Mapped[int] = mapped_column(Integer, default=0)
    sentiment: Mapped[str] = mapped_column(String(8))
    sentiment_score: Mapped[float] = mapped_column(Float)
    topic: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(10))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    import_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_media_items_published", "published_at"),
        Index("ix_media_items_county_published", "county_code", "published_at"),
        Index("ix_media_items_township_published", "township_code", "published_at"),
        Index("ix_media_items_village_published", "village_code", "published_at"),
    )


class MediaAccountOutput(Base):
    """Articles a political-legal media account (e.g. 宿迁政法) published in a month on one platform."""

    __tablename__ = "media_account_output"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(8))
    month: Mapped[date] = mapped_column(Date, index=True)
    articles: Mapped[int] = mapped_column(Integer)
    area_code: Mapped[str] = mapped_column(CODE, ForeignKey("areas.code"))
    county_code: Mapped[str | None] = mapped_column(CODE)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


def ancestor_codes(code: str | None) -> dict[str, str | None]:
    """county/township/village codes of a full area code (None above the area's own level).

    Why: media rows and account rows are filtered like cases, by one column per level.
    """
    out: dict[str, str | None] = {"county_code": None, "township_code": None, "village_code": None}
    if not isinstance(code, str) or not code or code.endswith("00000000"):
        return out
    out["county_code"] = code[:6] + "000000"
    if code[6:9] != "000":
        out["township_code"] = code[:9] + "000"
    if len(code) >= 12 and code[9:12] != "000":
        out["village_code"] = code[:12]
    return out
