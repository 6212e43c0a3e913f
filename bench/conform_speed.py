"""Benchmark: conformance speed on long traces (events per CPU second).

    python bench/conform_speed.py bonjourgrid                # one run of 9,100 applications: about 100,000 events
    python bench/conform_speed.py bonjourgrid --apps 1000    # about 11,000 events
    python bench/conform_speed.py pastrygrid                 # random scenarios until 100,000 events in all
    python bench/conform_speed.py bonjourgrid --no-reduce    # without the eager silent steps

BonjourGrid: simulates one long run (4 machines, applications one at a time: a submission every 600 s
on average, one worker each, tasks of 1-500 s; with 3 machines two overlapping applications can
hold each other's machines for ever and the run stops early), then replays it on
models/bonjourgrid.cpn with APPS set to the number of applications.

PastryGrid: the model describes one application (a DAG of four tasks, at most a few dozen events),
so a long PastryGrid run cannot conform to it; instead random scenarios of the model's shape
(``protoverify.reference.pastrygrid_scenarios``: 3 or 4 machines, any DAG, crashes the model
covers, slow messages or not) are simulated until ``--events`` events in all, and each is replayed
on models/pastrygrid.cpn (the model is loaded once per parameter set, outside the timing).

Prints events, CPU seconds, events/s and the largest set of possible markings.  Asserts only that
every trace conforms.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from protoverify.conform import conform, parse_trace  # noqa: E402
from protoverify.loader import load_model  # noqa: E402
from protoverify.reference.trace import TraceRecorder  # noqa: E402


def bonjourgrid(args) -> int:
    from protoverify.reference.bonjourgrid_run import Workload, run_bonjourgrid

    out = io.StringIO()
    t0 = time.process_time()
    run_bonjourgrid(args.nodes, args.apps, args.seed, "", recorder=TraceRecorder(out, keep=False),
                    workload=Workload(tasks=(1,), interarrival=600.0))
    sim = time.process_time() - t0
    trace = parse_trace(out.getvalue(), "long.jsonl")
    params = {k: v for k, v in trace.params.items() if k in ("N", "APPS", "W", "K", "CRASH")}
    net = load_model(ROOT / "models" / "bonjourgrid.cpn", params)
    t0 = time.process_time()
    result = conform(net, trace, reduce=not args.no_reduce)
    cpu = time.process_time() - t0
    n = len(trace.events)
    print(f"bonjourgrid: {args.nodes} machines, {args.apps:,} applications: {n:,} events "
          f"(simulated in {sim:.1f} s CPU)")
    print(f"conform: {'conforms' if result.ok else 'DOES NOT CONFORM'}; {cpu:.1f} s CPU, "
          f"{n / cpu:,.0f} events/s; at most {result.max_markings:,} possible markings at once")
    return 0 if result.ok else 1


def pastrygrid(args) -> int:
    from protoverify.reference.pastrygrid_scenarios import SLOW, Scenario, parse_crashes, run_scenario

    mixes = ["", "worker", "worker:busy", "rdv", "rdv:busy", "worker,rdv", "worker:busy,rdv:busy"]
    rnd = random.Random(args.seed)
    traces, total = [], 0
    t0 = time.process_time()
    while total < args.events:
        nodes = rnd.choice([3, 3, 4])
        sc = Scenario(nodes=nodes, dag=rnd.choice(["diamond", "chain", "join"]), unfit=rnd.choice([0, 1, 1]),
                      crashes=parse_crashes(rnd.choice(mixes)), seed=rnd.randrange(1, 10**6),
                      delay=rnd.choice([None, None, SLOW]), retry=rnd.choice([1, 1, 2]))
        out = io.StringIO()
        run_scenario(sc, out)
        trace = parse_trace(out.getvalue(), f"{sc.name}.jsonl")
        traces.append(trace)
        total += len(trace.events)
    sim = time.process_time() - t0
    nets = {}
    for trace in traces:
        key = tuple(sorted((k, v) for k, v in trace.params.items()
                           if k in ("N", "DAG", "WCRASH", "RCRASH", "UNFIT", "RETRY")))
        if key not in nets:
            nets[key] = load_model(ROOT / "models" / "pastrygrid.cpn", dict(key))
    cpu, ok, most = 0.0, 0, 0
    for trace in traces:
        key = tuple(sorted((k, v) for k, v in trace.params.items()
                           if k in ("N", "DAG", "WCRASH", "RCRASH", "UNFIT", "RETRY")))
        t0 = time.process_time()
        result = conform(nets[key], trace, reduce=not args.no_reduce)
        cpu += time.process_time() - t0
        ok += result.ok
        most = max(most, result.max_markings)
    print(f"pastrygrid: {len(traces):,} scenario runs, {total:,} events (simulated in {sim:.1f} s CPU; "
          f"{len(nets)} parameter sets)")
    print(f"conform: {ok:,} of {len(traces):,} conform; {cpu:.1f} s CPU, {total / cpu:,.0f} events/s; "
          f"at most {most:,} possible markings at once")
    return 0 if ok == len(traces) else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("protocol", nargs="?", choices=["bonjourgrid", "pastrygrid"], default="bonjourgrid")
    ap.add_argument("--apps", type=int, default=9100, help="BonjourGrid: applications in the run")
    ap.add_argument("--nodes", type=int, default=4, help="BonjourGrid: machines")
    ap.add_argument("--events", type=int, default=100_000, help="PastryGrid: events in all")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-reduce", action="store_true", help="replay without the eager silent steps")
    args = ap.parse_args(argv)
    return bonjourgrid(args) if args.protocol == "bonjourgrid" else pastrygrid(args)


if __name__ == "__main__":
    sys.exit(main())
