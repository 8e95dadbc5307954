"""File-level checks done before any row is read: size cap, format sniffing, xlsx safety, text encoding.

A file that fails here is refused as a whole with one Chinese sentence saying why, and nothing is written
except the import log entry. The checks look at bytes, never at the extension, because uploads get renamed.
"""

from __future__ import annotations

import codecs
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_MB = 500
SNIFF_BYTES = 1 << 20
# xlsx zip limits: a real sheet compresses maybe 10-30x; a zip bomb compresses 1000x.
MAX_RATIO = 200
MAX_MEMBERS = 10_000
ENCODINGS = ("utf-8-sig", "gb18030")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FORBIDDEN_PARTS = ("vbaproject.bin", "xl/externallinks/", "xl/activex/", "xl/embeddings/")


class FileRefused(Exception):
    """The file as a whole cannot be imported; the message is shown to the user as is (Chinese)."""


@dataclass(frozen=True)
class FileInfo:
    """What the sniffing found: 'csv' or 'xlsx', the text encoding of a CSV, and the size in bytes."""

    fmt: str
    encoding: str | None
    size: int


def max_bytes() -> int:
    """The size cap from IMPORT_MAX_MB (default 500), read per call so tests and admins can change it."""
    raw = os.environ.get("IMPORT_MAX_MB", str(DEFAULT_MAX_MB))
    try:
        mb = float(raw)
    except ValueError as exc:
        raise FileRefused(f"IMPORT_MAX_MB 必须是数字: {raw!r}") from exc
    return int(mb * 1024 * 1024)


def inspect_file(path: Path, encoding: str | None = None, tabular: bool = True) -> FileInfo:
    """Refuse empty, oversized, binary or unsafe files; for tabular files tell CSV from xlsx."""
    if not path.is_file():
        raise FileRefused(f"找不到文件: {path.name}")
    size = path.stat().st_size
    cap = max_bytes()
    if size > cap:
        raise FileRefused(f"文件 {size / 1048576:.1f} MB，超过上限 {cap / 1048576:.0f} MB（IMPORT_MAX_MB）")
    if size == 0:
        raise FileRefused("文件为空")
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not tabular:
        if head.startswith(b"PK\x03\x04"):
            check_zip(path, cap, workbook=False)
        return FileInfo("spatial", None, size)
    if head.startswith(b"PK\x03\x04"):
        check_zip(path, cap, workbook=True)
        return FileInfo("xlsx", None, size)
    if head.startswith(_OLE_MAGIC):
        raise FileRefused("不支持旧版 Excel (.xls) 或加密的工作簿，请另存为 .xlsx 或 CSV 后再导入")
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileRefused("文件为空")
    return FileInfo("csv", encoding or detect_encoding(head), size)


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) if the sample decodes strictly, else GB18030 (a superset of GBK)."""
    if b"\x00" in head:
        raise FileRefused("不是 CSV 或 xlsx 文件（含有二进制内容）")
    for name in ENCODINGS:
        decoder = codecs.getincrementaldecoder(name)(errors="strict")
        try:
            text = decoder.decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return name
    raise FileRefused("无法识别文件编码（支持 UTF-8 与 GBK/GB18030），请用 --encoding 指定")


def _looks_like_text(text: str) -> bool:
    """Binary junk sometimes decodes as GB18030; real CSV text has few control characters."""
    if not text:
        return True
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    return controls / len(text) < 0.01


def check_zip(path: Path, cap: int, workbook: bool) -> None:
    """Look inside a zip (xlsx, zipped shapefile) before any parser does: refuse bombs, macros, external
    links and, for xlsx, anything that is not a workbook."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRefused("不是有效的 xlsx 文件（压缩包已损坏）" if workbook else "压缩包已损坏") from exc
    names = {i.filename.lower() for i in infos}
    if workbook and "xl/workbook.xml" not in names:
        raise FileRefused("不是 xlsx 工作簿（压缩包中没有 xl/workbook.xml）")
    if len(infos) > MAX_MEMBERS:
        raise FileRefused(f"xlsx 内部文件过多（{len(infos)} 个），疑似恶意文件")
    for name in names:
        if any(part in name for part in _FORBIDDEN_PARTS):
            raise FileRefused(f"xlsx 含有宏、外部链接或嵌入对象（{name}），出于安全原因拒绝导入")
    total = sum(i.file_size for i in infos)
    if total > max(cap * 10, 1 << 30):
        raise FileRefused(f"压缩包解压后 {total / 1048576:.0f} MB，超过上限，疑似压缩炸弹")
    for info in infos:
        if info.file_size > (1 << 20) and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise FileRefused(f"压缩包中 {info.filename} 压缩比异常（{info.file_size // max(info.compress_size, 1)}:1），疑似压缩炸弹")
