"""Demo structure: areas, service centers, stationed institutions and staff, grid liaisons and grid staff.

The structure is fixed (it does not scale with the number of cases) and reproduces the published counts:
230 institutions, 956 staff, ≈20,000 liaisons and 37 demonstration grids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data import published
from data.vocab import CenterLevel, Level, WorkerRole
from geo.hierarchy import AreaRecord, to_geojson_geometry

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志海波宁东林春梅兵亮晨宇浩然"

CITY_INSTITUTIONS = (
    "市委政法委", "市信访局", "市司法局人民调解中心", "市人社局劳动人事争议仲裁院", "市中级人民法院诉讼服务中心",
    "市人民检察院12309检察服务中心", "市公安局", "市住建局", "市自然资源和规划局", "市卫健委医调委",
    "市市场监管局", "市民政局", "市妇联", "市总工会", "团市委", "市律师协会", "市心理咨询服务中心",
    "市农业农村局", "市教育局", "市应急管理局", "市地方金融监管局", "市退役军人事务局",
)
COUNTY_INSTITUTIONS = (
    "政法委", "信访局", "司法局", "人社局", "人民法院诉讼服务中心", "人民检察院", "公安局", "住建局",
    "自然资源局", "卫健委", "市场监管局", "民政局", "妇联", "总工会",
)
TOWNSHIP_INSTITUTIONS = ("派出所", "司法所", "人民法庭", "综治中心", "信访办", "劳动保障所")


@dataclass(frozen=True)
class Structure:
    """Frames ready for bulk insert, with the columns of their tables."""

    areas: pd.DataFrame
    centers: pd.DataFrame
    institutions: pd.DataFrame
    staff: pd.DataFrame
    workers: pd.DataFrame


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """Plausible synthetic Chinese personal names (two or three characters)."""
    sur = rng.choice(list(SURNAMES), n)
    g1 = rng.choice(list(GIVEN), n)
    g2 = rng.choice(list(GIVEN), n)
    two = rng.random(n) < 0.35
    return [s + a if t else s + a + b for s, a, b, t in zip(sur, g1, g2, two, strict=True)]


def areas_frame(records: list[AreaRecord], rng: np.random.Generator) -> pd.DataFrame:
    """Area rows with GeoJSON geometry and the 37 demonstration grids flagged."""
    frame = pd.DataFrame(
        {
            "code": [r.code for r in records],
            "name": [r.name for r in records],
            "level": [r.level for r in records],
            "parent_code": [r.parent_code for r in records],
            "county_code": [r.county_code for r in records],
            "township_code": [r.township_code for r in records],
            "village_code": [r.village_code for r in records],
            "population": [r.population for r in records],
            "lon": [round(r.lon, 6) for r in records],
            "lat": [round(r.lat, 6) for r in records],
            "geometry": [json.dumps(to_geojson_geometry(r.geometry), separators=(",", ":")) for r in records],
        }
    )
    frame["is_demo_grid"] = False
    grids = np.flatnonzero(frame["level"].to_numpy() == Level.GRID)
    weights = frame["population"].to_numpy()[grids].astype(float)
    chosen = rng.choice(grids, size=published.DEMO_GRIDS, replace=False, p=weights / weights.sum())
    frame.loc[chosen, "is_demo_grid"] = True
    return frame


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total proportionally to weights, summing exactly to the total (largest remainder)."""
    raw = total * weights / weights.sum()
    base = np.floor(raw).astype(int)
    rest = total - base.sum()
    base[np.argsort(-(raw - base))[:rest]] += 1
    return base


def build_structure(records: list[AreaRecord], rng: np.random.Generator) -> Structure:
    """Centers at every level down to the village, their institutions and staff, and the grid workers."""
    areas = areas_frame(records, rng)
    center_areas = areas[areas["level"] != Level.GRID].reset_index(drop=True)
    suffix = {
        Level.CITY: "社会治理现代化指挥中心",
        Level.COUNTY: "社会治理服务中心",
        Level.TOWNSHIP: "社会治理服务中心",
        Level.VILLAGE: "社会治理服务站",
    }
    centers = pd.DataFrame(
        {
            "id": np.arange(1, len(center_areas) + 1),
            "area_code": center_areas["code"],
            "county_code": center_areas["county_code"],
            "township_code": center_areas["township_code"],
            "village_code": center_areas["village_code"],
            "level": center_areas["level"].map(lambda lv: str(CenterLevel(lv))),
            "name": center_areas["name"] + center_areas["level"].map(suffix),
            "lon": center_areas["lon"],
            "lat": center_areas["lat"],
        }
    )
    institutions = _institutions(centers, center_areas, rng)
    staff = _staff(institutions, centers, rng)
    workers = _workers(areas, rng)
    return Structure(areas, centers, institutions, staff, workers)


def _institutions(centers: pd.DataFrame, center_areas: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """230 institutions: 22 in the city center, 14 in each county center, the rest over township centers."""
    rows: list[tuple[int, str]] = []
    for cid, level, name in zip(centers["id"], centers["level"], center_areas["name"], strict=True):
        if level == CenterLevel.CITY:
            rows += [(cid, n) for n in CITY_INSTITUTIONS]
        elif level == CenterLevel.COUNTY:
            rows += [(cid, name + n) for n in COUNTY_INSTITUTIONS]
    town = centers[centers["level"] == CenterLevel.TOWNSHIP]
    left = published.INSTITUTIONS - len(rows)
    per_town = _split(left, np.ones(len(town)))
    rng.shuffle(per_town)
    town_names = center_areas.set_index(centers["id"])["name"]
    for cid, k in zip(town["id"], per_town, strict=True):
        rows += [(cid, town_names[cid] + n) for n in TOWNSHIP_INSTITUTIONS[:k]]
    frame = pd.DataFrame(rows, columns=["center_id", "name"])
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame


def _staff(institutions: pd.DataFrame, centers: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """956 people stationed over the institutions, more at city and county centers."""
    level = institutions["center_id"].map(centers.set_index("id")["level"])
    weight = level.map({CenterLevel.CITY: 4.5, CenterLevel.COUNTY: 4.5, CenterLevel.TOWNSHIP: 3.5}).to_numpy()
    weight = weight * rng.uniform(0.6, 1.4, len(weight))
    per = np.maximum(_split(published.CENTER_STAFF - len(weight), weight), 0) + 1
    inst = np.repeat(institutions["id"].to_numpy(), per)
    return pd.DataFrame(
        {
            "id": np.arange(1, len(inst) + 1),
            "center_id": np.repeat(institutions["center_id"].to_numpy(), per),
            "institution_id": inst,
            "name": person_names(rng, len(inst)),
        }
    )


def _workers(areas: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One liaison per micro-grid plus extras in populous grids (20,000 in all); one grid staff per ~3 grids."""
    grids = areas[areas["level"] == Level.GRID].reset_index(drop=True)
    extra = max(published.GRID_LIAISONS - len(grids), 0)
    weights = grids["population"].to_numpy().astype(float)
    per = np.ones(len(grids), dtype=int)
    np.add.at(per, rng.choice(len(grids), size=extra, replace=True, p=weights / weights.sum()), 1)
    liaison_idx = np.repeat(np.arange(len(grids)), per)
    seq = grids.groupby("village_code").cumcount().to_numpy()
    staff_idx = np.flatnonzero(seq % 3 == 0)
    idx = np.concatenate([liaison_idx, staff_idx])
    roles = [str(WorkerRole.LIAISON)] * len(liaison_idx) + [str(WorkerRole.GRID_STAFF)] * len(staff_idx)
    sub = grids.iloc[idx]
    return pd.DataFrame(
        {
            "id": np.arange(1, len(idx) + 1),
            "grid_code": sub["code"].to_numpy(),
            "county_code": sub["county_code"].to_numpy(),
            "township_code": sub["township_code"].to_numpy(),
            "village_code": sub["village_code"].to_numpy(),
            "role": roles,
            "name": person_names(rng, len(idx)),
        }
    )
