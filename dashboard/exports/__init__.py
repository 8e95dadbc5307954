"""Exports for analysts: every chart as PNG/SVG, its data as xlsx/CSV, and one-click page reports."""
