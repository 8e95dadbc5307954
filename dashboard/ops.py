"""Operational endpoints and request logs: `/healthz` (process alive), `/readyz` (database reachable).

Both are public (a load balancer probes them without a login) and reveal nothing about the data.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dashboard.context import services

LOG = logging.getLogger("dashboard.requests")


def database_ready() -> bool:
    """True when the database answers a trivial query within the pool's timeout. Tried twice: a pooled
    connection cut by a database restart fails once (and has the pool replace its connections)."""
    for _attempt in range(2):
        try:
            with services().engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            continue
    return False


def register(server: Flask) -> None:
    @server.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @server.get("/readyz")
    def readyz() -> Response:
        ok = database_ready()
        response = jsonify({"status": "ok" if ok else "database unavailable"})
        response.status_code = 200 if ok else 503
        return response

    @server.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @server.after_request
    def _log(response: Response) -> Response:
        started = g.get("started")
        if started is not None:
            ms = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={ms:.1f}"
            # A streamed body (large exports) must not be read into memory just to log its size.
            size = "-" if response.is_streamed else (response.calculate_content_length() or "-")
            LOG.info("%s %s %s %.1fms %sB", request.method, request.path, response.status_code, ms, size)
        return response
