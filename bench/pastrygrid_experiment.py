"""The PastryGrid seed experiment (PROTOCOLS.md section 2.7), on the reference implementation.

200 nodes, 100 applications of 2 to 128 parallel tasks (fan-out / fan-in DAGs: one task, W parallel
tasks, one task joining them; W a power of two drawn uniformly in 2..128), each machine failing with
probability P (20%, 40%, 80%) once, at a time uniform over the fault-free run, for X seconds, then
rebooting as a fresh node that joins the overlay again.  For each seed the same applications run:

* fault-free (the reference: an application's delay is its turnaround minus its turnaround here);
* fault-free with message delays of 1-11 ms instead of 1-10 ms (the noise floor: how much turnarounds
  move when only the timing of messages changes);
* with each P.

    python bench/pastrygrid_experiment.py                 # seeds 1 2 3, X = 600 s, 2 processes
    python bench/pastrygrid_experiment.py --seeds 1 --down 600 --jobs 1 --json out.json

Prints a Markdown table (the one in docs/experiments.md, section PastryGrid).  Every run is
deterministic: the same command prints the same table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time

from protoverify.reference.pastrygrid_run import SEED_WORKLOAD, run_pastrygrid

NODES, APPS = 200, 100
WORKLOAD = SEED_WORKLOAD
NOISE = "delay:0.001-0.011"
THRESHOLD = 60.0  # seconds later than the reference run: "delayed"


def one(job: tuple[int, str, float | None]) -> dict:
    seed, faults, horizon = job
    t0 = time.process_time()
    s = run_pastrygrid(NODES, APPS, seed, faults, None, None, workload=WORKLOAD, fault_horizon=horizon)
    s["cpu"] = round(time.process_time() - t0, 1)
    return s


def compare(run: dict, ref: dict) -> dict:
    """Per application: turnaround here minus turnaround in the reference run."""
    ref_t = {r["app"]: r["turnaround"] for r in ref["per_app"]}
    diffs = [r["turnaround"] - ref_t[r["app"]] for r in run["per_app"]
             if r["status"] == "done" and ref_t.get(r["app"]) is not None]
    return {"diffs": diffs, "delayed": [d for d in diffs if d > THRESHOLD],
            "earlier": [d for d in diffs if d < -THRESHOLD]}


def fmt_s(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x / 60:,.1f} min" if x < 7200 else f"{x / 3600:,.1f} h"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--down", type=float, default=600.0, help="X: seconds a failed machine stays down")
    ap.add_argument("--probabilities", type=float, nargs="+", default=[0.2, 0.4, 0.8])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", help="also write every summary to this file")
    args = ap.parse_args(argv)

    pool = multiprocessing.get_context("fork").Pool(args.jobs) if args.jobs > 1 else None
    mapper = pool.map if pool else (lambda f, xs: list(map(f, xs)))
    refs = dict(zip(args.seeds, mapper(one, [(seed, "", None) for seed in args.seeds])))
    labels = ["noise"] + [f"crash:{p:g}:for:{args.down:g}" for p in args.probabilities]
    jobs = [(seed, NOISE if label == "noise" else label, refs[seed]["end_time"])
            for label in labels for seed in args.seeds]
    results = mapper(one, jobs)
    if pool:
        pool.close()
    runs: dict[str, list[dict]] = {}
    for (seed, _, _), label, s in zip(jobs, [lb for lb in labels for _ in args.seeds], results):
        runs.setdefault(label, []).append(s)

    print(f"{NODES} nodes, {APPS} applications (fan-out/fan-in, 2-128 parallel tasks of 1-10 min, one submission "
          f"a minute on average), X = {args.down:g} s, seeds {' '.join(map(str, args.seeds))}; delayed = ends "
          f"more than {THRESHOLD:g} s later than in the fault-free run of the same seed.\n")
    ref_rows = list(refs.values())
    print(f"Fault-free reference: {sum(r['done'] for r in ref_rows)} of {sum(r['apps'] for r in ref_rows)} "
          f"applications done; makespan {', '.join(fmt_s(r['end_time']) for r in ref_rows)}; median turnaround "
          f"{fmt_s(statistics.median(a['turnaround'] for r in ref_rows for a in r['per_app']))}.\n")
    print("| faults | runs | crashes per run | apps done / failed / lost / unfinished | delayed apps (per run) "
          "| delay of delayed apps: min / median / max | apps earlier by > 60 s (per run) | RDV takeovers / "
          "tasks re-issued per run | CPU per run |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label in labels:
        rows = runs[label]
        cmp = [compare(s, refs[s["seed"]]) for s in rows]
        delayed = [d for c in cmp for d in c["delayed"]]
        n = len(rows)
        print(f"| `{NOISE + ' (noise floor)' if label == 'noise' else label}` | {n} | "
              f"{statistics.fmean(s['crashes'] for s in rows):.0f} | "
              f"{sum(s['done'] for s in rows)} / {sum(s['failed'] for s in rows)} / {sum(s['lost'] for s in rows)} / "
              f"{sum(s['unfinished'] for s in rows)} | "
              f"{' , '.join(str(len(c['delayed'])) for c in cmp)} | "
              f"{fmt_s(min(delayed) if delayed else None)} / {fmt_s(statistics.median(delayed) if delayed else None)} / "
              f"{fmt_s(max(delayed) if delayed else None)} | "
              f"{' , '.join(str(len(c['earlier'])) for c in cmp)} | "
              f"{statistics.fmean(s['takeovers'] for s in rows):.1f} / {statistics.fmean(s['reissued'] for s in rows):.1f} | "
              f"{statistics.fmean(s['cpu'] for s in rows):.0f} s |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"refs": refs, "runs": runs}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
