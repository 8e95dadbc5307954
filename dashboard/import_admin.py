"""Admin upload page `/admin/import`: upload a file, import it in the background, watch the report appear.

The import runs in a background thread of the worker that took the upload, so the request returns at once;
progress lives in the ImportRun row, so any worker can show it. The status page refreshes itself with a
meta refresh (no script, so the strict CSP needs no exception) until the run has finished.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, Response, abort, jsonify, redirect, render_template_string, request, session
from sqlalchemy import Engine

from dashboard.auth import require_admin
from dashboard.context import services
from data.cards import DEFAULT_RULE, CardRule
from data.importer import KINDS, FileRefused, ImportFailed, ImportOptions, run_import, start_import
from data.importer.faults import max_bytes
from data.importer.report import run_dir
from data.importer.runs import FINAL, end_run, get_run, quarantine, recent_runs

KIND_LABELS = {"cases": "案件", "areas": "区域边界", "centers": "服务中心", "staff": "入驻人员"}
STATUS_LABELS = {"queued": "排队中", "running": "导入中", "done": "已完成", "refused": "已拒绝", "failed": "失败"}
STALE_AFTER = timedelta(minutes=15)  # no progress for this long: the worker died (its data was rolled back)
ALLOWED_SUFFIXES = {".csv", ".txt", ".xlsx", ".geojson", ".json", ".gpkg", ".zip"}
HEAD = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">{% if refresh %}
<meta http-equiv="refresh" content="2">{% endif %}<title>数据导入 · 社会治理指挥中心</title>
<link rel="stylesheet" href="/assets/command-center.css"></head><body><main class="cc-page admin-page">"""
UPLOAD_PAGE = HEAD + """<h1>数据导入</h1><p><a href="/">返回总览</a> · <a href="/admin/audit">审计日志</a></p>
{% if error %}<p class="login-error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/admin/import" enctype="multipart/form-data" class="admin-filter">
<input type="hidden" name="csrf" value="{{ csrf }}">
<label>类型 <select name="kind">{% for k in kinds %}<option value="{{ k }}">{{ labels[k] }}</option>{% endfor %}</select></label>
<label>文件 <input type="file" name="file" required></label>
<label>映射文件（可选）<input type="file" name="mapping"></label>
<label>坐标系 <select name="coords"><option value="">默认</option><option value="wgs84">WGS84</option>
<option value="gcj02">GCJ-02</option></select></label>
<label><input type="checkbox" name="dry_run" value="1"> 试运行（不写入）</label>
<button type="submit">上传并导入</button></form>
<p>支持 CSV（UTF-8 / GBK）、xlsx；区域边界支持 GeoJSON、GeoPackage、压缩的 Shapefile。上限 {{ cap_mb }} MB。</p>
<h2>最近的导入</h2><table class="admin-table"><thead><tr><th>#</th><th>开始</th><th>类型</th><th>文件</th>
<th>状态</th><th>收到</th><th>新增</th><th>更新</th><th>未变</th><th>拒收</th><th>操作人</th></tr></thead><tbody>
{% for r in runs %}<tr><td><a href="/admin/import/{{ r.id }}">{{ r.id }}</a></td>
<td>{{ r.started_at.strftime('%Y-%m-%d %H:%M') }}</td><td>{{ labels.get(r.kind, r.kind) }}</td><td>{{ r.file_name }}</td>
<td>{{ statuses.get(r.status, r.status) }}{% if r.dry_run %}（试运行）{% endif %}</td><td>{{ r.received }}</td>
<td>{{ r.inserted }}</td><td>{{ r.updated }}</td><td>{{ r.unchanged }}</td><td>{{ r.rejected }}</td><td>{{ r.actor }}</td></tr>
{% else %}<tr><td colspan="11">还没有导入记录</td></tr>{% endfor %}</tbody></table></main></body></html>"""
RUN_PAGE = HEAD + """<h1>导入 #{{ run.id }}：{{ labels.get(run.kind, run.kind) }} · {{ run.file_name }}</h1>
<p><a href="/admin/import">返回数据导入</a></p>
<p id="import-status" data-status="{{ run.status }}">状态：{{ statuses.get(run.status, run.status) }}
{% if run.dry_run %}（试运行）{% endif %}{% if run.status in ('queued', 'running') %} · 已读取 {{ run.progress }} 行{% endif %}
{% if run.message %} · {{ run.message }}{% endif %}</p>
{% if stale %}<p class="login-error">超过 {{ stale_minutes }} 分钟没有进度：导入进程可能已中断（数据库未改变），可重新上传该文件。</p>{% endif %}
{% if run.status == 'done' %}<table class="admin-table" id="import-report"><tbody>
<tr><th>收到</th><td>{{ run.received }}</td></tr><tr><th>新增</th><td>{{ run.inserted }}</td></tr>
<tr><th>更新</th><td>{{ run.updated }}</td></tr><tr><th>未变</th><td>{{ run.unchanged }}</td></tr>
<tr><th>拒收</th><td>{{ run.rejected }}</td></tr></tbody></table>
{% if problems %}<h2>拒收明细（前 {{ problems|length }} 条，完整清单见服务器文件 {{ run.rejects_file }}）</h2>
<table class="admin-table"><thead><tr><th>行号</th><th>字段</th><th>取值</th><th>原因</th></tr></thead><tbody>
{% for q in problems %}<tr><td>{{ q.row_no }}</td><td>{{ q.field }}</td><td>{{ q.value }}</td><td>{{ q.reason }}</td></tr>
{% endfor %}</tbody></table>{% endif %}{% endif %}</main></body></html>"""


def _page(template: str, status: int = 200, **context: object) -> Response:
    html = render_template_string(template, labels=KIND_LABELS, statuses=STATUS_LABELS,
                                  stale_minutes=int(STALE_AFTER.total_seconds() // 60), **context)
    return Response(html, status=status, mimetype="text/html")


def _upload_page(error: str | None = None, status: int = 200) -> Response:
    session.setdefault("csrf", secrets.token_urlsafe(16))
    return _page(UPLOAD_PAGE, status, refresh=False, error=error, csrf=session["csrf"], kinds=KINDS,
                 runs=recent_runs(services().engine), cap_mb=max_bytes() // 1048576)


def _rule() -> CardRule:
    path = services().config.card_rule_file
    return CardRule.from_file(path) if path else DEFAULT_RULE


def _work(engine: Engine, kind: str, path: Path, opts: ImportOptions, import_id: int) -> None:
    """The background import; its outcome (also a refusal or failure) is recorded in the ImportRun row."""
    with contextlib.suppress(FileRefused, ImportFailed):  # run_import already logged it on the run
        run_import(engine, kind, path, opts, import_id)


def _start(kind: str) -> Response:
    """Save the upload into the run's folder and start the import thread; redirect to its status page."""
    principal = require_admin()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page("请选择要导入的文件", 400)
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        return _upload_page(f"不支持的文件类型: {suffix or '无扩展名'}", 400)
    engine = services().engine
    opts = ImportOptions(dry_run=request.form.get("dry_run") == "1", coords=request.form.get("coords") or None,
                         actor=principal.name, address=request.remote_addr, display_name=upload.filename[:200],
                         rule=_rule())
    import_id = start_import(engine, kind, opts.display_name or "upload", opts, status="queued")
    folder = run_dir(import_id)
    path = folder / f"upload{suffix}"
    upload.save(path)
    mapping = request.files.get("mapping")
    if mapping is not None and mapping.filename:
        map_suffix = Path(mapping.filename).suffix.lower()
        if map_suffix not in (".json", ".yaml", ".yml"):
            end_run(engine, import_id, "refused", "映射文件须为 JSON 或 YAML")
            return redirect(f"/admin/import/{import_id}", code=303)
        mapping.save(folder / f"mapping{map_suffix}")
        opts = replace(opts, mapping=folder / f"mapping{map_suffix}")
    threading.Thread(target=_work, args=(engine, kind, path, opts, import_id), name=f"import-{import_id}",
                     daemon=True).start()
    return redirect(f"/admin/import/{import_id}", code=303)


def register(server: Flask) -> None:
    """Routes of the upload page; every one is for admins only."""

    @server.route("/admin/import", methods=["GET", "POST"])
    def import_page() -> Response:
        require_admin()
        if request.method == "GET":
            return _upload_page()
        if (request.content_length or 0) > max_bytes() + (1 << 20):  # before the body is parsed
            return _upload_page(f"文件超过上限 {max_bytes() // 1048576} MB", 413)
        if not secrets.compare_digest(request.form.get("csrf") or "", session.get("csrf") or "x"):
            return _upload_page("页面已过期，请重试", 400)
        kind = request.form.get("kind", "")
        if kind not in KINDS:
            return _upload_page("请选择导入类型", 400)
        return _start(kind)

    @server.get("/admin/import/<int:import_id>")
    def import_status(import_id: int) -> Response:
        require_admin()
        run = get_run(services().engine, import_id)
        if run is None:
            abort(404, description="没有这个导入记录")
        problems = quarantine(services().engine, import_id) if run.status == "done" else []
        stale = run.status not in FINAL and (run.updated_at or run.started_at) < datetime.now() - STALE_AFTER
        return _page(RUN_PAGE, refresh=run.status not in FINAL and not stale, run=run, problems=problems,
                     stale=stale)

    @server.get("/admin/import/<int:import_id>.json")
    def import_status_json(import_id: int) -> Response:
        require_admin()
        run = get_run(services().engine, import_id)
        if run is None:
            abort(404, description="没有这个导入记录")
        return jsonify({"import_id": run.id, "status": run.status, "progress": run.progress, "message": run.message,
                        "received": run.received, "inserted": run.inserted, "updated": run.updated,
                        "unchanged": run.unchanged, "rejected": run.rejected, "rejects_file": run.rejects_file})
