"""Server-side chart images with kaleido 1.x driving the machine's chromium, kept warm between requests."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import plotly.graph_objects as go

from dashboard.theme import LIGHT_TEMPLATE

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT, SCALE = 1600, 900, 2
TITLE_MARGIN = 110  # px above (title, area, period) and below (source note) an exported chart


@dataclass
class Renderer:
    """One warm kaleido server per process; a lock keeps concurrent requests from interleaving."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _started: bool = False

    def _ensure(self) -> None:
        if self._started:
            return
        import kaleido

        if os.path.exists(CHROMIUM):
            os.environ.setdefault("BROWSER_PATH", CHROMIUM)
        kaleido.start_sync_server(silence_warnings=True)
        self._started = True

    def image(self, fig: go.Figure, fmt: str) -> bytes:
        """PNG (1600 px at 2×), SVG or PDF of a figure in the light, print-friendly template."""
        printable = go.Figure(fig)
        printable.update_layout(template=LIGHT_TEMPLATE, paper_bgcolor="#ffffff", plot_bgcolor="#ffffff")
        with self._lock:
            self._ensure()
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return printable.to_image(format=fmt, width=WIDTH, height=HEIGHT,
                                          scale=SCALE if fmt == "png" else 1)
