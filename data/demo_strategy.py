"""Demo data of the strategic pages: indicators, campaigns, the three-year plan, media items and account output.

The values the city published are loaded exactly as published (crime rate 9.38 → 7.0 per 10,000 in 2022,
crime total from 8th to last in the province, juvenile crime rank 6th, school bullying −25 %, anti-fraud
awareness 78.41 % in 2023 H1 (2nd among category-3 regions), the survey tiers of 2023 H1). Everything else is
plausible and synthetic and carries `is_demo` (and `rank_is_demo` for ranks and tiers). Media items follow the
demo's cases (an item is written about a case's topic, place and time), plus background news and two
negative surges, so the opinion timeline has something to show beside the case intake.
Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, select

from data.db import bulk_insert
from data.indicator_import import ValueRecord, ensure_catalog, parse_period, store_values
from data.models import Area
from data.models_strategy import (
    Campaign,
    CampaignArea,
    CampaignCategory,
    CampaignTarget,
    EntrySource,
    MediaSource,
    PlanDomain,
    PlanItem,
    PlanMilestone,
    PlanNote,
    TargetMetric,
    ancestor_codes,
)
from data.sentiment import Topic, analyse, load_topics
from data.vocab import Level

AS_OF = date(2023, 12, 31)
CITY = "321300000000"
ACTOR = "演示数据"
HALVES = ("2021H1", "2021H2", "2022H1", "2022H2", "2023H1", "2023H2")
YEARS = ("2021", "2022", "2023")


def build(engine: Engine, cases: pd.DataFrame, seed: int, scale: float) -> None:
    """Add the strategic demo data to a database whose cases are already stored."""
    rng = np.random.default_rng(seed + 1010)
    areas = _areas(engine)
    ensure_catalog(engine)
    build_indicators(engine, rng, areas)
    build_campaigns(engine, cases)
    build_plan(engine, rng)
    media = simulate_media(rng, cases, _townships(engine), scale)
    bulk_insert(engine, "media_items", media)
    bulk_insert(engine, "media_account_output", simulate_account_output(rng))


def _areas(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(Area.code, Area.name, Area.level, Area.population).where(
            Area.level.in_([str(Level.CITY), str(Level.COUNTY)])).order_by(Area.code)).all()
    return pd.DataFrame(rows, columns=["code", "name", "level", "population"])


def _townships(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(Area.code, Area.name, Area.county_code).where(
            Area.level == str(Level.TOWNSHIP)).order_by(Area.code)).all()
    return pd.DataFrame(rows, columns=["code", "name", "county_code"])


# --- indicators -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """A published fact; `value` None means only the rank or tier was published (the value is synthetic)."""

    indicator: str
    period: str
    value: float | None = None
    rank: int | None = None
    rank_total: int | None = None
    rank_group: str | None = None
    tier: str | None = None
    note: str | None = None


FIRST_TIER, CAT3_FRONT = "全省第一方阵", "三类地区前列"
PUBLISHED: tuple[Published, ...] = (
    Published("crime_rate", "2021", 9.38, note="公开数据：发案率由9.38降至7.0（每万人）"),
    Published("crime_rate", "2022", 7.0, note="公开数据：发案率由9.38降至7.0（每万人）"),
    Published("crime_total", "2021", rank=8, rank_total=13, rank_group="全省", note="公开数据：全省第8位"),
    Published("crime_total", "2022", rank=13, rank_total=13, rank_group="全省", tier="全省末位",
              note="公开数据：发案总量由全省第8位降至末位"),
    Published("juvenile_crime", "2022", rank=6, rank_total=13, rank_group="全省",
              note="公开数据：全省第6位（年份按2022年录入）"),
    Published("school_bullying_change", "2022", -25.0, note="公开数据：校园欺凌案件下降25%（年份按2022年录入）"),
    Published("fraud_awareness", "2023H1", 78.41, rank=2, rank_group="三类地区", tier=CAT3_FRONT,
              note="公开数据：78.41%，居全省三类地区第二"),
    Published("workforce_satisfaction", "2023H1", tier=FIRST_TIER, note="公开数据：全省第一方阵"),
    Published("mediation_rate", "2023H1", tier=FIRST_TIER, note="公开数据：全省第一方阵"),
    Published("dispute_resolution", "2023H1", tier=FIRST_TIER, note="公开数据：全省第一方阵"),
    Published("security_resolution", "2023H1", tier=FIRST_TIER, note="公开数据：全省第一方阵"),
    Published("safety_sense", "2023H1", tier=CAT3_FRONT, note="公开数据：全省三类地区前列"),
)

# Synthetic city series (published points are overwritten by PUBLISHED).
CITY_HALVES: dict[str, tuple[float, ...]] = {
    "safety_sense": (97.62, 97.85, 98.10, 98.31, 98.56, 98.70),
    "workforce_satisfaction": (94.8, 95.2, 95.9, 96.3, 96.9, 97.1),
    "mediation_rate": (93.9, 94.4, 95.0, 95.6, 96.2, 96.5),
    "dispute_resolution": (92.7, 93.1, 93.8, 94.5, 95.1, 95.4),
    "security_resolution": (90.9, 91.6, 92.4, 93.2, 94.0, 94.3),
    "fraud_awareness": (61.3, 65.8, 70.2, 74.6, 78.41, 80.9),
}
FRAUD_RANKS = (7, 6, 4, 3, 2, 2)  # among category-3 regions; only 2023H1 is published
CITY_YEARS: dict[str, tuple[float, ...]] = {
    "crime_rate": (9.38, 7.0, 6.58),
    "juvenile_crime": (214.0, 187.0, 169.0),
    "school_bullying_change": (-8.6, -25.0, -12.4),
}
CRIME_TOTAL_RANKS = (8, 13, 13)
JUVENILE_RANKS = (5, 6, 7)


def _record(indicator: str, area: str, period: str, value: float, **extra) -> ValueRecord:
    return ValueRecord(indicator, area, parse_period(period), round(float(value), 2), is_demo=True,
                       rank_is_demo=True, **extra)


def city_records(population: int) -> list[ValueRecord]:
    """The city's series: synthetic values and ranks, then the published facts laid over them."""
    out = [_record(code, CITY, p, v) for code, series in CITY_HALVES.items() for p, v in zip(HALVES, series,
                                                                                            strict=True)]
    out = [replace(r, province_rank=FRAUD_RANKS[HALVES.index(r.period.key)], rank_group="三类地区")
           if r.indicator_code == "fraud_awareness" else r for r in out]
    out += [_record(code, CITY, y, v) for code, series in CITY_YEARS.items() for y, v in zip(YEARS, series,
                                                                                           strict=True)]
    out = [replace(r, province_rank=JUVENILE_RANKS[YEARS.index(r.period.key)], rank_total=13, rank_group="全省")
           if r.indicator_code == "juvenile_crime" else r for r in out]
    rates = dict(zip(YEARS, CITY_YEARS["crime_rate"], strict=True))
    out += [_record("crime_total", CITY, y, round(rates[y] * population / 10_000), province_rank=rank,
                    rank_total=13, rank_group="全省") for y, rank in zip(YEARS, CRIME_TOTAL_RANKS, strict=True)]
    return [_published(r) for r in out]


def _published(record: ValueRecord) -> ValueRecord:
    """Lay the published fact (if any) over a synthetic record, clearing the demo flags it covers."""
    fact = next((p for p in PUBLISHED if (p.indicator, p.period) == (record.indicator_code, record.period.key)), None)
    if fact is None:
        return record
    if fact.value is not None:
        record = replace(record, value=fact.value, is_demo=False)
    if fact.rank is not None or fact.tier is not None:
        record = replace(record, province_rank=fact.rank, rank_total=fact.rank_total,
                         rank_group=fact.rank_group or record.rank_group, tier=fact.tier, rank_is_demo=False)
    return replace(record, note=fact.note)


def county_records(rng: np.random.Generator, city: list[ValueRecord], counties: list[str]) -> list[ValueRecord]:
    """Each county: the city's value with a steady county offset and a little noise (all synthetic, no ranks)."""
    out: list[ValueRecord] = []
    for code in counties:
        offset = rng.normal(0, 0.6)
        factor = 1 + rng.normal(0, 0.12)
        for r in city:
            if r.indicator_code in CITY_HALVES:
                value = min(r.value + offset + rng.normal(0, 0.3), 99.8)
            elif r.indicator_code == "crime_rate":
                value = r.value * factor * (1 + rng.normal(0, 0.03))
            else:
                continue
            out.append(ValueRecord(r.indicator_code, code, r.period, round(float(value), 2), is_demo=True,
                                   rank_is_demo=True))
    return out


def build_indicators(engine: Engine, rng: np.random.Generator, areas: pd.DataFrame) -> None:
    """Store city and county values, each entered (by the demo) 20 days after its period ended."""
    population = int(areas.loc[areas["level"] == str(Level.CITY), "population"].iloc[0])
    city = city_records(population)
    counties = county_records(rng, city, areas.loc[areas["level"] == str(Level.COUNTY), "code"].tolist())
    with engine.begin() as conn:
        for record in city + counties:
            at = datetime.combine(min(record.period.end + timedelta(days=20), AS_OF), datetime.min.time())
            store_values(conn, [record], ACTOR, EntrySource.DEMO, at=at.replace(hour=9))


# --- campaigns ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetDef:
    label: str
    metric: TargetMetric
    unit: str
    target: float | None = None  # None: set from the data (a plausible share of what was found)
    actual: float | None = None


@dataclass(frozen=True)
class CampaignDef:
    code: str
    name: str
    lead_unit: str
    start: date
    end: date
    areas: tuple[tuple[str, str], ...]  # (full code, level)
    categories: tuple[tuple[str, str], ...]  # (kind, category)
    targets: tuple[TargetDef, ...]
    description: str


CITY_AREA = ((CITY, str(Level.CITY)),)
CAMPAIGNS: tuple[CampaignDef, ...] = (
    CampaignDef("dpc", "大排查大起底大化解", "市委政法委", date(2023, 3, 1), date(2023, 8, 31), CITY_AREA,
                (("dispute", "婚姻家庭"), ("dispute", "土地纠纷")),
                (TargetDef("排查发现矛盾纠纷", TargetMetric.FOUND, "件"),
                 TargetDef("化解率", TargetMetric.RATE, "%", 90.0),
                 TargetDef("组织集中排查", TargetMetric.MANUAL, "轮", 4, 4)),
                "聚焦婚姻家庭、土地纠纷，全面排查、起底、化解"),
    CampaignDef("xcdp", "“西楚盾牌”专项行动", "市公安局", date(2022, 4, 1), date(2023, 12, 31), CITY_AREA,
                (("security", "电信诈骗"),),
                (TargetDef("电诈警情较行动前变化", TargetMetric.CHANGE, "%", -15.0),
                 TargetDef("办结化解电诈案件", TargetMetric.RESOLVED, "件"),
                 TargetDef("查处“两卡”违法犯罪人员", TargetMetric.MANUAL, "人", 600, 684),
                 TargetDef("打掉“两卡”团伙", TargetMetric.MANUAL, "个", 40, 46)),
                "打击治理电信网络诈骗和“两卡”违法犯罪"),
    CampaignDef("juvenile", "未成年人保护“六大行动”", "市委政法委", date(2023, 5, 1), date(2023, 11, 30), CITY_AREA,
                (("security", "打架斗殴"),),
                (TargetDef("法治进校园", TargetMetric.MANUAL, "场", 300, 326),
                 TargetDef("校园周边环境整治", TargetMetric.MANUAL, "次", 120, 131),
                 TargetDef("家庭教育指导", TargetMetric.MANUAL, "场", 200, 176),
                 TargetDef("网络保护专项检查", TargetMetric.MANUAL, "次", 60, 64),
                 TargetDef("困境儿童关爱帮扶", TargetMetric.MANUAL, "人", 1500, 1432),
                 TargetDef("护学岗设置", TargetMetric.MANUAL, "个", 400, 418)),
                "护苗、法治进校园、校园周边整治、家庭教育、网络保护、关爱帮扶六大行动"),
    CampaignDef("sy_property", "沭阳县物业纠纷专项治理", "沭阳县委政法委", date(2023, 6, 1), date(2023, 10, 31),
                (("321322000000", str(Level.COUNTY)),), (("dispute", "物业纠纷"),),
                (TargetDef("排查发现物业纠纷", TargetMetric.FOUND, "件"),
                 TargetDef("化解率", TargetMetric.RATE, "%", 88.0)),
                "县级专项：物业收费、电梯维修、停车纠纷"),
    CampaignDef("centenary", "平安护航建党百年", "市委政法委", date(2021, 4, 1), date(2021, 7, 31), CITY_AREA,
                (("hazard", "安全生产"), ("hazard", "消防隐患")),
                (TargetDef("排查风险隐患", TargetMetric.FOUND, "件"),
                 TargetDef("隐患整改化解", TargetMetric.RESOLVED, "件")),
                "重大节点安全生产与消防隐患排查整治"),
)


def _in_campaign(cases: pd.DataFrame, c: CampaignDef) -> pd.Series:
    """Which cases a campaign's case targets count (its window, areas and categories)."""
    hi = pd.Timestamp(c.end) + pd.Timedelta(days=1)
    mask = (cases["reported_at"] >= pd.Timestamp(c.start)) & (cases["reported_at"] < hi)
    mask &= pd.MultiIndex.from_arrays([cases["kind"], cases["category"]]).isin(list(c.categories))
    area_mask = pd.Series(False, index=cases.index)
    for code, level in c.areas:
        area_mask |= (cases["county_code"].notna() if level == str(Level.CITY)
                      else cases[f"{level}_code"] == code)
    return mask & area_mask


def _target_value(t: TargetDef, cases: pd.DataFrame, inside: pd.Series) -> float:
    """A plausible target when the definition leaves it to the data: ~90 % of what the campaign reached."""
    if t.target is not None:
        return float(t.target)
    found = cases[inside]
    reached = len(found) if t.metric == TargetMetric.FOUND else int(found["outcome"].isin(["mediated",
                                                                                        "resolved"]).sum())
    return float(max(10, round(reached * 0.9, -1)))


def build_campaigns(engine: Engine, cases: pd.DataFrame) -> None:
    """The five demo campaigns with areas, categories and targets (targets scale with the demo's volume)."""
    with engine.begin() as conn:
        for c in CAMPAIGNS:
            cid = conn.execute(insert(Campaign).values(
                code=c.code, name=c.name, description=c.description, lead_unit=c.lead_unit, start_date=c.start,
                end_date=c.end, is_demo=True)).inserted_primary_key[0]
            conn.execute(insert(CampaignArea), [{"campaign_id": cid, "area_code": code, "level": level}
                                                for code, level in c.areas])
            conn.execute(insert(CampaignCategory), [{"campaign_id": cid, "kind": k, "category": cat}
                                                    for k, cat in c.categories])
            inside = _in_campaign(cases, c)
            conn.execute(insert(CampaignTarget), [
                {"campaign_id": cid, "label": t.label, "metric": str(t.metric), "unit": t.unit,
                 "target": _target_value(t, cases, inside), "actual": t.actual, "sort_order": i}
                for i, t in enumerate(c.targets)])


# --- three-year plan ------------------------------------------------------------------------------------

PLAN_START, PLAN_END = date(2023, 1, 1), date(2025, 12, 31)
DOMAINS = (("risk", "防范化解重大风险"), ("security", "立体化社会治安防控"), ("governance", "市域社会治理现代化"),
           ("foundation", "基层基础与法治保障"))
# (domain, title, owner unit, area code or None for the city)
ITEMS: tuple[tuple[str, str, str, str | None], ...] = (
    ("risk", "健全重大决策社会稳定风险评估机制", "市委政法委", None),
    ("risk", "完善矛盾纠纷多元化解机制", "市司法局", None),
    ("risk", "推进信访积案化解攻坚", "市信访局", None),
    ("risk", "深化非法金融风险防范处置", "市地方金融监管局", None),
    ("risk", "强化涉众型经济犯罪打击", "市公安局", None),
    ("risk", "完善重点人员动态服务管理", "市公安局", None),
    ("risk", "开展安全生产专项整治", "市应急管理局", None),
    ("risk", "健全网络舆情监测研判处置机制", "市委网信办", None),
    ("security", "建设立体化社会治安防控体系", "市公安局", None),
    ("security", "推进“雪亮工程”提档升级", "市公安局", None),
    ("security", "深化“西楚盾牌”反诈专项行动", "市公安局", None),
    ("security", "常态化开展扫黑除恶斗争", "市委政法委", None),
    ("security", "加强校园及周边治安综合治理", "市教育局", None),
    ("security", "强化道路交通安全治理", "市公安局交警支队", None),
    ("security", "推进禁毒重点整治", "市禁毒办", None),
    ("security", "加强寄递物流安全管理", "市邮政管理局", None),
    ("governance", "建强四级社会治理服务中心", "市委政法委", None),
    ("governance", "深化“精网微格”工程", "市委政法委", None),
    ("governance", "推进社会治理数据平台建设", "市大数据管理局", None),
    ("governance", "完善12345热线与网格联动机制", "市政务服务管理办公室", None),
    ("governance", "建设市域社会治理现代化指挥中心", "市委政法委", None),
    ("governance", "推进矛盾纠纷多元化解试点", "沭阳县委政法委", "321322000000"),
    ("governance", "推进网格化服务管理示范", "泗洪县委政法委", "321324000000"),
    ("governance", "加强社会心理服务体系建设", "市卫生健康委", None),
    ("foundation", "推进平安乡镇（街道）、村（社区）创建", "市委政法委", None),
    ("foundation", "加强人民调解员队伍建设", "市司法局", None),
    ("foundation", "推进公共法律服务体系建设", "市司法局", None),
    ("foundation", "深化诉源治理", "市中级人民法院", None),
    ("foundation", "加强未成年人司法保护", "市人民检察院", None),
    ("foundation", "推进“一村一辅警”全覆盖", "宿城区公安分局", "321302000000"),
    ("foundation", "开展平安宿迁建设宣传", "市委宣传部", None),
)
DONE_ITEMS = frozenset({1, 10, 17, 21, 26, 29})
LATE_ITEMS = frozenset({3, 8, 14, 19, 23})
MILESTONE_TITLES = {3: ("制定实施方案", "全面推开", "总结验收"),
                    4: ("制定实施方案", "开展试点", "全面推开", "总结验收"),
                    5: ("制定实施方案", "完成调研摸底", "开展试点", "全面推开", "总结验收")}
LATE_REASONS = ("部门协调进度偏慢", "配套资金未及时到位", "试点范围调整", "系统建设招标延期", "人员力量不足")


def _milestone_dates(rng: np.random.Generator, n: int, done: bool, late: bool) -> list[date]:
    """Due dates from the plan's start to the item's due date; a late item has one due in late 2023."""
    if done:
        due = date(2023, int(rng.integers(6, 12)), 28)
    else:
        due = date(int(rng.choice([2024, 2025])), int(rng.choice([6, 12])), 30 if rng.random() < 0.5 else 28)
    span = (due - PLAN_START).days
    dates = [PLAN_START + timedelta(days=int(span * (i + 1) / n)) for i in range(n)]
    dates = [d - timedelta(days=1) if d == AS_OF else d for d in dates]  # nothing falls due on the as-of day
    if late and dates[0] >= AS_OF:
        dates[0] = date(2023, int(rng.integers(8, 12)), 15)
    if late and dates[0] > date(2023, 11, 30):
        dates[0] = date(2023, 11, 15)
    return dates


def _done_at(rng: np.random.Generator, due: date, undone: bool) -> date | None:
    """When a milestone due before the as-of date was done (usually a little early); None when not done."""
    if undone or due > AS_OF:
        return None
    return min(due + timedelta(days=int(rng.integers(-25, 6))), AS_OF)


def build_plan(engine: Engine, rng: np.random.Generator) -> None:
    """The plan: 4 domains, 31 items with milestones (5 late, 6 done as of 2023-12-31) and progress notes."""
    with engine.begin() as conn:
        conn.execute(insert(PlanDomain), [{"code": c, "name": n, "sort_order": i} for i, (c, n) in enumerate(DOMAINS)])
        for no, (domain, title, owner, area) in enumerate(ITEMS, start=1):
            done, late = no in DONE_ITEMS, no in LATE_ITEMS
            n = int(rng.integers(3, 6))
            dates = _milestone_dates(rng, n, done, late)
            item_id = conn.execute(insert(PlanItem).values(
                no=no, domain_code=domain, title=title, owner_unit=owner, area_code=area or CITY,
                start_date=PLAN_START, due_date=dates[-1], is_demo=True)).inserted_primary_key[0]
            missed = max((i for i, d in enumerate(dates) if d < AS_OF), default=None) if late else None
            if missed is not None and dates[missed] > AS_OF - timedelta(days=30):
                floor = dates[missed - 1] + timedelta(days=10) if missed else PLAN_START + timedelta(days=30)
                back = timedelta(days=int(rng.integers(30, 120)))
                dates[missed] = max(AS_OF - back, floor)  # missed well before the as-of date
            milestones = [{"item_id": item_id, "seq": i + 1, "title": MILESTONE_TITLES[n][i], "due_date": d,
                           "done_at": _done_at(rng, d, i == missed)} for i, d in enumerate(dates)]
            conn.execute(insert(PlanMilestone), milestones)
            notes = _notes(rng, milestones, owner, late)
            if notes:
                conn.execute(insert(PlanNote), [{"item_id": item_id, **note} for note in notes])


def _notes(rng: np.random.Generator, milestones: list[dict], owner: str, late: bool) -> list[dict]:
    """Progress notes: the latest done milestones, and for a late item the missed one with a reason."""
    notes = [{"at": m["done_at"], "author": owner, "text": f"已完成“{m['title']}”，按计划推进"}
             for m in milestones if m["done_at"] is not None][-2:]
    if late:
        missed = next(m for m in milestones if m["done_at"] is None and m["due_date"] <= AS_OF)
        reason = LATE_REASONS[int(rng.integers(len(LATE_REASONS)))]
        notes.append({"at": min(missed["due_date"] + timedelta(days=10), AS_OF), "author": "市委政法委督查室",
                      "text": f"“{missed['title']}”未按期完成（原定{missed['due_date']:%Y年%-m月%-d日}），"
                              f"原因：{reason}；已督促{owner}限期整改"})
    if not notes:
        notes.append({"at": PLAN_START + timedelta(days=int(rng.integers(20, 60))), "author": owner,
                      "text": "已成立工作专班，正在制定实施方案"})
    return notes


# --- media ----------------------------------------------------------------------------------------------

# (negative, neutral, positive) templates per topic; {p} is the place.
TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "land": (("{p}征地补偿款迟迟不到位，村民多次反映无果", "{p}拆迁安置房一拖再拖，群众很失望",
              "网友爆料{p}强拆，村民情绪激动"),
             ("{p}发布征地拆迁补偿安置公告", "{p}召开征地拆迁政策说明会"),
             ("{p}征地补偿款全部兑现，群众满意", "{p}安置房顺利交付，拆迁户喜迁新居")),
    "wages": (("{p}工地老板拖欠农民工工资，工人讨薪无果", "{p}一企业拖欠工资数月，员工很无奈",
               "{p}包工头跑路，农民工血汗钱要不回来"),
              ("{p}开展根治欠薪专项检查", "{p}公布劳动保障监察投诉渠道"),
              ("{p}调解员帮农民工讨回工资，工人送来锦旗", "{p}劳资纠纷成功化解，农民工拿到工资")),
    "property": (("{p}小区电梯坏了没人管，业主投诉", "{p}小区物业收费乱，业主不满", "{p}小区停车乱象，业主吐槽物业不作为"),
                 ("{p}小区业主委员会换届选举", "{p}召开物业管理工作推进会"),
                 ("{p}物业积极整改，小区环境明显改善", "{p}小区加装电梯顺利完工，业主点赞")),
    "neighbors": (("{p}邻居违建挡住采光，协调多次推诿扯皮", "{p}邻里因宅前屋后占地发生冲突"),
                  ("{p}开展邻里纠纷排查", "{p}司法所公布人民调解联系方式"),
                  ("{p}网格员上门调解，邻里握手言和", "{p}多年邻里纠纷成功化解，双方很满意")),
    "family": (("{p}一妇女遭受家暴求助，亲属很担心", "{p}彩礼纠纷激化，双方家庭发生冲突"),
               ("{p}妇联开展婚姻家庭纠纷排查", "{p}发布反家暴法宣传提示"),
               ("{p}调解员耐心调解，夫妻和好如初", "{p}赡养纠纷圆满解决，老人很欣慰")),
    "fraud": (("{p}一居民接到冒充客服电话被骗数万元", "{p}多人参与刷单被骗，损失严重",
               "{p}有人冒充公检法实施诈骗，群众上当受骗"),
              ("{p}派出所发布防范电信网络诈骗提示", "{p}开展反诈宣传进社区活动"),
              ("{p}民警成功追回被骗资金，受害人送来锦旗", "{p}警方破获电信诈骗团伙，为群众挽回损失")),
    "finance": (("{p}理财平台暴雷，投资群众的钱拿不回来", "{p}高息集资骗局曝光，群众损失惨重"),
                ("{p}开展防范非法集资宣传月活动", "{p}公布非法金融活动举报电话"),
                ("{p}非法集资案件清退资金到位，群众满意", "{p}处置非法金融风险成效明显")),
    "noise": (("{p}广场舞噪音扰民，居民投诉没用", "{p}夜间装修声太吵，居民无法休息"),
              ("{p}发布噪声污染防治提示", "{p}城管部门公布夜间施工审批规定"),
              ("{p}广场舞音量整改到位，居民点赞", "{p}噪音扰民问题及时解决，小区恢复安静")),
    "traffic": (("{p}路口红绿灯坏了，电动车抢行太危险", "{p}早晚高峰拥堵严重，市民抱怨", "{p}一起车祸造成人员受伤"),
                ("{p}发布道路交通出行提示", "{p}部分路段实施交通管制"),
                ("{p}交警及时疏导交通，道路恢复畅通", "{p}路口增设信号灯，群众出行更安全")),
    "fire": (("{p}群租房电线乱拉，消防隐患很大", "{p}电动车楼道充电起火，住户害怕"),
             ("{p}开展消防安全大检查", "{p}发布冬季防火提示"),
             ("{p}消防隐患整改到位，居民很安心", "{p}消防员及时扑灭火情，无人受伤")),
    "food": (("{p}一饭店卫生太差，顾客吃完拉肚子", "{p}超市销售过期食品，市民投诉"),
             ("{p}公布食品安全抽检结果", "{p}开展校园食品安全检查"),
             ("{p}食品安全整治成效明显，市民放心", "{p}过期食品问题及时查处，群众点赞")),
    "medical": (("{p}医院乱收费，患者家属质疑", "{p}医患双方冲突激化，家属情绪激动"),
                ("{p}医院公布医疗纠纷调解流程", "{p}卫健部门开展医疗服务检查"),
                ("{p}医疗纠纷调解成功，患者家属表示感谢", "{p}医院积极整改，患者满意")),
    "theft": (("{p}夜里电动车被盗，监控形同虚设", "{p}小区接连发生盗窃，居民很担心"),
              ("{p}派出所发布防盗提示", "{p}开展夜间巡逻防控"),
              ("{p}民警破获盗窃案，追回被盗财物", "{p}加装监控后小区盗窃明显减少，居民安心")),
    "campus": (("{p}学生在校被欺凌，家长很无奈", "{p}学校门口有人打架，家长担心孩子安全"),
               ("{p}开展校园周边环境整治", "{p}发布中小学安全教育提示"),
               ("{p}学校周边增设护学岗，家长称赞", "{p}法治进校园活动受到学生欢迎，效果很好")),
    "governance": (("{p}热线打了多次没人接，问题得不到解决", "{p}办事窗口态度恶劣，群众来回跑"),
                   ("{p}召开社会治理工作推进会", "{p}开展网格员业务培训"),
                   ("{p}社会治理服务中心一站式办理，群众点赞", "{p}网格员服务贴心，群众安全感提升")),
}
# (negative, positive) shares of the items written about each topic; the rest is neutral.
TONE = {"land": (0.55, 0.15), "wages": (0.5, 0.2), "property": (0.45, 0.2), "neighbors": (0.35, 0.3),
        "family": (0.3, 0.3), "fraud": (0.35, 0.3), "finance": (0.5, 0.15), "noise": (0.5, 0.2),
        "traffic": (0.35, 0.2), "fire": (0.3, 0.25), "food": (0.4, 0.2), "medical": (0.45, 0.2),
        "theft": (0.4, 0.25), "campus": (0.3, 0.3), "governance": (0.15, 0.5)}
TAILS = ("网友纷纷留言关注。", "记者进行了走访。", "相关部门已介入。", "有关情况正在核实。", "不少居民转发。")
SOURCES = tuple(str(s) for s in MediaSource)
SOURCE_WEIGHTS = (0.3, 0.25, 0.15, 0.2, 0.1)
SOURCE_REACH = {"weibo": 7.2, "wechat": 7.6, "news": 8.4, "video": 8.9, "forum": 5.8}  # log-mean of reach
MEDIA_SHARE = 0.2  # of the cases of a topic's category that get written about
# (county, topic, first day, days, items at scale 1, negative share): the surges the warning rule must catch.
SURGES = (("321324000000", "land", date(2023, 8, 7), 14, 140, 0.85),
          ("321322000000", "property", date(2022, 11, 14), 14, 90, 0.75))


def simulate_media(rng: np.random.Generator, cases: pd.DataFrame, townships: pd.DataFrame,
                   scale: float) -> pd.DataFrame:
    """Media items: some cases written about, background news per county, and the surges; sentiment computed."""
    topics = {t.code: t for t in load_topics()}
    names = _place_names(townships)
    parts = [_case_items(rng, cases, topics), _background(rng, townships, scale), _surges(rng, townships, scale)]
    items = pd.concat(parts, ignore_index=True).sort_values("published_at", kind="stable").reset_index(drop=True)
    return _finish(rng, items, names)


def _place_names(townships: pd.DataFrame) -> dict[str, str]:
    county = {"321302000000": "宿城区", "321311000000": "宿豫区", "321322000000": "沭阳县", "321323000000": "泗阳县",
              "321324000000": "泗洪县"}
    return county | {row.code: county.get(row.county_code, "") + row.name for row in townships.itertuples()}


def _case_items(rng: np.random.Generator, cases: pd.DataFrame, topics: dict[str, Topic]) -> pd.DataFrame:
    """Items about a share of the cases whose category a topic covers, a few days after the case."""
    by_pair = {(t.kind, t.category): code for code, t in topics.items() if t.kind}
    pair = pd.Series(list(zip(cases["kind"], cases["category"], strict=True)), index=cases.index)
    topic = pair.map(by_pair)
    chosen = cases[topic.notna() & (rng.random(len(cases)) < MEDIA_SHARE)]
    lag = pd.to_timedelta(rng.integers(0, 72 * 60, len(chosen)), unit="m")
    area = np.where(rng.random(len(chosen)) < 0.7, chosen["township_code"], chosen["county_code"])
    area = np.where(rng.random(len(chosen)) < 0.15, None, area)
    return pd.DataFrame({"topic": topic[chosen.index].to_numpy(), "published_at": (chosen["reported_at"] + lag).to_numpy(),
                         "area_code": area, "tone": None})


def _background(rng: np.random.Generator, townships: pd.DataFrame, scale: float) -> pd.DataFrame:
    """News on campus safety and governance with no case counterpart: per county and city-wide, every month."""
    rows = []
    months = pd.date_range("2021-01-01", "2023-12-01", freq="MS")
    counties = sorted(townships["county_code"].unique())
    for month in months:
        days = month.days_in_month
        for topic in ("campus", "governance"):
            for area in [*counties, None]:
                n = int(rng.poisson((10 if area is None else 5) * scale))
                at = month + pd.to_timedelta(rng.integers(0, days * 1440, n), unit="m")
                rows += [(topic, t, area) for t in at]
    return pd.DataFrame(rows, columns=["topic", "published_at", "area_code"]).assign(tone=None)


def _surges(rng: np.random.Generator, townships: pd.DataFrame, scale: float) -> pd.DataFrame:
    """The planted surges: many, mostly negative items about one topic in one county within two weeks."""
    parts = []
    for county, topic, first, days, count, negative in SURGES:
        n = max(40, int(round(count * scale)))
        places = townships.loc[townships["county_code"] == county, "code"].to_numpy()[:2]
        at = pd.Timestamp(first) + pd.to_timedelta(rng.integers(0, days * 1440, n), unit="m")
        tone = np.where(rng.random(n) < negative, "negative", None)
        parts.append(pd.DataFrame({"topic": topic, "published_at": at, "area_code": rng.choice(places, n),
                                   "tone": tone}))
    return pd.concat(parts, ignore_index=True)


def _finish(rng: np.random.Generator, items: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Write each item's text from its topic's templates, then compute sentiment and topic as an import would."""
    n = len(items)
    areas = [a if isinstance(a, str) else None for a in items["area_code"]]
    source = rng.choice(SOURCES, n, p=SOURCE_WEIGHTS)
    tone_draw = rng.random(n)
    pick, tail = rng.integers(0, 1000, n), rng.integers(0, len(TAILS), n)
    titles = []
    for i, row in enumerate(items.itertuples(index=False)):
        neg, pos = TONE[row.topic]
        tone = 0 if row.tone == "negative" or tone_draw[i] < neg else 2 if tone_draw[i] > 1 - pos else 1
        options = TEMPLATES[row.topic][tone]
        place = names.get(areas[i], "我市") if areas[i] else "我市"
        titles.append(options[pick[i] % len(options)].format(p=place))
    texts = [f"{t}。{TAILS[k]}" for t, k in zip(titles, tail, strict=True)]
    scored = _score(titles, texts)
    topics = {t.code: t for t in load_topics()}
    codes = [ancestor_codes(a) for a in areas]
    reach = np.exp(np.array([SOURCE_REACH[s] for s in source]) + rng.normal(0, 1.0, n)).round().astype(int)
    return pd.DataFrame({
        "id": np.arange(1, n + 1), "external_id": [f"demo-{i:07d}" for i in range(1, n + 1)], "source": source,
        "published_at": pd.to_datetime(items["published_at"]).dt.floor("s"), "title": titles, "text": texts,
        "area_code": areas, "county_code": [c["county_code"] for c in codes],
        "township_code": [c["township_code"] for c in codes], "village_code": [c["village_code"] for c in codes],
        "reach": reach, "sentiment": [s[0] for s in scored], "sentiment_score": [s[1] for s in scored],
        "topic": items["topic"].to_numpy(), "kind": [topics[t].kind for t in items["topic"]], "is_demo": True,
        "import_id": None,
    })


def _score(titles: list[str], texts: list[str]) -> list[tuple[str, float]]:
    """Sentiment of each item by the shipped method (memoised: the demo's texts repeat)."""
    memo: dict[str, tuple[str, float]] = {}
    out = []
    for body in texts:
        if body not in memo:
            result = analyse(body)
            memo[body] = (str(result.label), result.score)
        out.append(memo[body])
    assert len(titles) == len(out)
    return out


# --- political-legal media accounts ---------------------------------------------------------------------

# (account, area code, mean articles per month on wechat, weibo, short video)
ACCOUNTS = (("宿迁政法", CITY, 42, 60, 18), ("宿迁公安", CITY, 55, 90, 35), ("宿迁中院", CITY, 22, 30, 6),
            ("宿迁检察", CITY, 20, 26, 5), ("宿迁司法", CITY, 24, 28, 8), ("宿城政法", "321302000000", 14, 16, 4),
            ("宿豫政法", "321311000000", 12, 14, 4), ("沭阳政法", "321322000000", 18, 24, 7),
            ("泗阳政法", "321323000000", 13, 15, 4), ("泗洪政法", "321324000000", 15, 18, 5))
PLATFORMS = ("wechat", "weibo", "video")


def simulate_account_output(rng: np.random.Generator) -> pd.DataFrame:
    """Monthly articles per account and platform, growing slowly over the three years (synthetic)."""
    months = pd.date_range("2021-01-01", "2023-12-01", freq="MS")
    rows = []
    for unit, area, *means in ACCOUNTS:
        county = ancestor_codes(area)["county_code"]
        for m_i, month in enumerate(months):
            growth = 1 + 0.01 * m_i
            rows += [(unit, platform, month.date(), int(rng.poisson(mean * growth)), area, county)
                     for platform, mean in zip(PLATFORMS, means, strict=True)]
    frame = pd.DataFrame(rows, columns=["unit", "platform", "month", "articles", "area_code", "county_code"])
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame.assign(is_demo=True)
