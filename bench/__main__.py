"""`python -m bench [AREA ...]`: every figure of issue 10 into bench/results.json, printed as a table.

Areas run one after another (each starts its own server processes); `BENCH_QUICK=1` shrinks every
history and load run (see bench/scale.py). A failing area is reported and the others still run; the
exit status is then 1.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import traceback
from pathlib import Path

from bench.results import Results, print_table
from bench.scale import Scale

AREAS = ("rpc", "evidence", "routes", "delivery", "reports", "ledger")
RESULTS_PATH = Path(__file__).resolve().parent / "results.json"


def main(argv: list[str]) -> int:
    chosen = argv or list(AREAS)
    unknown = sorted(set(chosen) - set(AREAS))
    if unknown:
        print(f"unknown benchmark(s): {unknown}; available: {', '.join(AREAS)}", file=sys.stderr)
        return 2
    scale = Scale.from_environ(os.environ)
    results = Results()
    failed = []
    started = time.perf_counter()
    for name in chosen:
        print(f"\n=== bench {name}{' (quick)' if scale.quick else ''} ===", flush=True)
        area_started = time.perf_counter()
        try:
            importlib.import_module(f"bench.bench_{name}").main(results, scale)
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"=== bench {name} done in {time.perf_counter() - area_started:.1f} s ===", flush=True)
    if results.figures:
        # A run of some areas replaces their figures and keeps the others' from the last run.
        results.write(RESULTS_PATH, keep_from=RESULTS_PATH if argv else None)
    print_table(results.figures)
    print(f"written to {RESULTS_PATH} in {time.perf_counter() - started:.0f} s")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
