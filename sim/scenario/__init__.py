"""The scenario file format: loading, ``extends``, overrides, schema, conditions, distributions, calendars,
validation, levers and targets.

Layer 1: imports only :mod:`sim.core`.
"""
