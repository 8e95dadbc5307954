"""Big-screen first render: Chromium opens /screen (logged in as the leader) against gunicorn.

The time is from navigation start until the page shows data everywhere: every graph of the canvas has traces,
every KPI tile a value (not the "—" placeholder), the map's geometry has arrived and the map has drawn its
canvas. Cold: a fresh gunicorn with an empty cache (Redis flushed); warm: the same URL again in a new browser
context (empty browser cache, warm server cache). At 1920×1080 and 3840×2160.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
PASSWORD = "suqian-demo-2023"
PATH = "/screen"
SIZES = ((1920, 1080), (3840, 2160))
TARGET_MS = 2000
TIMEOUT_MS = 60_000

# Returns performance.now() (ms since navigation start) once everything shows data, else false.
RENDERED_JS = """() => {
    const canvas = document.getElementById('screen-canvas');
    if (!canvas) return false;
    const graphs = canvas.querySelectorAll('.dash-graph');
    if (graphs.length === 0) return false;
    for (const g of graphs) {
        const plot = g.querySelector('.js-plotly-plot');
        if (!plot || !plot._fullLayout || !Array.isArray(plot.data) || plot.data.length === 0) return false;
    }
    for (const k of canvas.querySelectorAll('.kpi-value')) {
        const t = (k.textContent || '').trim();
        if (!t || t === '—') return false;
    }
    const geo = performance.getEntriesByType('resource').some(e => e.name.includes('/geo/') && e.responseEnd > 0);
    if (!geo || !canvas.querySelector('#screen-map canvas')) return false;
    return performance.now();
}"""

MISSING_JS = """() => {
    const canvas = document.getElementById('screen-canvas');
    if (!canvas) return ['no canvas'];
    const out = [];
    for (const g of canvas.querySelectorAll('.dash-graph')) {
        const plot = g.querySelector('.js-plotly-plot');
        if (!plot || !plot.data || plot.data.length === 0) out.push('graph ' + g.id);
    }
    for (const k of canvas.querySelectorAll('.kpi-value')) if (!(k.textContent || '').trim()
        || k.textContent.trim() === '—') out.push('tile ' + k.id);
    if (!performance.getEntriesByType('resource').some(e => e.name.includes('/geo/'))) out.push('geojson');
    return out;
}"""


# Where the time goes: ms since navigation start of DOMContentLoaded, plotly.js arriving, the last callback
# answer and the map's geometry request (the rest until "rendered" is the browser drawing).
MILESTONES_JS = """() => {
    const res = performance.getEntriesByType('resource');
    const calls = res.filter(e => e.name.includes('/_dash-update-component'));
    const plotly = res.find(e => e.name.includes('plotly'));
    const geo = res.find(e => e.name.includes('/geo/'));
    return {dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
            plotly: plotly ? plotly.responseEnd : -1, callbacks: calls.length,
            last_callback: Math.max(0, ...calls.map(e => e.responseEnd)),
            geo_start: geo ? geo.startTime : -1, geo_end: geo ? geo.responseEnd : -1};
}"""


def available() -> str | None:
    """None when the browser can run, else why not."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: `make system-deps` installs it"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is not installed: {exc}"
    return None


def _login(context, base: str, user: str = "leader") -> None:
    form = context.request.get(f"{base}/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text()).group(1)
    response = context.request.post(f"{base}/login", form={"username": user, "password": PASSWORD, "csrf": csrf,
                                                            "next": "/"}, max_redirects=0)
    if response.status != 302:
        raise RuntimeError(f"login as {user} failed: HTTP {response.status}")


def first_render_ms(browser, base: str, width: int, height: int, query: str = "") -> tuple[float | None, str]:
    """(ms from navigation start until the screen shows data, note); None with the reason on a timeout."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    try:
        _login(context, base)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)[:120]))
        page.goto(base + PATH + query, wait_until="commit")
        try:
            handle = page.wait_for_function(RENDERED_JS, polling="raf", timeout=TIMEOUT_MS)
            ms = float(handle.json_value())
        except Exception:  # noqa: BLE001 - a timeout: say what is still missing
            return None, f"not rendered after {TIMEOUT_MS / 1000:.0f} s: {page.evaluate(MISSING_JS)}"
        m = page.evaluate(MILESTONES_JS)
        note = (f"scripts run by {m['dcl']:.0f} ms, plotly.js loaded by {m['plotly']:.0f}, {m['callbacks']} callbacks "
                f"answered by {m['last_callback']:.0f}, geometry fetched {m['geo_start']:.0f}–{m['geo_end']:.0f}"
                + (f"; page errors: {errors}" if errors else ""))
        return ms, note
    finally:
        context.close()


def report(start_server: Callable[[], object], out: Callable[[str], None] = print) -> dict[str, float | None]:
    """`start_server()` is a context manager yielding a fresh server (empty cache) with `.base`."""
    reason = available()
    if reason:
        out(f"screen: skipped ({reason})")
        return {}
    from playwright.sync_api import sync_playwright

    results: dict[str, float | None] = {}
    out(f"screen: {PATH} first render as the leader (navigation start → every graph, tile and the map drawn)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for width, height in SIZES:
                with start_server() as server:
                    for state in ("cold", "warm"):
                        ms, note = first_render_ms(browser, server.base, width, height)
                        results[f"{width}x{height} {state}"] = ms
                        flag = "" if ms is None or ms <= TARGET_MS else f"  >{TARGET_MS / 1000:.0f} s"
                        shown = f"{ms:7.0f} ms" if ms is not None else "      — "
                        out(f"  {width}×{height} {state:4}: {shown}  ({note}){flag}")
        finally:
            browser.close()
    return results
