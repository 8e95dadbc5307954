"""`/admin/indicators`: the admin form for entering one indicator value (admins only, CSRF-protected).

A value typed here passes the same validation as an imported row (`data.indicator_import.validate_row`) and is
stored the same way, keeping who entered it and when (on the value and in its entry log); the page lists the
latest entries of every source. Wiring: `indicator_admin.register(app.server)` in the app factory.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from flask import Flask, Response, redirect, render_template_string, request, session
from sqlalchemy import select

from dashboard.auth import require_admin
from dashboard.context import services
from data.indicator_import import FIELD_LABELS, Lookup, enter_value, validate_row
from data.models import Area
from data.models_strategy import ENTRY_SOURCE_LABELS, Indicator, IndicatorValue, IndicatorValueLog
from data.vocab import Level

PATH = "/admin/indicators"
FIELDS = tuple(FIELD_LABELS)  # the import's fields, in the same order
RECENT = 30
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>指标录入 · 社会治理指挥中心</title>
<link rel="stylesheet" href="/assets/command-center.css"></head>
<body><main class="cc-page admin-page ind-admin"><h1>指标录入</h1>
<p><a href="/indicators">返回指标与调查</a> · <a href="/admin/audit">审计日志</a></p>
{% if saved %}<p class="ind-admin-ok" role="status">已保存：{{ saved }}</p>{% endif %}
{% if errors %}<ul class="ind-admin-errors" role="alert">{% for e in errors %}<li>{{ e }}</li>{% endfor %}</ul>{% endif %}
<form method="post" action="{{ path }}" class="ind-admin-form">
<input type="hidden" name="csrf" value="{{ csrf }}">
<label>指标 <select name="indicator" required><option value="">请选择</option>
{% for i in indicators %}<option value="{{ i.code }}" {% if form.indicator == i.code %}selected{% endif %}>{{ i.name }}（{{ i.unit }}）</option>{% endfor %}
</select></label>
<label>区域 <select name="area" required>
{% for a in areas %}<option value="{{ a.code }}" {% if form.area == a.code %}selected{% endif %}>{{ a.name }}</option>{% endfor %}
</select></label>
<label>期间 <input name="period" value="{{ form.period }}" placeholder="2023H1、2023年、2023Q3、2023-07" required></label>
<label>数值 <input name="value" value="{{ form.value }}" inputmode="decimal" required></label>
<label>目标值 <input name="target" value="{{ form.target }}" inputmode="decimal"></label>
<label>全省排名 <input name="province_rank" value="{{ form.province_rank }}" inputmode="numeric"></label>
<label>排名总数 <input name="rank_total" value="{{ form.rank_total }}" inputmode="numeric"></label>
<label>排名范围 <input name="rank_group" value="{{ form.rank_group }}" placeholder="全省、三类地区"></label>
<label>梯队 <input name="tier" value="{{ form.tier }}" placeholder="全省第一方阵"></label>
<label class="wide">备注 <input name="note" value="{{ form.note }}"></label>
<button type="submit">保存</button></form>
<h2>最近录入</h2>
<table class="admin-table"><thead><tr><th>录入时间</th><th>录入人</th><th>方式</th><th>指标</th><th>区域</th><th>期间</th><th>数值</th></tr></thead>
<tbody>{% for r in recent %}<tr><td>{{ r.entered_at.strftime('%Y-%m-%d %H:%M:%S') }}</td><td>{{ r.entered_by }}</td>
<td>{{ sources.get(r.entry_source, r.entry_source) }}</td><td>{{ r.name }}</td><td>{{ r.area }}</td><td>{{ r.period_key }}</td>
<td>{{ r.value }}</td></tr>{% else %}<tr><td colspan="7">暂无录入记录</td></tr>{% endfor %}</tbody></table>
</main></body></html>"""


def _choices() -> tuple[list, list]:
    """Indicators in display order and the areas values are reported for (city and counties)."""
    with services().engine.connect() as conn:
        indicators = conn.execute(select(Indicator.code, Indicator.name, Indicator.unit)
                                  .order_by(Indicator.sort_order, Indicator.code)).all()
        areas = conn.execute(select(Area.code, Area.name).where(Area.level.in_([str(Level.CITY), str(Level.COUNTY)]))
                             .order_by(Area.code)).all()
    return indicators, areas


def _recent() -> list:
    """The latest entries of every source, newest first (the log keeps every change, not only the last)."""
    log, values = IndicatorValueLog.__table__, IndicatorValue.__table__
    stmt = (select(log.c.entered_at, log.c.entered_by, log.c.entry_source, log.c.value, values.c.period_key,
                   Indicator.name, Area.name.label("area"))
            .join(values, values.c.id == log.c.value_id).join(Indicator, Indicator.code == values.c.indicator_code)
            .join(Area, Area.code == values.c.area_code).order_by(log.c.entered_at.desc(), log.c.id.desc())
            .limit(RECENT))
    with services().engine.connect() as conn:
        return conn.execute(stmt).all()


def _page(form: dict[str, str], errors: list[str], saved: str = "", status: int = 200) -> Response:
    session.setdefault("csrf", secrets.token_urlsafe(16))
    indicators, areas = _choices()
    html = render_template_string(PAGE, path=PATH, csrf=session["csrf"], form=form, errors=errors, saved=saved,
                                  indicators=indicators, areas=areas, recent=_recent(), sources=ENTRY_SOURCE_LABELS)
    return Response(html, status=status, mimetype="text/html")


def _form() -> dict[str, str]:
    """The submitted fields, trimmed and bounded (anything longer is refused by validation, not stored)."""
    return {name: (request.form.get(name) or "").strip()[:400] for name in FIELDS}


def register(server: Flask) -> None:
    """Add the form's GET and POST routes to the Flask server (once: the app factory already does)."""
    if "indicator_form" in server.view_functions:
        return

    @server.route(PATH, methods=["GET", "POST"])
    def indicator_form() -> Response:
        principal = require_admin()
        if request.method == "GET":
            return _page({name: "" for name in FIELDS}, [], request.args.get("saved", "")[:120])
        if not secrets.compare_digest(request.form.get("csrf") or "", session.get("csrf") or "x"):
            return _page(_form(), ["页面已过期，请刷新后重新提交"], status=400)
        form = _form()
        engine = services().engine
        record, problems = validate_row({k: v for k, v in form.items() if v}, Lookup(engine))
        if record is None:
            return _page(form, [f"{p.field}：{p.reason}" for p in problems], status=400)
        counts = enter_value(engine, record, principal.name, request.remote_addr)
        outcome = "新增" if counts.inserted else "已更新" if counts.updated else "与原值相同，未改动"
        label = f"{record.indicator_code} · {record.area_code} · {record.period.label} = {record.value:g}（{outcome}）"
        return redirect(f"{PATH}?{urlencode({'saved': label})}", code=303)
