"""Metrics: each a function from Ibis tables to an Ibis expression.

Nothing here executes a query or imports a backend; the engine runs them.
Every metric module declares ``METRICS``: the names documented in docs/metrics.md.
"""
