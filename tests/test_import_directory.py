"""Boundary, service-center and staff imports: validation of codes, parents and geometry, idempotent upserts."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon, box
from sqlalchemy import text
from test_import_cases import copy_sqlite, counts

from data.importer import ImportOptions, run_import
from data.importer.areas import ancestors_of, parent_of


@pytest.fixture
def db(small_sqlite, tmp_path, monkeypatch):
    monkeypatch.setenv("IMPORT_DIR", str(tmp_path / "imports"))
    engine = copy_sqlite(small_sqlite, tmp_path / "db.sqlite")
    yield engine
    engine.dispose()


def _village_with_grids(engine) -> gpd.GeoDataFrame:
    """One village and its grids as stored (GCJ-02 outlines), as a boundary file would hold them."""
    with engine.connect() as conn:
        village = conn.execute(text("SELECT code FROM areas WHERE level = 'village' ORDER BY code LIMIT 1")).scalar_one()
        rows = conn.execute(text("SELECT code, name, population, geometry FROM areas WHERE code = :v OR "
                                 "(level = 'grid' AND village_code = :v) ORDER BY code"), {"v": village}).all()
    return gpd.GeoDataFrame({"code": [r.code for r in rows], "name": [r.name for r in rows],
                             "population": [r.population for r in rows]},
                            geometry=shapely.from_geojson([r.geometry for r in rows]), crs="EPSG:4326")


def test_codes_know_their_parents_and_ancestors() -> None:
    assert parent_of("321322100001001") == "321322100001"
    assert parent_of("321322100001") == "321322100000"
    assert parent_of("321322100000") == "321322000000"
    assert parent_of("321322000000") == "321300000000"
    assert ancestors_of("321322100001001") == ("321322000000", "321322100000", "321322100001")
    assert ancestors_of("321322100000") == ("321322000000", "321322100000", None)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp.zip"])
def test_reimporting_stored_boundaries_changes_nothing(db, tmp_path, fmt: str) -> None:
    frame = _village_with_grids(db)
    path = tmp_path / f"areas.{fmt}"
    if fmt == "shp.zip":
        frame.to_file(tmp_path / "areas.shp", engine="pyogrio")
        import zipfile

        with zipfile.ZipFile(path, "w") as zf:
            for part in tmp_path.glob("areas.*"):
                if part.suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                    zf.write(part, part.name)
    else:
        frame.to_file(path, driver="GeoJSON" if fmt == "geojson" else "GPKG")
    report = run_import(db, "areas", path, ImportOptions(coords="gcj02"))
    c = report.counts
    assert (c.unchanged, c.inserted, c.updated, c.rejected) == (len(frame), 0, 0, 0)


def test_boundaries_are_validated_and_upserted(db, tmp_path) -> None:
    frame = _village_with_grids(db)
    village = frame.loc[0, "code"]
    frame.loc[1, "name"] = "改名后的网格"
    cell = frame.geometry.iloc[1].centroid
    extra = [
        {"code": village + "999", "name": "新增网格", "population": 120, "geometry": cell.buffer(0.0005)},
        {"code": village + "998", "name": "自相交网格", "population": 1,
         "geometry": Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])},
        {"code": "321399999999001", "name": "无上级网格", "population": 1, "geometry": box(118.1, 33.9, 118.2, 34.0)},
        {"code": village + "997", "name": "点状网格", "population": 1, "geometry": Point(118.3, 33.9)},
        {"code": "12AB", "name": "坏编码", "population": 1, "geometry": box(118.1, 33.9, 118.2, 34.0)},
    ]
    frame = pd.concat([frame, gpd.GeoDataFrame(extra, crs="EPSG:4326")], ignore_index=True)
    path = tmp_path / "areas.geojson"
    frame.to_file(path, driver="GeoJSON")
    before = counts(db)["areas"]
    report = run_import(db, "areas", path, ImportOptions(coords="gcj02"))
    c = report.counts
    assert (c.inserted, c.updated, c.rejected, c.received) == (1, 1, 4, len(frame))
    with db.connect() as conn:
        reasons = dict(conn.execute(text("SELECT row_no, reason FROM quarantine_rows WHERE import_id = :i"),
                                    {"i": report.import_id}).all())
        new = conn.execute(text("SELECT parent_code, village_code, township_code, level, geometry FROM areas "
                                "WHERE code = :c"), {"c": village + "999"}).one()
        renamed = conn.execute(text("SELECT name FROM areas WHERE code = :c"), {"c": frame.loc[1, "code"]}).scalar()
    first_bad = len(frame) - len(extra) + 2
    assert "几何图形无效" in reasons[first_bad + 1]
    assert "上级区域不存在" in reasons[first_bad + 2]
    assert "不是面" in reasons[first_bad + 3]
    assert "区域编码无效" in reasons[first_bad + 4]
    assert (new.parent_code, new.village_code, new.level) == (village, village, "grid")
    assert json.loads(new.geometry)["type"] == "Polygon"
    assert renamed == "改名后的网格"
    assert counts(db)["areas"] == before + 1


def test_wgs84_boundaries_are_shifted_to_gcj02(db, tmp_path) -> None:
    frame = _village_with_grids(db).iloc[:1].copy()
    path = tmp_path / "wgs.geojson"
    frame.to_file(path, driver="GeoJSON")
    report = run_import(db, "areas", path, ImportOptions())  # default datum: WGS84
    assert report.counts.updated == 1
    with db.connect() as conn:
        stored = shapely.from_geojson(conn.execute(text("SELECT geometry FROM areas WHERE code = :c"),
                                                   {"c": frame.loc[0, "code"]}).scalar_one())
    shift = stored.centroid.distance(frame.geometry.iloc[0].centroid)
    assert 0.001 < shift < 0.01  # a few hundred metres


def test_centers_upsert_by_name(db, tmp_path) -> None:
    with db.connect() as conn:
        center = conn.execute(text("SELECT name, area_code, lon, lat FROM service_centers "
                                   "WHERE level = 'township' ORDER BY id LIMIT 1")).one()
        other = conn.execute(text("SELECT name, area_code FROM service_centers WHERE level = 'village' "
                                  "ORDER BY id LIMIT 1")).one()
        grid = conn.execute(text("SELECT code FROM areas WHERE level = 'grid' LIMIT 1")).scalar_one()
    rows = [
        {"中心名称": center.name, "区域编码": center.area_code, "中心层级": "乡镇街道社会治理服务中心", "经度": "", "纬度": ""},
        {"中心名称": other.name, "区域编码": other.area_code, "中心层级": "", "经度": "118.3", "纬度": "33.9"},
        {"中心名称": "新建矛盾调处中心", "区域编码": center.area_code[:9], "中心层级": "", "经度": "", "纬度": ""},
        {"中心名称": "网格里的中心", "区域编码": grid, "中心层级": "", "经度": "", "纬度": ""},
        {"中心名称": "层级不符的中心", "区域编码": center.area_code, "中心层级": "村社区社会治理服务站", "经度": "", "纬度": ""},
        {"中心名称": "", "区域编码": center.area_code, "中心层级": "", "经度": "", "纬度": ""},
    ]
    path = tmp_path / "centers.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="gbk")
    report = run_import(db, "centers", path, ImportOptions(coords="gcj02"))
    c = report.counts
    assert (c.unchanged, c.updated, c.inserted, c.rejected) == (1, 1, 1, 3)
    assert run_import(db, "centers", path, ImportOptions(coords="gcj02")).counts.unchanged == 3


def test_staff_are_added_once_and_institutions_created(db, tmp_path) -> None:
    with db.connect() as conn:
        person = conn.execute(text(
            "SELECT s.name, c.name AS center, i.name AS institution FROM center_staff s "
            "JOIN service_centers c ON c.id = s.center_id JOIN institutions i ON i.id = s.institution_id "
            "ORDER BY s.id LIMIT 1")).one()
        before = conn.execute(text("SELECT COUNT(*) FROM institutions")).scalar_one()
    rows = [
        {"姓名": person.name, "所属中心": person.center, "入驻机构": person.institution},
        {"姓名": "新来的", "所属中心": person.center, "入驻机构": person.institution},
        {"姓名": "调解员甲", "所属中心": person.center, "入驻机构": "新设调解工作室"},
        {"姓名": "调解员甲", "所属中心": person.center, "入驻机构": "新设调解工作室"},
        {"姓名": "路人", "所属中心": "不存在的中心", "入驻机构": "某机构"},
        {"姓名": "", "所属中心": person.center, "入驻机构": person.institution},
    ]
    path = tmp_path / "staff.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")
    report = run_import(db, "staff", path, ImportOptions())
    c = report.counts
    assert (c.unchanged, c.inserted, c.rejected) == (1, 2, 3)
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM institutions")).scalar_one() == before + 1
    again = run_import(db, "staff", path, ImportOptions()).counts
    assert (again.unchanged, again.inserted) == (3, 0)
