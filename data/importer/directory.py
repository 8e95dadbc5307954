"""Service centers and their stationed staff: small directory files, validated and upserted in one go.

Centers are keyed by name (names are unique in the network, e.g. 沭阳县社会治理服务中心) and must sit in a
known area above grid level; staff are keyed by (center, institution, name), and an institution named for
the first time is created in that center.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Connection, Engine, text

from data.importer.mapping import Mapping, field_label
from data.importer.options import ImportOptions
from data.importer.parsing import has_control_chars, parse_float
from data.importer.reading import EXTRA_COL, ROW_COL, Table
from data.importer.report import PROBLEM_COLUMNS, Counts, RejectsWriter
from data.importer.runs import finish_run, set_progress
from data.vocab import CENTER_LEVEL_LABELS
from geo.codes import full_code
from geo.gcj02 import wgs84_to_gcj02

Problem = tuple[int, str, str, str]  # position in chunk, field, value, reason
_LEVELS = {**{str(k): str(k) for k in CENTER_LEVEL_LABELS}, **{v: str(k) for k, v in CENTER_LEVEL_LABELS.items()},
           "市级": "city", "县区级": "county", "乡镇级": "township", "村级": "village"}


def _read_all(table: Table, mapping: Mapping) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Directory files are small: all chunks at once, as (raw cells, mapped text fields)."""
    raw = pd.concat(list(table.chunks), ignore_index=True)
    return raw, mapping.apply(raw, table.header)


def _basic(fields: pd.DataFrame, raw: pd.DataFrame, limits: dict[str, int], problems: list[Problem]) -> None:
    """Row width, required, length and control-character checks shared by centers and staff."""
    if EXTRA_COL in raw:
        for i in raw.index[raw[EXTRA_COL] != ""]:
            problems.append((i, "（整行）", raw.at[i, EXTRA_COL], "字段数多于表头（多出的值见取值）"))
    for name, limit in limits.items():
        values = fields[name] if name in fields else pd.Series("", index=fields.index)
        for i in values.index[values == ""]:
            problems.append((i, name, "", "缺少必填字段"))
        for i in values.index[values.str.len() > limit]:
            problems.append((i, name, values[i], f"超过长度上限 {limit} 字"))
        for i in values.index[has_control_chars(values)]:
            problems.append((i, name, values[i], "含有非法控制字符"))


def _problem_frame(kind: str, problems: list[Problem], raw: pd.DataFrame) -> pd.DataFrame:
    if not problems:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    frame = pd.DataFrame(problems, columns=["i", "field", "value", "reason"])
    cells = raw.drop(columns=ROW_COL)
    return pd.DataFrame({
        "row_no": raw[ROW_COL].to_numpy()[frame["i"]],
        "field": frame["field"].map(lambda f: field_label(kind, f)),
        "value": frame["value"].astype(str),
        "reason": frame["reason"],
        "raw": [json.dumps(cells.iloc[i].to_dict(), ensure_ascii=False) for i in frame["i"]],
    }).sort_values("row_no", kind="stable")


def _finish(engine: Engine, import_id: int, kind: str, raw: pd.DataFrame, problems: list[Problem],
            opts: ImportOptions, write: Callable[[Connection], tuple[int, int, int]]) -> tuple[Counts, str | None, bool]:
    """Write rejects, then data + quarantine + log in one transaction (rolled back for a dry run)."""
    frame = _problem_frame(kind, problems, raw)
    rejects = RejectsWriter(import_id)
    rejects.write(frame)
    rejects_file = rejects.close()
    conn = engine.connect()
    try:
        trans = conn.begin()
        inserted, updated, unchanged = write(conn)
        counts = Counts(inserted, updated, unchanged, int(frame["row_no"].nunique()) if len(frame) else 0)
        if opts.dry_run:
            trans.rollback()
            trans = conn.begin()
        _store_problems(conn, import_id, frame)
        finish_run(conn, import_id, counts, rejects_file, message="试运行：未写入数据" if opts.dry_run else None)
        trans.commit()
    finally:
        conn.close()
    return counts, rejects_file, not opts.dry_run and counts.inserted + counts.updated > 0


def _store_problems(conn: Connection, import_id: int, problems: pd.DataFrame) -> None:
    if problems.empty:
        return
    conn.execute(text("INSERT INTO quarantine_rows (import_id, row_no, field, value, reason, raw) "
                      "VALUES (:import_id, :row_no, :field, :value, :reason, :raw)"),
                 [{**r, "import_id": import_id, "row_no": int(r["row_no"])} for r in problems.to_dict("records")])


def _duplicates(keys: pd.Series, field: str, problems: list[Problem]) -> None:
    bad = {p[0] for p in problems}
    ok = keys[[i not in bad for i in keys.index]]
    for i in ok.index[ok.duplicated(keep="first")]:
        problems.append((i, field, str(ok[i]), "文件内重复"))


def import_centers(engine: Engine, table: Table, mapping: Mapping, opts: ImportOptions,
                   import_id: int) -> tuple[Counts, str | None, bool]:
    """Upsert service centers by name."""
    raw, fields = _read_all(table, mapping)
    set_progress(engine, import_id, len(raw), "校验服务中心")
    problems: list[Problem] = []
    _basic(fields, raw, {"name": 80, "area_code": 15}, problems)
    with engine.connect() as conn:
        areas = pd.DataFrame(conn.execute(text(
            "SELECT code, level, county_code, township_code, village_code, lon, lat FROM areas WHERE level <> 'grid'"
        )).all(), columns=["code", "level", "county_code", "township_code", "village_code", "lon", "lat"])
    areas = areas.set_index("code")
    rows = _center_rows(fields, areas, opts.coords or mapping.coords or "wgs84", problems)
    _duplicates(fields["name"], "name", problems)
    bad = {p[0] for p in problems}
    rows = [r for r in rows if r["_i"] not in bad]

    def write(conn: Connection) -> tuple[int, int, int]:
        existing = {r[0]: r[1:] for r in conn.execute(text(
            "SELECT name, id, area_code, level, lon, lat FROM service_centers")).all()}
        counts = [0, 0, 0]
        cols = ["area_code", "county_code", "township_code", "village_code", "level", "name", "lon", "lat"]
        for r in rows:
            values = {c: r[c] for c in cols}
            old = existing.get(r["name"])
            if old is None:
                conn.execute(text(f"INSERT INTO service_centers ({', '.join(cols)}) VALUES "
                                  f"({', '.join(':' + c for c in cols)})"), values)
                counts[0] += 1
            elif (old[1], old[2]) != (r["area_code"], r["level"]) or abs(old[3] - r["lon"]) + abs(old[4] - r["lat"]) > 1e-7:
                conn.execute(text(f"UPDATE service_centers SET {', '.join(f'{c} = :{c}' for c in cols)} "
                                  "WHERE id = :id"), {**values, "id": old[0]})
                counts[1] += 1
            else:
                counts[2] += 1
        return counts[0], counts[1], counts[2]

    return _finish(engine, import_id, "centers", raw, problems, opts, write)


def _center_rows(fields: pd.DataFrame, areas: pd.DataFrame, coords: str, problems: list[Problem]) -> list[dict]:
    """Typed center rows (area ancestors, level, position); problems appended for the rest."""
    lon, bad_lon = parse_float(fields["lon"]) if "lon" in fields else (pd.Series(float("nan"), index=fields.index),) * 2
    lat, bad_lat = parse_float(fields["lat"]) if "lat" in fields else (pd.Series(float("nan"), index=fields.index),) * 2
    rows = []
    for i in fields.index:
        code_text = fields.at[i, "area_code"].removesuffix(".0")
        try:
            code = full_code(code_text)
        except ValueError:
            code = None
        if code_text and (code is None or code not in areas.index):
            problems.append((i, "area_code", code_text, "未知的区域编码（服务中心须位于网格以上的区域）"))
            continue
        if not code:
            continue
        area = areas.loc[code]
        given = fields.at[i, "level"] if "level" in fields else ""
        if given and _LEVELS.get(given) != area["level"]:
            problems.append((i, "level", given, f"中心层级与区域层级不符（区域为 {area['level']}）"))
            continue
        x, y = lon[i], lat[i]
        if bool(bad_lon[i]) or bool(bad_lat[i]) or (pd.notna(x) and (abs(x) > 180 or abs(y) > 90)):
            problems.append((i, "lon", f"{fields.at[i, 'lon']},{fields.at[i, 'lat']}", "坐标不是数字或超出范围"))
            continue
        if pd.isna(x) or pd.isna(y):
            x, y = area["lon"], area["lat"]
        elif coords == "wgs84":
            gx, gy = wgs84_to_gcj02(x, y)
            x, y = float(gx), float(gy)
        rows.append({"_i": i, "name": fields.at[i, "name"], "area_code": code, "level": area["level"],
                     "county_code": area["county_code"], "township_code": area["township_code"],
                     "village_code": area["village_code"], "lon": round(float(x), 6), "lat": round(float(y), 6)})
    return rows


def import_staff(engine: Engine, table: Table, mapping: Mapping, opts: ImportOptions,
                 import_id: int) -> tuple[Counts, str | None, bool]:
    """Add stationed staff (and their institutions); a person already listed is unchanged."""
    raw, fields = _read_all(table, mapping)
    set_progress(engine, import_id, len(raw), "校验入驻人员")
    problems: list[Problem] = []
    _basic(fields, raw, {"name": 32, "center": 80, "institution": 80}, problems)
    with engine.connect() as conn:
        centers = dict(conn.execute(text("SELECT name, id FROM service_centers")).all())
    unknown = fields["center"].ne("") & ~fields["center"].isin(centers)
    for i in fields.index[unknown]:
        problems.append((i, "center", fields.at[i, "center"], "未知的服务中心"))
    _duplicates(fields["center"] + "\x1f" + fields["institution"] + "\x1f" + fields["name"], "name", problems)
    bad = {p[0] for p in problems}
    rows = fields.loc[[i not in bad for i in fields.index]]

    def write(conn: Connection) -> tuple[int, int, int]:
        institutions = {(c, n): i for i, c, n in conn.execute(text("SELECT id, center_id, name FROM institutions")).all()}
        people = set(conn.execute(text("SELECT center_id, institution_id, name FROM center_staff")).all())
        inserted = unchanged = 0
        for r in rows.itertuples(index=False):
            center_id = centers[r.center]
            inst = institutions.get((center_id, r.institution))
            if inst is None:
                inst = conn.execute(text("INSERT INTO institutions (center_id, name) VALUES (:c, :n) RETURNING id"),
                                    {"c": center_id, "n": r.institution}).scalar_one()
                institutions[(center_id, r.institution)] = inst
            if (center_id, inst, r.name) in people:
                unchanged += 1
                continue
            conn.execute(text("INSERT INTO center_staff (center_id, institution_id, name) VALUES (:c, :i, :n)"),
                         {"c": center_id, "i": inst, "n": r.name})
            people.add((center_id, inst, r.name))
            inserted += 1
        return inserted, 0, unchanged

    return _finish(engine, import_id, "staff", raw, problems, opts, write)
