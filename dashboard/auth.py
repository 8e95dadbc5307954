"""Access control on the server: who is asking (a logged-in user or a wall-screen token), and what they may see.

Every request except static assets, the login page and health checks needs a principal. The principal is
rebuilt from the database on every request (the signed cookie only names the user and the version of their
access), so disabling a user or changing their scope takes effect on their next request in every worker.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlparse

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template_string,
    request,
    session,
)
from sqlalchemy.exc import SQLAlchemyError

from dashboard import plotly_bundle
from dashboard.context import remember, services
from data.accounts import (
    EXPORT_ROLES,
    ROLE_LABELS,
    Role,
    audit,
    authenticate,
    clear_failures,
    find_token,
    record_failure,
    throttled,
    token_with_scope,
    user_with_scope,
)
from data.filters import AreaRef

PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", plotly_bundle.URL_PREFIX, "/_favicon.ico", "/favicon.ico",
                   "/healthz", "/readyz", "/login")
GENERIC_LOGIN_ERROR = "用户名或密码错误"
THROTTLE_MESSAGE = "登录失败次数过多，请 15 分钟后再试"


@dataclass(frozen=True)
class Principal:
    """Who is asking and what they may see; `pages` None means every page."""

    name: str
    role: Role | None
    scope: AreaRef | None
    can_export: bool
    pages: frozenset[str] | None = None

    @property
    def via_token(self) -> bool:
        return self.role is None

    def may_open(self, path: str) -> bool:
        return self.pages is None or path.strip("/") in self.pages


def current_principal() -> Principal | None:
    """The principal of the current request (set by the guard)."""
    return g.get("principal")


def _load_principal() -> Principal | None:
    """The principal from the database; during an outage, the last one seen for the same signed session."""
    key = f"principal:{session.get('user_id')}:{session.get('version')}:{session.get('token_id')}"
    try:
        return remember(key, _principal_from_db)
    except SQLAlchemyError:
        return None


def _principal_from_db() -> Principal | None:
    engine = services().reader
    if "user_id" in session:
        found = user_with_scope(engine, int(session["user_id"]))
        account, scope = found if found else (None, None)
        if account is None or account.disabled or account.session_version != session.get("version"):
            session.clear()
            return None
        return Principal(account.name, account.role, scope, account.role in EXPORT_ROLES)
    if "token_id" in session:
        found = token_with_scope(engine, int(session["token_id"]))
        token, scope = found if found else (None, None)
        if token is None or token.revoked:
            session.clear()
            return None
        return Principal(f"token#{token.id}", None, scope, False, frozenset(token.pages))
    return None


def _wants_html() -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("Accept", "")


def _deny(status: int, message: str) -> Response:
    if status == 401 and _wants_html():
        return redirect("/login?next=" + request.full_path.rstrip("?"))
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _guard() -> Response | None:
    path = request.path
    if path.startswith(PUBLIC_PREFIXES):
        return None
    token = request.args.get("token")
    if token:
        found = find_token(services().engine, token)
        if found is None:
            session.clear()
            return _deny(403, "显示令牌无效或已撤销")
        session.clear()
        session.permanent = True
        session["token_id"] = found.id
    principal = _load_principal()
    if principal is None:
        return _deny(401, "未登录或登录已失效")
    if principal.scope is None:
        return _deny(403, "该账号未分配辖区，无权查看数据")
    if principal.via_token and (path.startswith(("/export", "/admin")) or (
            request.method == "GET" and _wants_html() and path != "/" and not principal.may_open(path))):
        return _deny(403, "显示令牌无权访问该页面")
    g.principal = principal
    return None


def _security_headers(response: Response) -> Response:
    csp = current_app.config.get("CONTENT_SECURITY_POLICY")
    if csp:
        response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def content_security_policy(script_hashes: list[str]) -> str:
    """A CSP that Dash, Plotly and MapLibre work under: nothing from other hosts, no framing."""
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts} 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ])


LOGIN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · 社会治理指挥中心</title>
<link rel="stylesheet" href="/assets/command-center.css"></head>
<body class="login-body"><main class="login-box">
<h1>宿迁市社会治理现代化指挥中心</h1>
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{{ csrf }}"><input type="hidden" name="next" value="{{ next }}">
<label>用户名<input name="username" autocomplete="username" required autofocus></label>
<label>密码<input name="password" type="password" autocomplete="current-password" required></label>
{% if error %}<p class="login-error" role="alert">{{ error }}</p>{% endif %}
<button type="submit">登录</button>
</form></main></body></html>"""


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect to another host after login."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _login_page(error: str | None = None, status: int = 200) -> Response:
    session.setdefault("csrf", secrets.token_urlsafe(16))
    html = render_template_string(LOGIN_PAGE, csrf=session["csrf"], next=_safe_next(request.values.get("next")),
                                  error=error)
    return Response(html, status=status, mimetype="text/html")


def _login() -> Response:
    if request.method == "GET":
        return _login_page()
    engine = services().engine
    name = (request.form.get("username") or "")[:64]
    password = (request.form.get("password") or "")[:256]
    address = request.remote_addr or "?"
    if not secrets.compare_digest(request.form.get("csrf") or "", session.get("csrf") or "x"):
        return _login_page("页面已过期，请重新登录", 400)
    keys = [f"user:{name}", f"addr:{address}"]
    if throttled(engine, keys):
        audit(engine, name or "?", "login_throttled", None, address)
        return _login_page(THROTTLE_MESSAGE, 429)
    account = authenticate(engine, name, password)
    if account is None:
        record_failure(engine, keys)
        audit(engine, name or "?", "login_failed", None, address)
        return _login_page(GENERIC_LOGIN_ERROR, 401)
    clear_failures(engine, [f"user:{name}"])
    session.clear()
    session.permanent = True
    session.update(user_id=account.id, version=account.session_version)
    audit(engine, account.name, "login", {"role": str(account.role)}, address)
    return redirect(_safe_next(request.form.get("next")))


def _logout() -> Response:
    principal = _load_principal()
    if principal is not None:
        audit(services().engine, principal.name, "logout", None, request.remote_addr)
    session.clear()
    return redirect("/login")


def install(server: Flask, secure_cookies: bool, session_minutes: int) -> None:
    """Install the guard, login/logout routes, cookie settings and security headers on the Flask server."""
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_NAME="cc_session",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=session_minutes),
    )
    server.before_request(_guard)
    server.after_request(_security_headers)
    server.add_url_rule("/login", "login", _login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", _logout, methods=["GET", "POST"])

    @server.errorhandler(Exception)
    def _no_traces(exc: Exception) -> Response:
        """No stack trace or SQL ever reaches a browser; HTTP errors keep their status and message."""
        code = getattr(exc, "code", 500)
        if not isinstance(code, int) or code < 400:
            code = 500
        if code == 500:
            server.logger.exception("unhandled error")
        message = getattr(exc, "description", None) if code != 500 else "服务器内部错误"
        response = jsonify({"error": message or "请求无法完成"})
        response.status_code = code
        return response


def role_label(principal: Principal) -> str:
    return "大屏令牌" if principal.role is None else ROLE_LABELS[principal.role]


def require_admin() -> Principal:
    principal = current_principal()
    if principal is None or principal.role != Role.ADMIN:
        abort(403, description="仅管理员可访问")
    return principal
