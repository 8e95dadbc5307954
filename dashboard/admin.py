"""Admin pages served by Flask: the audit log, browsable and filterable (admins only)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask, Response, render_template_string, request
from sqlalchemy import select

from dashboard.auth import require_admin
from dashboard.context import services
from data.models import AuditEntry

PAGE_SIZE = 100
AUDIT_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>审计日志 · 社会治理指挥中心</title>
<link rel="stylesheet" href="/assets/command-center.css"></head>
<body><main class="cc-page admin-page"><h1>审计日志</h1><p><a href="/">返回总览</a></p>
<form method="get" class="admin-filter">
<label>用户 <input name="actor" value="{{ actor }}"></label>
<label>操作 <select name="action"><option value="">全部</option>
{% for a in actions %}<option value="{{ a }}" {% if a == action %}selected{% endif %}>{{ labels.get(a, a) }}</option>{% endfor %}
</select></label>
<label>自 <input name="from" type="date" value="{{ start }}"></label>
<label>至 <input name="to" type="date" value="{{ end }}"></label>
<button type="submit">筛选</button></form>
<table class="admin-table"><thead><tr><th>时间</th><th>用户</th><th>操作</th><th>详情</th><th>地址</th></tr></thead>
<tbody>{% for e in entries %}<tr><td>{{ e.at.strftime('%Y-%m-%d %H:%M:%S') }}</td><td>{{ e.actor }}</td>
<td>{{ labels.get(e.action, e.action) }}</td><td>{{ e.detail or '' }}</td><td>{{ e.address or '' }}</td></tr>
{% else %}<tr><td colspan="5">没有符合条件的记录</td></tr>{% endfor %}</tbody></table>
</main></body></html>"""
ACTION_LABELS = {
    "login": "登录", "login_failed": "登录失败", "login_throttled": "登录被限制", "logout": "退出",
    "export": "导出", "import": "导入", "user_add": "新增用户", "user_disable": "停用用户",
    "user_password": "修改密码", "user_scope": "修改辖区", "token_add": "新增大屏令牌", "token_revoke": "撤销大屏令牌",
}


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "")[:10])
    except ValueError:
        return None


def register(server: Flask) -> None:
    @server.get("/admin/audit")
    def audit_log() -> Response:
        require_admin()
        actor = request.args.get("actor", "")[:64]
        action = request.args.get("action", "")[:32]
        start, end = _date_arg("from"), _date_arg("to")
        stmt = select(AuditEntry).order_by(AuditEntry.at.desc()).limit(PAGE_SIZE)
        if actor:
            stmt = stmt.where(AuditEntry.actor == actor)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        if start:
            stmt = stmt.where(AuditEntry.at >= datetime.combine(start, datetime.min.time()))
        if end:
            stmt = stmt.where(AuditEntry.at < datetime.combine(end + timedelta(days=1), datetime.min.time()))
        with services().engine.connect() as conn:
            entries = conn.execute(stmt).all()
        html = render_template_string(
            AUDIT_PAGE, entries=entries, actor=actor, action=action, actions=sorted(ACTION_LABELS),
            labels=ACTION_LABELS, start=start.isoformat() if start else "", end=end.isoformat() if end else "",
        )
        return Response(html, mimetype="text/html")
