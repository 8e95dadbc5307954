"""Export links follow the view: one clientside callback appends the URL's query string to every link."""

from __future__ import annotations

from dash import ALL, Dash, Input, Output, State

from dashboard.ids import Export, Shell

UPDATE_LINKS = """
function(search, ids) {
    return ids.map(function(id) {
        var base = id.type === '%s' ? '/export/report/' + id.page : '/export/' + id.chart;
        return base + '.' + id.fmt + (search || '');
    });
}
"""


def register(app: Dash) -> None:
    for kind in (Export.LINK, Export.REPORT):
        app.clientside_callback(
            UPDATE_LINKS % Export.REPORT,
            Output({"type": kind, "chart" if kind == Export.LINK else "page": ALL, "fmt": ALL}, "href"),
            Input(Shell.URL, "search"),
            State({"type": kind, "chart" if kind == Export.LINK else "page": ALL, "fmt": ALL}, "id"),
        )
