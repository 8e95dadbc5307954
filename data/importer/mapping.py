"""Column mappings: which header of a file feeds which field of ours, and how foreign values translate.

The default mapping of each kind accepts the Chinese headers of the platform's own export (and our field
names). A mapping file (JSON, or YAML) describes another export — its headers, its value vocabularies,
constants for fields it lacks, its date formats and coordinate system — so that it loads without code
changes. See data/samples/311_mapping.yaml for a complete example.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from data.importer.faults import FileRefused

KINDS = ("cases", "areas", "centers", "staff")

# Platform export header → our field (the first header per field is the one shown in messages).
CASE_HEADERS: dict[str, str] = {
    "案件编号": "case_no", "登记时间": "reported_at", "案件类型": "kind", "案件类别": "category",
    "来源渠道": "channel", "所属网格": "grid_code", "网格编码": "grid_code", "经度": "lon", "纬度": "lat",
    "办理层级": "final_level", "首办层级": "first_level", "责任单位": "responsible_unit",
    "事权单位": "responsible_unit", "办理方式": "mode", "办理状态": "status", "办理期限": "due_at",
    "办结时间": "closed_at", "化解结果": "outcome", "是否初信初访": "is_first_petition",
    "重访次数": "repeat_visits", "积案颜色": "backlog_color", "积案来源": "backlog_origin",
    "是否疑难": "is_difficult", "诉求内容": "content",
}
CENTER_HEADERS: dict[str, str] = {
    "中心名称": "name", "区域编码": "area_code", "所在区域": "area_code", "中心层级": "level",
    "经度": "lon", "纬度": "lat",
}
STAFF_HEADERS: dict[str, str] = {"姓名": "name", "所属中心": "center", "入驻机构": "institution"}
AREA_HEADERS: dict[str, str] = {
    "区域编码": "code", "编码": "code", "名称": "name", "区域名称": "name", "人口": "population",
    "上级编码": "parent_code",
}
DEFAULT_HEADERS = {"cases": CASE_HEADERS, "centers": CENTER_HEADERS, "staff": STAFF_HEADERS, "areas": AREA_HEADERS}
FIELDS: dict[str, tuple[str, ...]] = {
    "cases": tuple(dict.fromkeys(CASE_HEADERS.values())),
    "centers": tuple(dict.fromkeys(CENTER_HEADERS.values())),
    "staff": tuple(dict.fromkeys(STAFF_HEADERS.values())),
    "areas": (*dict.fromkeys(AREA_HEADERS.values()), "level"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "cases": ("case_no", "reported_at", "kind", "status"),
    "centers": ("name", "area_code"),
    "staff": ("name", "center", "institution"),
    "areas": ("code", "name"),
}
_MAPPING_KEYS = {"kind", "columns", "values", "defaults", "date_formats", "coords", "description"}


def field_label(kind: str, name: str) -> str:
    """The Chinese header that names a field in messages (the field name itself if it has none)."""
    for header, target in DEFAULT_HEADERS.get(kind, {}).items():
        if target == name:
            return header
    return name


@dataclass(frozen=True)
class Mapping:
    """How one file's columns and values become our fields."""

    kind: str
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    coords: str | None = None

    def sources(self, header: list[str]) -> dict[str, str]:
        """Field → source column for this header: mapping-file columns first, then default headers."""
        found: dict[str, str] = {}
        lookup = {h.strip().lower(): h for h in header}
        for src, targets in self.columns.items():
            if src.strip().lower() in lookup:
                for target in targets:
                    found.setdefault(target, lookup[src.strip().lower()])
        for src, target in [*DEFAULT_HEADERS[self.kind].items(), *((f, f) for f in FIELDS[self.kind])]:
            if src.lower() in lookup:
                found.setdefault(target, lookup[src.lower()])
        return found

    def provided(self, header: list[str]) -> set[str]:
        """Fields the file supplies, from a column or a mapping constant."""
        return set(self.sources(header)) | set(self.defaults)

    def check_header(self, header: list[str]) -> None:
        """Refuse a file lacking a required column, naming the missing columns in Chinese."""
        have = self.provided(header)
        missing = [field_label(self.kind, f) for f in REQUIRED[self.kind] if f not in have]
        if self.kind == "cases" and "grid_code" not in have and not {"lon", "lat"} <= have:
            missing.append("所属网格（或 经度/纬度）")
        if missing:
            raise FileRefused(f"缺少必需的列: {'、'.join(missing)}（文件中的列: {'、'.join(header[:30])}）")

    def apply(self, chunk: pd.DataFrame, header: list[str]) -> pd.DataFrame:
        """Text frame with one column per provided field: values translated, blanks filled from constants."""
        out = pd.DataFrame(index=chunk.index)
        for target, src in self.sources(header).items():
            out[target] = chunk[src].fillna("").astype(str).str.strip()
        for target, table in self.values.items():
            if target in out:
                out[target] = out[target].map(table).fillna(out[target]).astype(str)
        for target, value in self.defaults.items():
            if target in out:
                out[target] = out[target].mask(out[target] == "", value)
            else:
                out[target] = value
        return out


def default_mapping(kind: str) -> Mapping:
    if kind not in KINDS:
        raise FileRefused(f"未知的导入类型: {kind}（可选: {', '.join(KINDS)}）")
    return Mapping(kind)


def load_mapping(path: Path, kind: str) -> Mapping:
    """Read a JSON or YAML mapping file and check that it only names fields we have."""
    data = _read_mapping_file(path)
    unknown = set(data) - _MAPPING_KEYS
    if unknown:
        raise FileRefused(f"映射文件中有未知的键: {', '.join(sorted(unknown))}")
    if data.get("kind", kind) != kind:
        raise FileRefused(f"映射文件用于 {data['kind']}，不能用于 {kind}")
    columns = {str(src): _targets(t) for src, t in (data.get("columns") or {}).items()}
    values = {str(f): {str(k): str(v) for k, v in (m or {}).items()} for f, m in (data.get("values") or {}).items()}
    defaults = {str(f): str(v) for f, v in (data.get("defaults") or {}).items()}
    named = {t for ts in columns.values() for t in ts} | set(values) | set(defaults)
    wrong = sorted(named - set(FIELDS[kind]))
    if wrong:
        raise FileRefused(f"映射文件指向未知字段: {', '.join(wrong)}（可用: {', '.join(FIELDS[kind])}）")
    coords = data.get("coords")
    if coords not in (None, "wgs84", "gcj02"):
        raise FileRefused("映射文件的 coords 只能是 wgs84 或 gcj02")
    formats = data.get("date_formats") or []
    return Mapping(kind, columns, values, defaults, tuple(str(f) for f in formats), coords)


def _targets(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def _read_mapping_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FileRefused(f"无法读取映射文件 {path.name}: {exc.__class__.__name__}") from exc
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # yaml.YAMLError or json.JSONDecodeError: the file is malformed either way
        raise FileRefused(f"映射文件格式错误: {str(exc).splitlines()[0][:200]}") from exc
    if not isinstance(data, dict):
        raise FileRefused("映射文件必须是一个对象（键: columns, values, defaults …）")
    return data
