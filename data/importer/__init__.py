"""Data import: cases, area boundaries, service centers and their staff, from CSV, xlsx and GIS files.

Entry point: `run_import(engine, kind, path, ImportOptions(...))`. Every file gets a log entry (ImportRun)
and a report whose counts add up (received = inserted + updated + unchanged + rejected); bad rows are
quarantined with their reason, good rows are upserted idempotently in one transaction.
"""

from data.importer.faults import FileRefused
from data.importer.mapping import KINDS
from data.importer.options import ImportOptions
from data.importer.pipeline import ImportFailed, run_import, start_import
from data.importer.report import ImportReport

__all__ = ["KINDS", "FileRefused", "ImportFailed", "ImportOptions", "ImportReport", "run_import", "start_import"]
