"""The filter bar shared by all pages: area breadcrumb, period quick picks and custom range, case kinds.

Every control is a link or writes the URL, so a view is always reproducible from its address.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.ids import Filters
from dashboard.periods import QUICK_PICKS
from data.vocab import KIND_LABELS


def filter_bar() -> html.Div:
    """Static frame; `callbacks.filters` fills the crumbs and quick links from the URL."""
    return html.Div(
        [
            html.Nav(id=Filters.BREADCRUMB, className="cc-breadcrumb", **{"aria-label": "区域层级"}),
            html.Div(id=Filters.QUICK, className="cc-quick"),
            dcc.DatePickerRange(
                id=Filters.DATES,
                display_format="YYYY-MM-DD",
                start_date_placeholder_text="开始日期",
                end_date_placeholder_text="结束日期",
                minimum_nights=0,
                className="cc-dates",
            ),
            dcc.Checklist(
                id=Filters.KINDS,
                options=[{"label": label, "value": str(kind)} for kind, label in KIND_LABELS.items()],
                value=[],
                inline=True,
                className="cc-kinds",
            ),
        ],
        id=Filters.BAR,
        className="cc-filters",
    )


def crumb_links(chain: list[tuple[str, str]], current: str) -> list:
    """Breadcrumb: each ancestor a link (href given), the current area plain text; separated by ›."""
    items: list = []
    for i, (name, href) in enumerate(chain):
        if i:
            items.append(html.Span("›", className="sep"))
        items.append(html.Span(name, className="current") if i == len(chain) - 1 else dcc.Link(name, href=href))
    return items


def quick_links(links: list[tuple[str, str, bool]]) -> list:
    """Quick-pick period links (label, href, active)."""
    return [dcc.Link(label, href=href, className="active" if active else "") for label, href, active in links]


__all__ = ["QUICK_PICKS", "crumb_links", "filter_bar", "quick_links"]
