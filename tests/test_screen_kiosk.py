"""Kiosk mode: which page comes next, that the query string (with kiosk=1) travels along, and the settings."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from callbacks.screen import kiosk_enabled, next_kiosk_stop
from dashboard.config import Config, ConfigError

PAGES = ("/screen", "/map", "/overdue")


def test_kiosk_flag() -> None:
    assert kiosk_enabled("?area=321322&kiosk=1")
    assert not kiosk_enabled("?area=321322&kiosk=0")
    assert not kiosk_enabled("?area=321322")
    for odd in (None, 1, ["?kiosk=1"], ""):
        assert not kiosk_enabled(odd)


def test_rotation_walks_the_list_and_wraps() -> None:
    search = "?area=321322&from=2023-01-01&to=2023-12-31&kind=dispute&kiosk=1"
    path = "/screen"
    seen = []
    for _ in range(4):
        stop = next_kiosk_stop(path, search, PAGES)
        assert stop is not None
        path, search = stop
        seen.append(path)
        params = parse_qs(search.lstrip("?"))
        assert params == {"area": ["321322"], "from": ["2023-01-01"], "to": ["2023-12-31"], "kind": ["dispute"],
                          "kiosk": ["1"]}
    assert seen == ["/map", "/overdue", "/screen", "/map"]


def test_rotation_starts_over_from_other_pages_and_stops_without_kiosk() -> None:
    assert next_kiosk_stop("/", "?kiosk=1", PAGES) == ("/screen", "?kiosk=1")
    assert next_kiosk_stop("/flow", "?kiosk=1&area=321302", PAGES)[0] == "/screen"
    assert next_kiosk_stop("/screen", "?area=321302", PAGES) is None
    assert next_kiosk_stop("/screen", "?kiosk=1", ("/screen",)) is None  # one page: nothing to rotate
    assert next_kiosk_stop("/screen", "?kiosk=1", ()) is None


def test_config_defaults_and_environment() -> None:
    default = Config.from_env({})
    assert default.kiosk_pages == PAGES and default.kiosk_seconds == 30
    custom = Config.from_env({"KIOSK_PAGES": " /screen , /resolution ", "KIOSK_SECONDS": "3"})
    assert custom.kiosk_pages == ("/screen", "/resolution") and custom.kiosk_seconds == 3
    assert Config.from_env({"KIOSK_SECONDS": "1"}).kiosk_seconds == 3  # too fast to read: clamped
    with pytest.raises(ConfigError, match="KIOSK_SECONDS"):
        Config.from_env({"KIOSK_SECONDS": "soon"})
    with pytest.raises(ConfigError, match="KIOSK_PAGES"):
        Config.from_env({"KIOSK_PAGES": "screen,map"})


def test_a_well_formed_kiosk_query_comes_back_unchanged() -> None:
    """`rotate` re-sends the query string only when it changed: re-sending it re-ran the callbacks of the page
    being left, and one could run after the next page had replaced the layout (a console ReferenceError)."""
    for search in ("?kiosk=1", "?area=321322&kiosk=1", "?area=321322&from=2023-01-01&to=2023-12-31&kiosk=1"):
        assert next_kiosk_stop("/screen", search, PAGES) == ("/map", search)
    assert next_kiosk_stop("/screen", "?area=321322", PAGES) is None
    assert next_kiosk_stop("/screen", "?area=321322&kiosk=0", PAGES) is None
