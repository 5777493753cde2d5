"""Replications of a compiled scenario: seeding, worker pools and executors, reduction, streaming statistics,
the summary and atomic output folders.

Layer 3: imports only the layers below (core, scenario, engine).
"""
