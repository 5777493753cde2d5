"""The vocabulary every layer shares: error types, units, key performance indicators (KPIs) and milestones.

Layer 0: imports nothing else from :mod:`sim`.
"""
