"""Accounts, display tokens, login throttling and the audit log: the data side of access control.

Passwords are hashed with scrypt (standard library, memory-hard); tokens are stored only as SHA-256 hashes.
Everything lives in the database so that every gunicorn worker sees the same state at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from data.filters import AreaRef, find_area
from data.models import Area, AuditEntry, DisplayToken, LoginAttempt, User
from data.vocab import Level


class Role(StrEnum):
    LEADER = "leader"
    CHIEF = "chief"
    ANALYST = "analyst"
    ADMIN = "admin"


ROLE_LABELS = {Role.LEADER: "领导", Role.CHIEF: "县区/乡镇负责人", Role.ANALYST: "分析员", Role.ADMIN: "管理员"}
EXPORT_ROLES = frozenset(Role)  # every logged-in role may export its own scope; display tokens may not
TOKEN_PAGES = frozenset({"screen", "screen-ops", "screen-indicators", "map", "flow", "resolution", "overdue"})
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_LIMIT = 5
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AccountError(ValueError):
    """A user-management mistake, reported in plain words."""


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise AccountError("密码至少 8 位")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return "scrypt${n}${r}${p}$".format(**SCRYPT) + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


# A hash of a random password: verifying against it costs the same time as a real account.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: Role
    area_code: str | None
    disabled: bool
    session_version: int


def _account(u: User) -> Account:
    return Account(u.id, u.name, Role(u.role), u.area_code, u.disabled, u.session_version)


def _checked_area(engine: Engine, code: str | None) -> str:
    area = find_area(engine, code) if code else None
    if area is None:
        raise AccountError(f"未知区域编码: {code}")
    return area.code


def add_user(engine: Engine, name: str, role: str, area: str, password: str) -> Account:
    try:
        role_value = Role(role)
    except ValueError as exc:
        raise AccountError(f"未知角色 {role!r}（可选: {', '.join(r.value for r in Role)}）") from exc
    if not name or len(name) > 64 or not name.isprintable() or " " in name:
        raise AccountError("用户名须为 1–64 个可见字符，不含空格")
    code = _checked_area(engine, area)
    with Session(engine) as s:
        if s.scalar(select(User.id).where(User.name == name)) is not None:
            raise AccountError(f"用户已存在: {name}")
        user = User(name=name, password_hash=hash_password(password), role=str(role_value), area_code=code,
                    disabled=False, session_version=1, created_at=datetime.now())
        s.add(user)
        s.commit()
        return _account(user)


def list_users(engine: Engine) -> list[Account]:
    with Session(engine) as s:
        return [_account(u) for u in s.scalars(select(User).order_by(User.name))]


# Built once: every request runs these, and building the statement cost more than running it (0.5 ms).
_USER_WITH_SCOPE = (
    select(User.id, User.name, User.role, User.area_code, User.disabled, User.session_version, Area.level,
           Area.name.label("area_name"))
    .outerjoin(Area, Area.code == User.area_code).where(User.id == bindparam("user_id")))
_TOKEN_WITH_SCOPE = (
    select(DisplayToken.id, DisplayToken.area_code, DisplayToken.pages, DisplayToken.label, DisplayToken.revoked_at,
           Area.level, Area.name.label("area_name"))
    .outerjoin(Area, Area.code == DisplayToken.area_code).where(DisplayToken.id == bindparam("token_id")))


def user_with_scope(engine: Engine, user_id: int) -> tuple[Account, AreaRef | None] | None:
    """The account and its scope area in one statement: every request asks this, so it is one round trip."""
    with engine.connect() as conn:
        row = conn.execute(_USER_WITH_SCOPE, {"user_id": user_id}).first()
    if row is None:
        return None
    account = Account(row.id, row.name, Role(row.role), row.area_code, row.disabled, row.session_version)
    return account, _area(row.area_code, row.level, row.area_name)


def _area(code: str | None, level: str | None, name: str | None) -> AreaRef | None:
    return AreaRef(code, Level(level), name) if code and level else None


def _change(engine: Engine, name: str, **values) -> None:
    with Session(engine) as s:
        done = s.execute(
            update(User).where(User.name == name).values(session_version=User.session_version + 1, **values)
        ).rowcount
        if not done:
            raise AccountError(f"没有这个用户: {name}")
        s.commit()


def disable_user(engine: Engine, name: str) -> None:
    _change(engine, name, disabled=True)


def set_password(engine: Engine, name: str, password: str) -> None:
    _change(engine, name, password_hash=hash_password(password))


def set_scope(engine: Engine, name: str, area: str) -> None:
    _change(engine, name, area_code=_checked_area(engine, area))


def authenticate(engine: Engine, name: str, password: str) -> Account | None:
    """The account if name and password match an enabled user; the same work is done when they do not."""
    with Session(engine) as s:
        u = s.scalar(select(User).where(User.name == name))
        ok = verify_password(password, u.password_hash if u else _DUMMY_HASH)
        if u is None or not ok or u.disabled:
            return None
        return _account(u)


def throttled(engine: Engine, keys: list[str], now: datetime | None = None) -> bool:
    """True when any key (account or address) had too many failed logins in the window."""
    now = now or datetime.now()
    with Session(engine) as s:
        counts = s.execute(
            select(LoginAttempt.key, func.count())
            .where(LoginAttempt.key.in_(keys), LoginAttempt.at >= now - THROTTLE_WINDOW)
            .group_by(LoginAttempt.key)
        ).all()
    return any(n >= THROTTLE_LIMIT for _, n in counts)


def record_failure(engine: Engine, keys: list[str]) -> None:
    now = datetime.now()
    with Session(engine) as s:
        s.add_all([LoginAttempt(key=k[:120], at=now) for k in keys])
        s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - 4 * THROTTLE_WINDOW))
        s.commit()


def clear_failures(engine: Engine, keys: list[str]) -> None:
    with Session(engine) as s:
        s.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(keys)))
        s.commit()


@dataclass(frozen=True)
class Token:
    id: int
    area_code: str
    pages: tuple[str, ...]
    label: str | None
    revoked: bool


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_token(engine: Engine, area: str, pages: list[str], label: str | None = None) -> tuple[int, str]:
    """Create a display token; returns (id, the token itself — shown once, stored only as a hash)."""
    wrong = sorted(set(pages) - TOKEN_PAGES)
    if not pages or wrong:
        raise AccountError(f"页面须为 {', '.join(sorted(TOKEN_PAGES))} 之一（错误: {', '.join(wrong) or '空'}）")
    code = _checked_area(engine, area)
    token = secrets.token_urlsafe(24)
    with Session(engine) as s:
        row = DisplayToken(token_hash=_token_hash(token), area_code=code, pages=",".join(pages), label=label,
                           created_at=datetime.now())
        s.add(row)
        s.commit()
        return row.id, token


def find_token(engine: Engine, token: str) -> Token | None:
    """The live (not revoked) token, or None."""
    if not token or len(token) > 200:
        return None
    with Session(engine) as s:
        row = s.scalar(select(DisplayToken).where(DisplayToken.token_hash == _token_hash(token)))
        return _as_token(row) if row and row.revoked_at is None else None


def token_with_scope(engine: Engine, token_id: int) -> tuple[Token, AreaRef | None] | None:
    """The display token and its area in one statement (asked on every request a wall screen makes)."""
    with engine.connect() as conn:
        row = conn.execute(_TOKEN_WITH_SCOPE, {"token_id": token_id}).first()
    if row is None:
        return None
    return _as_token(row), _area(row.area_code, row.level, row.area_name)


def _as_token(row: DisplayToken) -> Token:
    return Token(row.id, row.area_code, tuple(row.pages.split(",")), row.label, row.revoked_at is not None)


def list_tokens(engine: Engine) -> list[Token]:
    with Session(engine) as s:
        return [_as_token(r) for r in s.scalars(select(DisplayToken).order_by(DisplayToken.id))]


def revoke_token(engine: Engine, token_id: int) -> None:
    with Session(engine) as s:
        done = s.execute(
            update(DisplayToken).where(DisplayToken.id == token_id, DisplayToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now())
        ).rowcount
        if not done:
            raise AccountError(f"没有这个有效令牌: {token_id}")
        s.commit()


def audit(engine: Engine, actor: str, action: str, detail: dict | None = None, address: str | None = None) -> None:
    """Append one entry to the audit log."""
    with Session(engine) as s:
        s.add(AuditEntry(at=datetime.now(), actor=actor[:64], action=action[:32],
                         detail=json.dumps(detail, ensure_ascii=False) if detail else None,
                         address=(address or "")[:64] or None))
        s.commit()
