"""Fitting a scenario to an event log: ``approval-sim fit LOG -o fitted.toml`` and ``sim.fit``.

Layer 2.5, between the scenario format and the engine: imports :mod:`sim.core`, :mod:`sim.eventlog` and
:mod:`sim.scenario` only.  The model is described in ``docs/event-logs.md`` ("Fitting a scenario").
"""
