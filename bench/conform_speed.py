"""Benchmark: conformance speed on long traces (events per CPU second).

    python bench/conform_speed.py                 # BonjourGrid, 3 machines, 2,000 applications in sequence
    python bench/conform_speed.py --apps 7200     # about 100,000 events

Simulates one long BonjourGrid run (3 machines, applications one at a time: a submission every
600 s, tasks of 1-500 s, so the set of possible markings stays small), then replays it on
models/bonjourgrid.cpn with APPS set to the number of applications.  Prints events, CPU seconds,
events/s and the largest set of possible markings.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from protoverify.conform import conform, parse_trace  # noqa: E402
from protoverify.loader import load_model  # noqa: E402
from protoverify.reference.bonjourgrid_run import Workload, run_bonjourgrid  # noqa: E402
from protoverify.reference.trace import TraceRecorder  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--apps", type=int, default=2000)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    out = io.StringIO()
    t0 = time.process_time()
    run_bonjourgrid(args.nodes, args.apps, args.seed, "", recorder=TraceRecorder(out, keep=False),
                    workload=Workload(tasks=(1,), interarrival=600.0))
    sim = time.process_time() - t0
    trace = parse_trace(out.getvalue(), "long.jsonl")
    params = {k: v for k, v in trace.params.items() if k in ("N", "APPS", "W", "K", "CRASH")}
    net = load_model(ROOT / "models" / "bonjourgrid.cpn", params)
    t0 = time.process_time()
    result = conform(net, trace)
    cpu = time.process_time() - t0
    n = len(trace.events)
    print(f"bonjourgrid: {args.nodes} machines, {args.apps:,} applications: {n:,} events "
          f"(simulated in {sim:.1f} s CPU)")
    print(f"conform: {'conforms' if result.ok else 'DOES NOT CONFORM'}; {cpu:.1f} s CPU, "
          f"{n / cpu:,.0f} events/s; at most {result.max_markings:,} possible markings at once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
