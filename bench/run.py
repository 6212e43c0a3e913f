"""Benchmark: protoverify's explorer against SNAKES' StateGraph, measured in the same run.

    python bench/run.py            # default sizes, a table on stdout
    python bench/run.py --json     # machine-readable

Each row builds the full state space of one net with both tools (SNAKES only
where it finishes in reasonable time) and prints states, edges, seconds,
states/s and the speed ratio.  Counts must agree; a mismatch is reported.
Timings are wall-clock medians of ``--repeat`` runs; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from protoverify import explore, load_model  # noqa: E402

CASES = [
    # (label, model file, params, run SNAKES?)
    ("philosophers N=6", "models/examples/philosophers.cpn", {"N": 6}, True),
    ("philosophers N=8", "models/examples/philosophers.cpn", {"N": 8}, True),
    ("philosophers N=10", "models/examples/philosophers.cpn", {"N": 10}, False),
    ("token_ring N=6", "models/examples/token_ring.cpn", {"N": 6}, True),
]


def _ours(path: str, params: dict, repeat: int):
    net = load_model(ROOT / path, params)
    times = []
    space = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        space = explore(net)
        times.append(time.perf_counter() - t0)
    return space.states, space.edges, statistics.median(times)


def _snakes(path: str, params: dict):
    try:
        import snakes_oracle  # tests/snakes_oracle.py builds the same nets by hand
    except ImportError:
        return None
    name = Path(path).stem
    t0 = time.perf_counter()
    try:
        net = getattr(snakes_oracle, name)(**params)
        states, edges, _dead = snakes_oracle.state_space(net)
    except (AttributeError, KeyError, TypeError):
        return None
    return states, edges, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-snakes", action="store_true")
    args = ap.parse_args()
    rows = []
    for label, path, params, with_snakes in CASES:
        states, edges, secs = _ours(path, params, args.repeat)
        row = {"case": label, "states": states, "edges": edges, "seconds": round(secs, 4),
               "states_per_second": round(states / secs) if secs else None}
        if with_snakes and not args.no_snakes:
            got = _snakes(path, params)
            if got is not None:
                s_states, s_edges, s_secs = got
                row["snakes_seconds"] = round(s_secs, 4)
                row["snakes_states_per_second"] = round(s_states / s_secs) if s_secs else None
                row["speedup_vs_snakes"] = round(s_secs / secs, 1) if secs else None
                row["counts_agree"] = (s_states, s_edges) == (states, edges)
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"{'case':<22}{'states':>10}{'edges':>10}{'s':>9}{'states/s':>11}{'SNAKES s':>10}{'x SNAKES':>10}")
        for r in rows:
            print(f"{r['case']:<22}{r['states']:>10,}{r['edges']:>10,}{r['seconds']:>9.3f}"
                  f"{r['states_per_second']:>11,}{r.get('snakes_seconds', float('nan')):>10.2f}"
                  f"{r.get('speedup_vs_snakes', float('nan')):>10.1f}"
                  + ("" if r.get("counts_agree", True) else "   COUNTS DIFFER"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
