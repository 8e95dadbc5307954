"""`GET /geo/<code>.geojson`: the geometry of one map view, sent once and then cached by the browser.

Maps reference this URL instead of embedding polygons in figures, so changing a metric or period sends
values only.
"""

from __future__ import annotations

import json

from flask import Flask, Response, abort, request

from dashboard.auth import current_principal
from dashboard.context import services
from data.db import get_meta
from data.filters import find_area
from data.queries.geometry import child_features

GEO_URL = "/geo/{code}.geojson"


def geo_url(short: str) -> str:
    """The URL of the children's geometry of an area (short or full code)."""
    return GEO_URL.format(code=short)


def register(server: Flask) -> None:
    @server.get("/geo/<code>.geojson")
    def area_geojson(code: str) -> Response:
        svc = services()
        area = find_area(svc.engine, code)
        principal = current_principal()
        if area is None or principal is None or principal.scope is None or not principal.scope.contains(area.code):
            abort(404, description="未知区域编码")
        etag = f'"{get_meta(svc.engine, "data_version") or "0"}-{area.code}"'
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        body = json.dumps(child_features(svc.engine, area), ensure_ascii=False, separators=(",", ":"))
        return Response(
            body,
            mimetype="application/geo+json",
            headers={"Cache-Control": "private, max-age=86400", "ETag": etag},
        )
