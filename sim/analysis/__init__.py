"""Questions asked of several runs: paired comparison, lever attribution, sweeps and tornado sensitivity.

Layer 4: imports only the layers below (core, scenario, engine, runs).
"""
