"""`GET /export/` (chart names), `GET /export/<chart>.<png|svg|xlsx|csv>` and `GET /export/report/<page>.<pdf|xlsx>`.

The same query parameters as the pages (area, from, to, kind); the area is clamped to the user's scope and a
value that does not parse is refused with 400 and the reason. Every export is written to the audit log.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime

from flask import Flask, Response, jsonify, request, send_file
from openpyxl import Workbook
from pypdf import PdfReader, PdfWriter

from dashboard.auth import current_principal
from dashboard.context import services
from dashboard.exports.registry import ChartSpec, Registry
from dashboard.exports.render import TITLE_MARGIN, Renderer
from dashboard.exports.sheets import (
    ExportMeta,
    add_sheet,
    cover_sheet,
    csv_chunks,
    rename,
    text_column_indexes,
)
from dashboard.formatting import period_cn
from dashboard.urlstate import ViewState, parse_view
from data.accounts import audit
from data.vocab import KIND_LABELS
from layouts.figures.common import base_figure

IMAGE_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
DATA_FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "csv": "text/csv"}
REPORT_FORMATS = {"pdf": "application/pdf", "xlsx": DATA_FORMATS["xlsx"]}


def max_rows() -> int:
    return int(os.environ.get("EXPORT_MAX_ROWS", "1000000"))


class ExportError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _state() -> ViewState:
    principal = current_principal()
    if principal is None or principal.scope is None or principal.via_token:
        raise ExportError(403, "无权导出")
    svc = services()
    state = parse_view(request.query_string.decode("utf-8", "replace"), svc.engine, svc.today(), principal.scope)
    if state.notices:
        raise ExportError(400, "参数错误: " + "；".join(state.notices))
    return state


def _meta(title: str, state: ViewState) -> ExportMeta:
    kinds = "、".join(KIND_LABELS[k] for k in state.kinds)
    return ExportMeta(title, state.area.name, period_cn(state.period.start, state.period.end),
                      f"案件类型: {kinds}" if kinds else "", datetime.now())


def _filename(stem: str, state: ViewState, ext: str) -> str:
    return f"{stem}_{state.area.name}_{state.period.start:%Y%m%d}-{state.period.end:%Y%m%d}.{ext}"


def _titled(fig, title: str, meta: ExportMeta):
    """The figure with its title, area, period and filters stated, and the source and time in a footnote."""
    fig.update_layout(title={"text": f"{title}<br><sup>{meta.area} · {meta.period} {meta.filters}</sup>"},
                      margin={"t": TITLE_MARGIN, "b": TITLE_MARGIN})
    fig.add_annotation(text=f"数据来源: {meta.rows()[4][1]} · 生成时间 {meta.rows()[5][1]}", showarrow=False,
                       xref="paper", yref="paper", x=0, y=0, yshift=-70, xanchor="left", yanchor="top",
                       font={"size": 11})
    return fig


def _image(spec: ChartSpec, state: ViewState, fmt: str, renderer: Renderer) -> Response:
    if spec.figure is None:
        raise ExportError(404, f"图表 {spec.name} 没有图形，请导出 xlsx 或 csv")
    meta = _meta(spec.title, state)
    fig = _titled(spec.figure(spec.data(services().engine, state), state), spec.title, meta)
    body = renderer.image(fig, fmt)
    return Response(body, mimetype=IMAGE_FORMATS[fmt],
                    headers={"Content-Disposition": _disposition(_filename(spec.name, state, fmt))})


def _rows(spec: ChartSpec, state: ViewState) -> tuple[list[str], Iterator[tuple]]:
    engine = services().engine
    if spec.rows is not None:
        if spec.count is not None and spec.count(engine, state) > max_rows():
            raise ExportError(413, f"导出行数超过上限 {max_rows():,} 行，请缩小区域或时段后再导出")
        header, rows = spec.rows(engine, state)
        return header, iter(rows)
    frame = rename(spec.data(engine, state), spec.columns)
    return [str(c) for c in frame.columns], frame.itertuples(index=False, name=None)


def _data(spec: ChartSpec, state: ViewState, fmt: str) -> Response:
    meta = _meta(spec.title, state)
    header, rows = _rows(spec, state)
    text_cols = text_column_indexes(header)
    name = _filename(spec.name, state, fmt)
    if fmt == "csv":
        response = Response(csv_chunks(meta, header, rows, text_cols), mimetype=DATA_FORMATS["csv"],
                            headers={"Content-Disposition": _disposition(name)})
        # Keep it a stream: without this, anything asking for the length (the request log does) would make
        # Werkzeug read the whole body into a list first.
        response.implicit_sequence_conversion = False
        return response
    workbook = Workbook(write_only=True)
    add_sheet(workbook, spec.title, meta, header, rows, text_cols)
    return _send_workbook(workbook, name)


def _send_workbook(workbook: Workbook, name: str) -> Response:
    """Save to a temporary file (write-only mode keeps rows out of memory) and stream it."""
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115 - removed after sending
    tmp.close()
    workbook.save(tmp.name)
    response = send_file(tmp.name, mimetype=DATA_FORMATS["xlsx"], as_attachment=True, download_name=name)
    response.call_on_close(lambda: os.unlink(tmp.name))
    return response


def _disposition(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"export.{name.rsplit('.', 1)[-1]}\"; filename*=UTF-8''{quote(name)}"


def _page_title(page: str) -> str:
    """The page's Chinese title (its layout module's TITLE) for a report's cover; the key if it has none."""
    import importlib

    try:
        return str(importlib.import_module(f"layouts.{page}").TITLE)
    except (ImportError, AttributeError):
        return page


def _report(page: str, specs: list[ChartSpec], state: ViewState, fmt: str, renderer: Renderer) -> Response:
    meta = _meta(f"{_page_title(page)} 页面报告", state)
    engine = services().engine
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        cover_sheet(workbook, meta, [s.title for s in specs])
        for spec in specs:
            header, rows = _rows(spec, state) if spec.rows is None else (None, None)
            if header is None:  # large tables are exported on their own, not inside a report
                continue
            add_sheet(workbook, spec.title, _meta(spec.title, state), header, rows, text_column_indexes(header))
        return _send_workbook(workbook, _filename(f"report-{page}", state, "xlsx"))
    writer = PdfWriter()
    cover = base_figure(meta.title, light=True)
    cover.add_trace(_cover_table(meta, [s.title for s in specs]))
    pages = [cover] + [_titled(s.figure(s.data(engine, state), state), s.title, _meta(s.title, state))
                       for s in specs if s.figure is not None]
    for fig in pages:
        for pdf_page in PdfReader(io.BytesIO(renderer.image(fig, "pdf"))).pages:
            writer.add_page(pdf_page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return Response(buffer.getvalue(), mimetype=REPORT_FORMATS["pdf"],
                    headers={"Content-Disposition": _disposition(_filename(f"report-{page}", state, "pdf"))})


def _cover_table(meta: ExportMeta, contents: list[str]):
    import plotly.graph_objects as go

    keys = [k for k, _ in meta.rows()] + ["内容"]
    values = [v for _, v in meta.rows()] + ["、".join(contents)]
    return go.Table(header={"values": ["项目", "内容"], "font": {"size": 16}},
                    cells={"values": [keys, values], "font": {"size": 15}, "height": 34})


def register(server: Flask, registry: Registry) -> None:
    renderer = Renderer()

    @server.get("/export/")
    def export_index() -> Response:
        return jsonify(registry.names())

    @server.get("/export/<name>.<fmt>")
    def export_chart(name: str, fmt: str) -> Response:
        spec = registry.get(name)
        if spec is None:
            return _error(404, f"未知图表: {name}（图表列表见 /export/）")
        if fmt not in IMAGE_FORMATS and fmt not in DATA_FORMATS:
            return _error(404, f"不支持的格式: {fmt}（可选 png、svg、xlsx、csv）")
        try:
            state = _state()
            response = _image(spec, state, fmt, renderer) if fmt in IMAGE_FORMATS else _data(spec, state, fmt)
        except ExportError as exc:
            return _error(exc.status, str(exc))
        _audit(name, fmt, state)
        return response

    @server.get("/export/report/<page>.<fmt>")
    def export_report(page: str, fmt: str) -> Response:
        specs = registry.for_page(page)
        if not specs:
            return _error(404, f"未知页面: {page}")
        if fmt not in REPORT_FORMATS:
            return _error(404, f"不支持的格式: {fmt}（可选 pdf、xlsx）")
        try:
            state = _state()
            response = _report(page, specs, state, fmt, renderer)
        except ExportError as exc:
            return _error(exc.status, str(exc))
        _audit(f"report:{page}", fmt, state)
        return response


def _audit(name: str, fmt: str, state: ViewState) -> None:
    principal = current_principal()
    audit(services().engine, principal.name if principal else "?", "export",
          {"chart": name, "format": fmt, "area": state.area.code, "from": state.period.start.isoformat(),
           "to": state.period.end.isoformat(), "kinds": [str(k) for k in state.kinds]}, request.remote_addr)
