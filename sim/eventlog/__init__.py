"""Event logs in and out: the vocabulary of XES, OCEL 2.0 and CSV logs, the writers a run's event logs go
through, and the readers of real logs (:func:`read_log`).

A layer above ``sim.core`` only: it knows nothing of scenarios or the engine; the runs layer hands the
writers plain cases (:mod:`sim.eventlog.cases`).
"""
