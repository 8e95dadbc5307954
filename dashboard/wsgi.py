"""WSGI entry for gunicorn: `gunicorn dashboard.wsgi:server` (each worker builds its own app)."""

from dashboard.app import create_app
from dashboard.config import Config

app = create_app(Config.from_env())
server = app.server
