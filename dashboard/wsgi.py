"""WSGI entry for gunicorn: `gunicorn dashboard.wsgi:server` (each worker builds its own app)."""

import logging

from dashboard.app import create_app
from dashboard.config import Config

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
app = create_app(Config.from_env())
server = app.server
