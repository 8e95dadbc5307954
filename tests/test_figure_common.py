"""The one figure constructor: built without Plotly's validation, checked by it in the test suite."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard.theme import DARK_TEMPLATE, LIGHT_TEMPLATE, register_templates
from layouts.figures.common import STRICT_ENV, check_figure, count_axis, figure, trace


@pytest.fixture(autouse=True)
def _templates() -> None:
    register_templates()


def test_the_suite_runs_strict() -> None:
    assert os.environ.get(STRICT_ENV) == "1"


def test_a_misspelt_property_fails_in_strict_mode() -> None:
    with pytest.raises(ValueError, match="colour"):
        figure([{"type": "bar", "x": [1], "y": [2], "colour": "red"}], {})
    with pytest.raises(ValueError, match="margn"):
        figure([], {"margn": {"l": 4}})


def test_production_skips_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STRICT_ENV)
    fig = figure([{"type": "bar", "x": [1], "y": [2], "colour": "red"}], {})
    assert fig.to_plotly_json()["data"][0]["colour"] == "red"  # nothing looked at it


@pytest.mark.parametrize(("light", "name"), [(False, DARK_TEMPLATE), (True, LIGHT_TEMPLATE)])
def test_the_figure_carries_the_whole_named_template(light: bool, name: str) -> None:
    """plotly.js knows no template names: the unvalidated figure must hold what validation would expand."""
    ours = json.loads(figure([], {}, light=light).to_json())["layout"]["template"]
    named = json.loads(go.Figure(layout={"template": name}).to_json())["layout"]["template"]
    assert ours == named
    assert ours["layout"]["paper_bgcolor"] == ("#ffffff" if light else pio.templates[DARK_TEMPLATE].layout.paper_bgcolor)


def test_check_figure_fails_when_validation_would_change_the_json() -> None:
    """A template given by name is the JSON difference validation makes: the check must see it."""
    by_name = go.Figure(layout={"template": DARK_TEMPLATE}, _validate=False)
    with pytest.raises(ValueError, match="changes under"):
        check_figure(by_name)
    check_figure(figure([{"type": "scatter", "x": [1, 2], "y": [3, 4]}], {"title": {"text": "标题"}}))


def test_traces_are_built_unvalidated_and_checked_with_their_figure() -> None:
    """`trace` skips validation (a bad property passes it), so the figure's strict check is what catches it."""
    bar = trace(go.Bar, x=[1], y=[2], colour="red")
    assert isinstance(bar, go.Bar)
    with pytest.raises(ValueError, match="colour"):
        figure([bar], {})
    check_figure(figure([trace(go.Scatter, x=[1, 2], y=[3, 4], mode="lines")], {}))



@pytest.mark.parametrize(("top", "step"), [(0, 1), (1, 1), (10, 1), (11, None), (4200, None)])
def test_a_count_axis_never_ticks_a_fraction(top: float, step: int | None) -> None:
    """Small counts step by one case; larger ones keep Plotly's step, always printed as a whole number."""
    axis = count_axis(top, "件")
    assert axis.get("dtick") == step
    assert axis["tickformat"] == ",d" and axis["rangemode"] == "tozero" and axis["title"] == {"text": "件"}
    assert "title" not in count_axis(top)


def test_pandas_columns_reach_the_browser_as_plotly_would_send_them() -> None:
    """`trace` hands Plotly numpy arrays instead of pandas columns (skipping its per-array narwhals trip):
    the JSON must be what Plotly makes of the columns themselves, for every kind of column a chart uses."""
    frame = pd.DataFrame({"n": [3, 1, 200000], "rate": [12.5, float("nan"), 99.0], "name": ["宿城区", "沭阳县", "泗洪县"],
                          "week": pd.to_datetime(["2023-01-02", "2023-01-09", "2023-01-16"]),
                          "code": ["321302", "321322", "321324"]})
    zoned = frame["week"].dt.tz_localize("Asia/Shanghai")
    props = {"x": frame["week"], "y": frame["n"], "text": frame["name"], "customdata": frame[["code", "rate"]],
             "marker": {"color": frame["rate"]}}
    for kind, extra in ((go.Bar, {}), (go.Scatter, {"x": zoned}), (go.Scatter, {"x": frame.set_index("week").index})):
        ours = figure([trace(kind, **{**props, **extra})], {})
        plotly = figure([kind(**{**props, **extra}, _validate=False)], {})
        assert ours.to_json() == plotly.to_json()
    assert isinstance(trace(go.Bar, y=frame["n"]).y, np.ndarray)
