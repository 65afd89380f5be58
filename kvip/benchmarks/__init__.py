"""Benchmarking: SQL aggregates, the scoring formulas, charts and dashboards."""
