"""What a person reads: figures and their style, the HTML report, terminal tables and the progress bar.

Layer 5: imports only the layers below; :mod:`sim.cli` and :mod:`sim` (the public API) sit above it.
"""
