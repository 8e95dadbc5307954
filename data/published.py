"""Figures Suqian published, which the demo must reproduce through the app's own queries.

Kept in one place so that the generator calibrates to them and the tests compare against them; the app's
screens never read this module (their numbers come from queries over the data).
"""

from __future__ import annotations

from datetime import date

DEFAULT_CASES = 60_000
DATA_START = date(2021, 1, 1)
DATA_END = date(2023, 12, 31)

# 2023-01-01 … 2023-09-14: disputes handled by the four-level centers and their mediation success rate.
DISPUTE_WINDOW = (date(2023, 1, 1), date(2023, 9, 14))
DISPUTES_HANDLED = 10_667
MEDIATION_SUCCESS_RATE = 90.55  # percent
FIRST_PETITIONS_YOY = -22.5  # percent, same dates of 2022

# Center structure (does not scale with --cases).
INSTITUTIONS = 230
CENTER_STAFF = 956
GRID_LIAISONS = 20_000
DEMO_GRIDS = 37

# Petition backlog and difficult cases.
BACKLOG_RESOLVED_2022 = 2_124
BACKLOG_WINDOW = (date(2022, 1, 1), date(2022, 12, 31))
DIFFICULT_RESOLVED = 1_137
DIFFICULT_WINDOW = (date(2022, 8, 1), date(2023, 9, 14))
