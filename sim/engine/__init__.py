"""The SimPy model of one replication: compile a scenario, run its projects through their stages, return records.

Layer 2: imports only :mod:`sim.core` and :mod:`sim.scenario`.
"""
