"""Configuration read from the environment (12-factor), validated once at start-up."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = REPO_ROOT / "instance" / "dashboard.sqlite"


class ConfigError(RuntimeError):
    """Raised when the environment describes a configuration that must not run."""


@dataclass(frozen=True)
class Config:
    """Everything the app factory needs; build it with `Config.from_env()` or directly in tests."""

    database_url: str = f"sqlite:///{DEFAULT_DB}"
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    redis_url: str | None = None
    debug: bool = False
    environment: str = "development"
    refresh_seconds: int = 60
    card_rule_file: str | None = None
    session_minutes: int = 480
    secure_cookies: bool = False
    kiosk_pages: tuple[str, ...] = ("/screen", "/map", "/overdue")
    kiosk_seconds: int = 30

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        """Read DATABASE_URL, SECRET_KEY, REDIS_URL, DASHBOARD_ENV, DASHBOARD_DEBUG, SCREEN_REFRESH_SECONDS,
        KIOSK_PAGES (comma-separated paths), KIOSK_SECONDS."""
        env = dict(os.environ if env is None else env)
        environment = env.get("DASHBOARD_ENV", "development")
        secret = env.get("SECRET_KEY")
        debug = env.get("DASHBOARD_DEBUG", "0").lower() in ("1", "true", "yes")
        if environment == "production":
            if not secret:
                raise ConfigError("生产环境必须设置 SECRET_KEY（SECRET_KEY is required in production）")
            if debug:
                raise ConfigError("生产环境不允许开启调试模式（debug must be off in production）")
        try:
            refresh = int(env.get("SCREEN_REFRESH_SECONDS", "60"))
        except ValueError as exc:
            raise ConfigError("SCREEN_REFRESH_SECONDS 必须是整数") from exc
        kwargs = {
            "database_url": env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DB}",
            "redis_url": env.get("REDIS_URL") or None,
            "debug": debug,
            "environment": environment,
            "refresh_seconds": max(refresh, 5),
            "card_rule_file": env.get("CARD_RULE_FILE") or None,
            "session_minutes": _int(env, "SESSION_MINUTES", 480, minimum=5),
            "secure_cookies": env.get("SESSION_COOKIE_SECURE", "0").lower() in ("1", "true", "yes"),
            "kiosk_pages": _paths(env, "KIOSK_PAGES", cls.kiosk_pages),
            "kiosk_seconds": _int(env, "KIOSK_SECONDS", cls.kiosk_seconds, minimum=3),
        }
        if secret:
            kwargs["secret_key"] = secret
        return cls(**kwargs)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    def ensure_sqlite_dir(self) -> None:
        """Create the folder of a SQLite database file so that a fresh clone just works."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            path = Path(self.database_url[len(prefix) :])
            if str(path) not in ("", ":memory:"):
                path.parent.mkdir(parents=True, exist_ok=True)


def _int(env: dict[str, str], key: str, default: int, minimum: int = 0) -> int:
    """An integer setting, with a clear error naming the variable."""
    try:
        return max(int(env.get(key, str(default))), minimum)
    except ValueError as exc:
        raise ConfigError(f"{key} 必须是整数") from exc


def _paths(env: dict[str, str], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of page paths (e.g. "/screen,/map"); each must start with "/"."""
    raw = env.get(key, "").strip()
    if not raw:
        return default
    paths = tuple(p.strip() for p in raw.split(",") if p.strip())
    if not paths or any(not p.startswith("/") for p in paths):
        raise ConfigError(f"{key} 必须是以逗号分隔、以 / 开头的页面路径，例如 /screen,/map")
    return paths
