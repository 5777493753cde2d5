"""What one more generator frame per stage visit costs the engine (a diagnostic for benchmarks/README.md).

Times one replication of the rework network (``engine_model.load(N)``, 24/7) through
``sim.runs.runner.reduced_replication`` as shipped and with every stage visit wrapped in one more
``yield from`` level, alternating, best of 3 each.  A small difference means the depth of the
generator chain (``chain -> stage -> rounds -> review``) is not where the time goes.

    python benchmarks/layer_cost.py [N_CUSTOMERS]      # default 20000
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engine_model  # noqa: E402


def main(n: int) -> dict[str, float]:
    import sim.engine.stage_flow as sf
    from sim.engine.compiled import compile_scenario
    from sim.runs.runner import reduced_replication

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = compile_scenario(engine_model.load(n))
    shipped = sf.StageFlow.visit

    def wrapped(self, project, stage):
        return (yield from shipped(self, project, stage))

    best: dict[str, float] = {}
    try:
        for _ in range(3):
            for label, stage in (("as shipped", shipped), ("one more frame", wrapped)):
                sf.StageFlow.visit = stage
                t = time.perf_counter()
                reduced_replication(cs, 0, 1)
                best[label] = min(best.get(label, float("inf")), time.perf_counter() - t)
    finally:
        sf.StageFlow.visit = shipped
    return best


if __name__ == "__main__":
    res = main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
    for label, t in res.items():
        print(f"{label:15s} {t:.3f} s")
    print(f"difference {100 * (res['one more frame'] / res['as shipped'] - 1):+.1f} %")
