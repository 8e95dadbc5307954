"""gunicorn settings for production: `gunicorn -c dashboard/gunicorn.conf.py dashboard.wsgi:server`.

Values come from the environment so that operators tune them without editing code.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8050")
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, multiprocessing.cpu_count()))))
threads = int(os.environ.get("WEB_THREADS", "2"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 20
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# Build the app in each worker (not in the master) so each has its own database pool.
preload_app = False
