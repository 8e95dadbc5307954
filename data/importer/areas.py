"""Boundary import: areas with codes and outlines from GeoJSON, Shapefile (also zipped) or GeoPackage.

Codes must be valid 12/15-digit codes (short forms are padded), their parent must exist (in the database or
the same file), and outlines must be valid polygons. Outlines are stored GCJ-02 based like the rest of the
map, so WGS84 files are shifted. Boundary files are small (tens of thousands of areas at most), so they are
read whole with geopandas and written in one transaction.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, text

from data.importer.faults import FileRefused
from data.importer.mapping import Mapping, field_label
from data.importer.options import ImportOptions
from data.importer.parsing import has_control_chars
from data.importer.report import PROBLEM_COLUMNS, Counts, RejectsWriter
from data.importer.runs import finish_run, set_progress
from geo.codes import CITY_CODE, full_code, level_of
from geo.gcj02 import wgs84_to_gcj02
from geo.serving import to_geojson_geometry

LEVEL_RANK = {"city": 0, "county": 1, "township": 2, "village": 3, "grid": 4}
AREA_COLUMNS = ("code", "name", "level", "parent_code", "county_code", "township_code", "village_code",
                "population", "lon", "lat", "is_demo_grid", "geometry")


def read_boundaries(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """The file as a GeoDataFrame in lon/lat; zipped shapefiles are read from inside the zip."""
    source = f"zip://{path}" if path.read_bytes()[:4] == b"PK\x03\x04" else str(path)
    try:
        frame = gpd.read_file(source, layer=layer) if layer else gpd.read_file(source)
    except Exception as exc:  # pyogrio raises DataSourceError, ValueError, ... for anything unreadable
        raise FileRefused(f"无法读取边界文件（支持 GeoJSON、Shapefile、GeoPackage）: {str(exc)[:160]}") from exc
    if frame.empty:
        raise FileRefused("边界文件中没有任何要素")
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    return frame


def parent_of(code: str) -> str | None:
    """The parent's code, read off the code itself (grids add 3 digits to their village)."""
    level = level_of(code)
    if level == "city":
        return None
    if level == "county":
        return code[:4] + "00000000"
    if level == "township":
        return code[:6] + "000000"
    if level == "village":
        return code[:9] + "000"
    return code[:12]


def ancestors_of(code: str) -> tuple[str | None, str | None, str | None]:
    """(county, township, village) codes, an area being its own ancestor at its level (as in geo.hierarchy)."""
    rank = LEVEL_RANK[level_of(code)]
    county = code[:6] + "000000" if rank >= 1 else None
    township = code[:9] + "000" if rank >= 2 else None
    village = code[:12] if rank >= 3 else None
    return county, township, village


def import_areas(engine: Engine, path: Path, mapping: Mapping, opts: ImportOptions,
                 import_id: int) -> tuple[Counts, str | None, bool]:
    """Validate and upsert every area of the file in one transaction."""
    frame = read_boundaries(path, opts.sheet)
    header = [c for c in frame.columns if c != frame.geometry.name]
    mapping.check_header(header)
    raw = frame.drop(columns=frame.geometry.name).astype(str).replace({"None": "", "nan": ""})
    raw.insert(0, "_row", np.arange(2, len(frame) + 2))
    fields = mapping.apply(raw, header)
    geoms = _to_gcj(frame.geometry.to_numpy(), opts.coords or mapping.coords or "wgs84")
    set_progress(engine, import_id, len(frame), "校验区域")
    with engine.connect() as conn:
        existing = _existing(conn)
    good, problems = _validate(fields, geoms, raw, existing)
    rejects = RejectsWriter(import_id)
    rejects.write(problems)
    rejects_file = rejects.close()
    counts = Counts(rejected=int(problems["row_no"].nunique()) if len(problems) else 0)
    with engine.begin() as conn:
        inserted, updated = _upsert(conn, good, existing, set(mapping.provided(header)), opts.dry_run)
        counts.inserted, counts.updated = inserted, updated
        counts.unchanged = len(good) - inserted - updated
        _store_problems(conn, import_id, problems)
        finish_run(conn, import_id, counts, rejects_file, message="试运行：未写入数据" if opts.dry_run else None)
    return counts, rejects_file, not opts.dry_run and inserted + updated > 0


def _to_gcj(geoms: np.ndarray, coords: str) -> np.ndarray:
    if coords != "wgs84":
        return geoms

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, shift)


def _existing(conn: Connection) -> pd.DataFrame:
    rows = conn.execute(text("SELECT code, name, level, parent_code, population, geometry FROM areas")).all()
    return pd.DataFrame(rows, columns=["code", "name", "level", "parent_code", "population", "geometry"]).set_index("code")


def _validate(fields: pd.DataFrame, geoms: np.ndarray, raw: pd.DataFrame,
              existing: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-row checks; parents may come from the database or from accepted rows of the same file."""
    problems: list[tuple[int, str, str, str]] = []
    rows: list[dict] = []
    for i in range(len(fields)):
        rec = fields.iloc[i]
        row = _check_row(rec, geoms[i], problems, i)
        if row is not None:
            rows.append(row)
    known = set(existing.index)
    good = _with_parents(pd.DataFrame(rows, columns=[*AREA_COLUMNS, "pos"]), known, problems)
    dup = good["code"].duplicated(keep="first")
    for i, code in good.loc[dup, ["pos", "code"]].itertuples(index=False):
        problems.append((i, "code", code, "文件内区域编码重复"))
    good = good[~dup]
    return good, _problem_frame(problems, raw)


def _check_row(rec: pd.Series, geom: object, problems: list[tuple[int, str, str, str]], i: int) -> dict | None:
    """One area's checks; returns the row to store or None (problems appended)."""
    before = len(problems)
    code_text, name = str(rec.get("code", "")).removesuffix(".0"), str(rec.get("name", ""))
    code = level = None
    try:
        code = full_code(code_text)
        level = level_of(code)
    except ValueError:
        problems.append((i, "code", code_text, "区域编码无效（应为 6/9/12/15 位数字）" if code_text else "缺少必填字段"))
    if not name:
        problems.append((i, "name", name, "缺少必填字段"))
    elif len(name) > 64 or bool(has_control_chars(pd.Series([name])).iloc[0]):
        problems.append((i, "name", name, "名称过长或含有非法字符"))
    if level and rec.get("level") and rec["level"] not in (level, LEVEL_LABEL_TO_CODE.get(rec["level"])):
        problems.append((i, "level", rec["level"], f"层级与编码不符（编码表示 {level}）"))
    if code and rec.get("parent_code") and full_code_or(rec["parent_code"]) != parent_of(code):
        problems.append((i, "parent_code", rec["parent_code"], "上级编码与区域编码不一致"))
    population = pd.to_numeric(rec.get("population", "") or np.nan, errors="coerce")
    if rec.get("population") and (pd.isna(population) or population < 0 or population % 1):
        problems.append((i, "population", rec["population"], "人口不是非负整数"))
    geometry = _check_geometry(geom, problems, i)
    if len(problems) > before or code is None or geometry is None:
        return None
    county, township, village = ancestors_of(code)
    point = shapely.point_on_surface(geometry)
    return {"code": code, "name": name, "level": level, "parent_code": parent_of(code), "county_code": county,
            "township_code": township, "village_code": village,
            "population": None if pd.isna(population) else int(population),
            "lon": round(point.x, 6), "lat": round(point.y, 6), "is_demo_grid": False,
            "geometry": json.dumps(to_geojson_geometry(geometry), separators=(",", ":")), "pos": i}


LEVEL_LABEL_TO_CODE = {"市": "city", "县区": "county", "乡镇街道": "township", "村社区": "village", "网格": "grid"}


def full_code_or(text_code: str) -> str | None:
    try:
        return full_code(str(text_code).removesuffix(".0"))
    except ValueError:
        return None


def _check_geometry(geom: object, problems: list[tuple[int, str, str, str]], i: int) -> object | None:
    if geom is None or shapely.is_empty(geom):
        problems.append((i, "geometry", "", "缺少几何图形"))
        return None
    kind = shapely.get_type_id(geom)
    if kind not in (3, 6):  # Polygon, MultiPolygon
        problems.append((i, "geometry", geom.geom_type, "几何图形不是面（Polygon/MultiPolygon）"))
        return None
    if not shapely.is_valid(geom):
        problems.append((i, "geometry", geom.geom_type, f"几何图形无效: {shapely.is_valid_reason(geom)}"))
        return None
    bounds = shapely.bounds(geom)
    if bounds[0] < -180 or bounds[2] > 180 or bounds[1] < -90 or bounds[3] > 90:
        problems.append((i, "geometry", geom.geom_type, "坐标超出范围"))
        return None
    return geom


def _with_parents(good: pd.DataFrame, known: set[str], problems: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    """Drop rows whose parent is neither stored nor accepted in this file, top-down so orphans cascade."""
    good = good.assign(rank=good["level"].map(LEVEL_RANK)).sort_values(["rank", "code"], kind="stable")
    have = set(known)
    keep = []
    for row in good.itertuples(index=False):
        if row.parent_code is None and row.code != CITY_CODE and row.code not in known:
            problems.append((row.pos, "code", row.code, "只能导入本市的区域"))
        elif row.parent_code is not None and row.parent_code not in have:
            problems.append((row.pos, "parent_code", row.parent_code, "上级区域不存在"))
        else:
            have.add(row.code)
            keep.append(True)
            continue
        keep.append(False)
    return good[keep].drop(columns="rank")


def _problem_frame(problems: list[tuple[int, str, str, str]], raw: pd.DataFrame) -> pd.DataFrame:
    if not problems:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    frame = pd.DataFrame(problems, columns=["i", "field", "value", "reason"])
    cells = raw.drop(columns="_row")
    return pd.DataFrame({
        "row_no": raw["_row"].to_numpy()[frame["i"]],
        "field": frame["field"].map(lambda f: field_label("areas", f)),
        "value": frame["value"].astype(str),
        "reason": frame["reason"],
        "raw": [json.dumps(cells.iloc[i].to_dict(), ensure_ascii=False) for i in frame["i"]],
    }).sort_values("row_no", kind="stable")


def _upsert(conn: Connection, good: pd.DataFrame, existing: pd.DataFrame, provided: set[str],
            dry_run: bool) -> tuple[int, int]:
    """Insert new codes (parents first) and update changed ones; returns (inserted, updated)."""
    new = good[~good["code"].isin(existing.index)]
    old = good[good["code"].isin(existing.index)]
    changed = [r for r in old.to_dict("records") if _differs(r, existing.loc[r["code"]], provided)]
    if dry_run:
        return len(new), len(changed)
    for r in new.to_dict("records"):
        conn.execute(text(f"INSERT INTO areas ({', '.join(AREA_COLUMNS)}) VALUES ({', '.join(':' + c for c in AREA_COLUMNS)})"),
                     {**r, "population": r["population"] or 0})
    for r in changed:
        cols = ["name", "geometry", "lon", "lat"] + (["population"] if r["population"] is not None else [])
        conn.execute(text(f"UPDATE areas SET {', '.join(f'{c} = :{c}' for c in cols)} WHERE code = :code"),
                     {c: r[c] for c in [*cols, "code"]})
    return len(new), len(changed)


def _differs(new: dict, old: pd.Series, provided: set[str]) -> bool:
    if new["name"] != old["name"]:
        return True
    if "population" in provided and new["population"] is not None and new["population"] != old["population"]:
        return True
    if old["geometry"] is None:
        return True
    a, b = shapely.normalize(shapely.from_geojson([new["geometry"], old["geometry"]]))
    return not shapely.equals_exact(a, b, tolerance=1e-6)


def _store_problems(conn: Connection, import_id: int, problems: pd.DataFrame) -> None:
    if problems.empty:
        return
    conn.execute(text("INSERT INTO quarantine_rows (import_id, row_no, field, value, reason, raw) "
                      "VALUES (:import_id, :row_no, :field, :value, :reason, :raw)"),
                 [{**r, "import_id": import_id, "row_no": int(r["row_no"])} for r in problems.to_dict("records")])
