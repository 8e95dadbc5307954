"""Query layer: one function per question, SQL aggregation through SQLAlchemy, DataFrames out.

Callbacks, the CLI and the tests all call these functions; none of them writes SQL itself.
"""
