"""Row validation for cases: every problem of every row, with its field, value and reason in Chinese.

A row with any problem is quarantined whole (never half-loaded); the others are typed, completed with
defaults and their ancestor codes, and passed on. Checks are vectorised over a chunk so that a million rows
validate in seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from data.demo_cases import DUE_DAYS
from data.importer import parsing
from data.importer.mapping import field_label
from data.importer.reading import EXTRA_COL, ROW_COL
from data.importer.report import PROBLEM_COLUMNS
from data.importer.spatial import ANCESTORS, GridIndex
from data.models import Case
from data.vocab import HANDLING_ORDER, Mode, Status

CONTENT_MAX = 2000  # 诉求内容 is TEXT; longer than this is a paste accident, not a complaint
MAX_REPEAT_VISITS = 100
TEXT_FIELDS = ("case_no", "category", "responsible_unit", "content")
VOCAB_FIELDS = tuple(parsing.VOCABS)
DATE_FIELDS = ("reported_at", "due_at", "closed_at")
BOOL_FIELDS = ("is_first_petition", "is_difficult")
# What a new case gets when the file does not say (updates never overwrite with these).
TEXT_DEFAULTS = {"category": "其他", "responsible_unit": "未填写"}
DEFAULT_CHANNEL = "grid_report"
CASE_COLUMNS = (
    "case_no", "kind", "category", "channel", "grid_code", "village_code", "township_code", "county_code",
    "reported_at", "first_level", "final_level", "responsible_unit", "mode", "status", "due_at", "closed_at",
    "outcome", "is_first_petition", "repeat_visits", "backlog_color", "backlog_origin", "is_difficult", "content",
)
_LEVEL_RANK = {str(lv): i for i, lv in enumerate(HANDLING_ORDER)}


def max_length(name: str) -> int:
    """The column size of the cases table (content gets CONTENT_MAX)."""
    length = getattr(Case.__table__.c[name].type, "length", None)
    return int(length) if length else CONTENT_MAX


@dataclass
class Problems:
    """Collects (row index, field, reason) triples for one chunk."""

    text: pd.DataFrame
    labels: dict[str, str]
    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, mask: pd.Series, name: str, reason: str, values: pd.Series | None = None) -> None:
        idx = mask[mask.fillna(False).astype(bool)].index
        if len(idx) == 0:
            return
        src = values if values is not None else self.text.get(name, pd.Series("", index=self.text.index))
        self.parts.append(pd.DataFrame({"idx": idx, "field": self.labels.get(name, name),
                                        "value": src.reindex(idx).astype(str).to_numpy(), "reason": reason}))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=["idx", "field", "value", "reason"])
        return pd.concat(self.parts, ignore_index=True)


@dataclass
class CaseValidator:
    """Validates chunks of one file; remembers case numbers already seen to catch duplicates across chunks."""

    grids: GridIndex
    sources: dict[str, str]
    coords: str = "wgs84"
    date_formats: tuple[str, ...] = ()
    as_of: datetime | None = None
    _seen: list[np.ndarray] = field(default_factory=list)

    def labels(self) -> dict[str, str]:
        labels = {f: self.sources.get(f, field_label("cases", f)) for f in (*CASE_COLUMNS, "lon", "lat")}
        return {**labels, EXTRA_COL: "（整行）"}

    def validate(self, text: pd.DataFrame, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(typed good rows with `_row`, problems with row_no/field/value/reason/raw) for one chunk."""
        text = text.copy()
        for name in (*CASE_COLUMNS, "lon", "lat"):
            if name not in text:
                text[name] = ""
        if EXTRA_COL in raw:
            text[EXTRA_COL] = raw[EXTRA_COL].to_numpy()
        p = Problems(text, self.labels())
        out = pd.DataFrame({ROW_COL: raw[ROW_COL].to_numpy()}, index=text.index)
        self._text_checks(text, p)
        self._vocab(text, out, p)
        self._dates(text, out, p)
        self._numbers(text, out, p)
        self._location(text, out, p)
        self._duplicates(text, p)
        probs = p.frame()
        bad = out.index.isin(probs["idx"].unique())
        good = self._complete(out[~bad].copy())
        return good, _problem_rows(probs, raw)

    def _text_checks(self, text: pd.DataFrame, p: Problems) -> None:
        if EXTRA_COL in text:
            p.add(text[EXTRA_COL] != "", EXTRA_COL, "字段数多于表头（多出的值见取值）")
        for name in TEXT_FIELDS:  # coded fields with junk in them fail their own parse anyway
            p.add(parsing.has_control_chars(text[name]), name, "含有非法控制字符")
        for name in ("case_no", "reported_at", "kind", "status"):
            p.add(text[name] == "", name, "缺少必填字段")
        for name in TEXT_FIELDS:
            limit = max_length(name)
            p.add(text[name].str.len() > limit, name, f"超过长度上限 {limit} 字")

    def _vocab(self, text: pd.DataFrame, out: pd.DataFrame, p: Problems) -> None:
        for name in VOCAB_FIELDS:
            out[name], bad = parsing.lookup(text[name], parsing.VOCABS[name])
            p.add(bad, name, f"未知的{p.labels[name]}取值")
        out["category"] = text["category"]
        out["responsible_unit"] = text["responsible_unit"]
        out["content"] = text["content"]
        out["case_no"] = text["case_no"]

    def _dates(self, text: pd.DataFrame, out: pd.DataFrame, p: Problems) -> None:
        for name in DATE_FIELDS:
            out[name], bad = parsing.parse_dates(text[name], self.date_formats)
            p.add(bad, name, "无法识别的日期")
        horizon = pd.Timestamp.now().normalize() + pd.Timedelta(days=2)  # a day's slack for time zones
        for name in ("reported_at", "closed_at"):
            p.add(out[name] >= horizon, name, "日期晚于当前时间")
        p.add(out["closed_at"] < out["reported_at"], "closed_at", "办结时间早于登记时间")
        p.add(out["due_at"] < out["reported_at"], "due_at", "办理期限早于登记时间")
        closed, open_ = out["status"] == str(Status.CLOSED), out["status"] == str(Status.OPEN)
        p.add(closed & out["closed_at"].isna() & (text["closed_at"] == ""), "closed_at", "已办结案件缺少办结时间")
        p.add(open_ & out["closed_at"].notna(), "closed_at", "办理中的案件不应有办结时间")

    def _numbers(self, text: pd.DataFrame, out: pd.DataFrame, p: Problems) -> None:
        visits, bad = parsing.parse_int(text["repeat_visits"])
        p.add(bad, "repeat_visits", "不是整数")
        p.add((visits < 0) | (visits > MAX_REPEAT_VISITS), "repeat_visits", f"数值不合理（应为 0–{MAX_REPEAT_VISITS}）")
        out["repeat_visits"] = visits
        for name in BOOL_FIELDS:
            out[name], bad = parsing.parse_bool(text[name])
            p.add(bad, name, "无法识别的是/否取值（应为 是/否）")

    def _location(self, text: pd.DataFrame, out: pd.DataFrame, p: Problems) -> None:
        grid = text["grid_code"].str.replace(r"\.0$", "", regex=True)
        has_grid = grid != ""
        p.add(has_grid & ~self.grids.known(grid), "grid_code", "未知的网格编码")
        lon, bad_lon = parsing.parse_float(text["lon"])
        lat, bad_lat = parsing.parse_float(text["lat"])
        use_point = ~has_grid
        p.add(use_point & ((text["lon"] == "") | (text["lat"] == "")), "grid_code", "缺少网格编码或经纬度")
        p.add(use_point & bad_lon, "lon", "坐标不是数字")
        p.add(use_point & bad_lat, "lat", "坐标不是数字")
        wild = (lon.abs() > 180) | (lat.abs() > 90)
        p.add(use_point & wild, "lon", "坐标超出范围", text["lon"] + "," + text["lat"])
        ok = use_point & lon.notna() & lat.notna() & ~wild
        found = self.grids.locate(lon[ok], lat[ok], self.coords)
        outside = pd.Series(False, index=text.index)
        outside.loc[found.index] = found.isna()
        p.add(outside, "lon", "坐标不在任何网格内", text["lon"] + "," + text["lat"])
        grid = grid.where(has_grid, None)
        grid.loc[found.index] = found
        out["grid_code"] = grid
        out[list(ANCESTORS)] = self.grids.ancestors(grid.fillna("")).to_numpy()

    def _duplicates(self, text: pd.DataFrame, p: Problems) -> None:
        numbers = text["case_no"]
        filled = numbers != ""
        hashes = pd.util.hash_pandas_object(numbers, index=False).to_numpy()
        earlier = np.isin(hashes, np.concatenate(self._seen)) if self._seen else np.zeros(len(numbers), bool)
        dup = filled & (numbers.duplicated() | pd.Series(earlier, index=numbers.index))
        p.add(dup, "case_no", "文件内案件编号重复")
        self._seen.append(np.unique(hashes[filled.to_numpy()]))

    def _complete(self, out: pd.DataFrame) -> pd.DataFrame:
        """Fill what the file did not say, for new cases; updates only use the provided fields."""
        for name, value in TEXT_DEFAULTS.items():
            out[name] = out[name].mask(out[name] == "", value)
        out["channel"] = out["channel"].fillna(DEFAULT_CHANNEL)
        out["content"] = out["content"].mask(out["content"] == "", None)
        out["first_level"] = out["first_level"].fillna(out["final_level"]).fillna("village")
        out["final_level"] = out["final_level"].fillna(out["first_level"])
        escalated = out["final_level"].map(_LEVEL_RANK) > out["first_level"].map(_LEVEL_RANK)
        out["mode"] = out["mode"].fillna(pd.Series(np.where(escalated, str(Mode.ESCALATED), str(Mode.ONSITE)),
                                                   index=out.index))
        days = out["kind"].map({str(k): d for k, d in DUE_DAYS.items()}).fillna(15)
        out["due_at"] = out["due_at"].fillna(out["reported_at"] + pd.to_timedelta(days, unit="D"))
        out["outcome"] = out["outcome"].where(out["status"] == str(Status.CLOSED), None)
        out["repeat_visits"] = out["repeat_visits"].fillna(0).astype(int)
        for name in BOOL_FIELDS:
            out[name] = out[name].fillna(False).astype(bool)
        out["escalated_at"] = _escalated_at(out, escalated, self.as_of)
        for name in DATE_FIELDS:
            out[name] = out[name].astype("datetime64[s]")
        return out[[ROW_COL, *CASE_COLUMNS, "escalated_at"]]


def _escalated_at(out: pd.DataFrame, escalated: pd.Series, as_of: datetime | None) -> pd.Series:
    """The export has no escalation time: take the middle of the case's life so far (an estimate)."""
    end = out["closed_at"].fillna(pd.Timestamp(as_of) if as_of else out["reported_at"])
    end = end.where(end >= out["reported_at"], out["reported_at"])
    mid = out["reported_at"] + (end - out["reported_at"]) / 2
    return mid.dt.floor("s").where(escalated).astype("datetime64[s]")


def _problem_rows(probs: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """Problems with the file's row number and the whole raw row as JSON."""
    if probs.empty:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    cells = raw.drop(columns=ROW_COL)
    raw_json = {i: json.dumps(cells.loc[i].fillna("").to_dict(), ensure_ascii=False) for i in probs["idx"].unique()}
    return pd.DataFrame({
        "row_no": raw.loc[probs["idx"], ROW_COL].to_numpy().astype(int),
        "field": probs["field"].to_numpy(),
        "value": probs["value"].to_numpy(),
        "reason": probs["reason"].to_numpy(),
        "raw": probs["idx"].map(raw_json).to_numpy(),
    }).sort_values(["row_no"], kind="stable").reset_index(drop=True)
