"""Per-app services (engine, config) reachable from callbacks without module globals.

The app factory stores one `Services` object in the Flask app's `extensions`; several apps (tests) and
several gunicorn workers each have their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import Engine

from dashboard.config import Config
from data.db import as_of_date

EXTENSION_KEY = "command_center"


@dataclass(frozen=True)
class Services:
    config: Config
    engine: Engine

    def today(self) -> date:
        """The data's as-of date: 'today' for quick picks and overdue views (wall clock if unknown)."""
        return as_of_date(self.engine) or date.today()


def services() -> Services:
    """The services of the app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]
