"""Plan status rules: late when a milestone passes undone; done when every milestone is done; else on track."""

from __future__ import annotations

from datetime import date

from data.models_strategy import PlanStatus
from data.queries.plan import item_status

AS_OF = date(2023, 12, 31)


def test_a_milestone_passed_undone_makes_the_item_late() -> None:
    steps = [(date(2023, 3, 1), date(2023, 2, 20)), (date(2023, 11, 30), None), (date(2024, 6, 30), None)]
    assert item_status(steps, AS_OF) == PlanStatus.LATE


def test_all_past_milestones_done_is_on_track() -> None:
    steps = [(date(2023, 3, 1), date(2023, 2, 20)), (date(2024, 6, 30), None)]
    assert item_status(steps, AS_OF) == PlanStatus.ON_TRACK


def test_every_milestone_done_is_done_even_if_one_was_late() -> None:
    steps = [(date(2023, 3, 1), date(2023, 3, 20)), (date(2023, 9, 30), date(2023, 9, 1))]
    assert item_status(steps, AS_OF) == PlanStatus.DONE


def test_a_milestone_due_on_the_status_date_has_not_passed_yet() -> None:
    assert item_status([(AS_OF, None)], AS_OF) == PlanStatus.ON_TRACK
    assert item_status([(AS_OF, None)], date(2024, 1, 1)) == PlanStatus.LATE


def test_done_after_the_status_date_counts_as_not_done_then() -> None:
    steps = [(date(2023, 6, 30), date(2023, 8, 1))]
    assert item_status(steps, date(2023, 7, 15)) == PlanStatus.LATE  # back then it was late
    assert item_status(steps, AS_OF) == PlanStatus.DONE


def test_an_item_without_milestones_is_late_after_its_due_date() -> None:
    assert item_status([], AS_OF, due=date(2023, 6, 30)) == PlanStatus.LATE
    assert item_status([], AS_OF, due=date(2024, 6, 30)) == PlanStatus.ON_TRACK
