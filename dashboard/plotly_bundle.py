"""The partial plotly.js bundle (`dashboard/vendor/plotly-custom.min.js`) that every graph draws with.

Dash's own plotly.min.js holds all ~50 trace types; evaluating it took 650 ms of main thread on the big screen
before the first graph could draw. The partial bundle (core, and the traces in frontend/plotly/traces.json)
takes about 110 ms. `make plotly-bundle` rebuilds it from the pinned npm packages; the app only serves it.

The page learns the URL from a meta tag; `assets/plotly-bundle.js` hands it to dcc.Graph's loader
(`window._dashPlotlyJSURL`) and preloads it. The URL carries a digest of the file, so it is cached for good.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, abort

BUNDLE = Path(__file__).resolve().parent / "vendor" / "plotly-custom.min.js"
URL_PREFIX = "/vendor/"  # public, like /assets/ (dashboard.auth)
ROUTE = URL_PREFIX + "plotly-<tag>.min.js"
META_NAME = "plotly-bundle"


def bundle_digest(path: Path = BUNDLE) -> str:
    """First 12 hex digits of the bundle's SHA-256: a new build gets a new URL."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def bundle_url(digest: str) -> str:
    return ROUTE.replace("<tag>", digest)


def meta_tag(digest: str) -> dict[str, str]:
    """The Dash `meta_tags` entry that tells the page where the bundle is."""
    return {"name": META_NAME, "content": bundle_url(digest)}


def register(server: Flask, digest: str) -> None:
    """Serve the bundle under its digest, cacheable for a year (public code: no login needed)."""
    body = BUNDLE.read_bytes()

    @server.get(ROUTE)
    def plotly_bundle(tag: str) -> Response:
        if tag != digest:
            abort(404)
        return Response(body, mimetype="text/javascript",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})
