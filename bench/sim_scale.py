"""Benchmark: the simulator at scale, on BonjourGrid (not a test).

    python bench/sim_scale.py              # 1,000 nodes / 100 apps, then 10,000 nodes / 100 apps
    python bench/sim_scale.py --only 1000  # one size
    python bench/sim_scale.py --json

Default workload (2..128 parallel tasks of 1..500 s, a submission every 60 s
on average), no faults, seed 1.  Prints wall time and CPU time (the machine may
be shared: CPU time is what "on one core" means), virtual time, events run,
message copies and the outcome.  Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from protoverify.reference import sim as sim_module  # noqa: E402
from protoverify.reference.bonjourgrid_run import run_bonjourgrid  # noqa: E402

SIZES = [(1_000, 100), (10_000, 100)]


def measure(nodes: int, apps: int, seed: int, faults: str) -> dict:
    events = {}
    original = sim_module.Simulator.run

    def counting_run(self, until=None):  # record the simulator's own counters at the end of the run
        now = original(self, until)
        events.update(self.stats)
        return now
    sim_module.Simulator.run = counting_run
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        summary = run_bonjourgrid(nodes, apps, seed, faults)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        sim_module.Simulator.run = original
    return {"nodes": nodes, "apps": apps, "seed": seed, "faults": faults, "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2), "virtual_s": summary["end_time"], "events": events.get("events"),
            "messages": events.get("sent"), "done": summary["done"], "failed": summary["failed"],
            "unfinished": summary["unfinished"], "events_per_cpu_s": round(events.get("events", 0) / cpu)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", type=int, choices=[n for n, _ in SIZES], help="run one size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--faults", default="")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = [measure(n, a, args.seed, args.faults) for n, a in SIZES if args.only in (None, n)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'nodes':>7} {'apps':>5} {'wall s':>8} {'cpu s':>7} {'virtual s':>10} {'events':>11} "
          f"{'messages':>11} {'events/cpu s':>13}  outcome")
    for r in rows:
        print(f"{r['nodes']:>7,} {r['apps']:>5} {r['wall_s']:>8.1f} {r['cpu_s']:>7.1f} {r['virtual_s']:>10,.0f} "
              f"{r['events']:>11,} {r['messages']:>11,} {r['events_per_cpu_s']:>13,}  "
              f"{r['done']} done, {r['failed']} failed, {r['unfinished']} unfinished")


if __name__ == "__main__":
    main()
