"""Reductions benchmark: symmetry factor against N!, POR curves, the protocol models.

    python bench/reductions.py            # the tables of docs/performance.md ("Reductions"), ~10 min
    python bench/reductions.py --quick    # smaller sizes, ~1 min
    python bench/reductions.py --large --max-states 60000000 --timeout 3000   # BonjourGrid N=2..5, symmetry

Every figure is a state count (deterministic) plus the CPU time of the
process (``time.process_time``) for the reduced exploration, which runs in the
Python explorer; the full state spaces are explored by the compiled explorer
when it is built (same counts).  A run that hits ``--timeout`` or
``--max-states`` is marked ``incomplete``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import protoverify  # noqa: E402
from protoverify.explore.reduce.explorer import explore_reduced  # noqa: E402
from protoverify.explore.statespace import explore  # noqa: E402


def _full(net, max_states, timeout):
    t = time.process_time()
    s = explore(net, max_states=max_states, timeout=timeout)
    return s, time.process_time() - t


def _reduced(net, sym, por, max_states, timeout):
    t = time.process_time()
    s = explore_reduced(net, symmetry=sym, por=por, max_states=max_states, timeout=timeout)
    return s, time.process_time() - t


def _n(space) -> str:
    return f"{space.states:,}" + ("" if space.complete else " (incomplete)")


COUNTERS = """
model Counters
param N = 3
param K = 12
colset Proc = 1..N symmetric
colset Step = 0..K - 1
colset At = Proc * Step
fun next(s: Step): Step = if s == K - 1 then 0 else s + 1
place Here : At = all_start
transition step
  in  Here : (p, s)
  out Here : (p, next(s))
"""


def counters_model(n: int, k: int):
    """N processes, each a counter modulo K: K^N markings, C(N+K-1, N) orbits (factor -> N! as K grows)."""
    init = " ++ ".join(f"({i}, 0)" for i in range(1, n + 1))
    return protoverify.load_model_text(COUNTERS.replace("all_start", init), params={"N": n, "K": k})


def counters_table(sizes, k, max_states, timeout):
    print(f"\n## Symmetry: N independent counters modulo K={k} (K^N markings; orbits C(N+K-1, N))\n")
    print("| N | full states | orbits (--symmetry) | factor | N! | factor / N! | CPU s full | CPU s reduced |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        net = counters_model(n, k)
        full, dt_full = _full(net, max_states, timeout)
        red, dt = _reduced(net, True, False, max_states, timeout)
        assert red.states == math.comb(n + k - 1, n) or not red.complete
        f = full.states / red.states
        print(f"| {n} | {_n(full)} | {_n(red)} | {f:,.1f} | {math.factorial(n):,} | {f / math.factorial(n):.2f} "
              f"| {dt_full:.2f} | {dt:.2f} |", flush=True)


def symmetry_table(sizes, max_states, timeout):
    print("\n## Symmetry: mutex (fully symmetric processes), full vs one marking per orbit\n")
    print("| N | full states | orbits (--symmetry) | factor | N! | factor / N! | dead (full / orbits) | CPU s reduced |")
    print("|---:|---:|---:|---:|---:|---:|---|---:|")
    for n in sizes:
        net = protoverify.load_model(ROOT / "models" / "examples" / "mutex.cpn", {"N": n})
        full, _ = _full(net, max_states, timeout)
        red, dt = _reduced(net, True, False, max_states, timeout)
        f = full.states / red.states
        print(f"| {n} | {_n(full)} | {_n(red)} | {f:,.1f} | {math.factorial(n):,} | {f / math.factorial(n):.2f} "
              f"| {full.dead_markings} / {red.dead_markings} | {dt:.2f} |", flush=True)


def por_table(sizes, max_states, timeout):
    print("\n## POR: dining philosophers (models/examples/philosophers.cpn), dead markings kept\n")
    print("| N | full states (3^N) | --por states | ratio | dead (full / por) | CPU s --por |")
    print("|---:|---:|---:|---:|---|---:|")
    for n in sizes:
        net = protoverify.load_model(ROOT / "models" / "examples" / "philosophers.cpn", {"N": n})
        full, _ = _full(net, max_states, timeout)
        red, dt = _reduced(net, False, True, max_states, timeout)
        print(f"| {n} | {_n(full)} | {_n(red)} | {full.states / red.states:.2f} | "
              f"{full.dead_markings} / {red.dead_markings} | {dt:.1f} |", flush=True)


def protocol_table(rows, max_states, timeout):
    print("\n## Protocol models: full vs --por, --symmetry, both\n")
    print("| model | params | full states | --por | --symmetry | both | dead (full / por / sym / both) "
          "| CPU s (por / sym / both) |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    for name, params in rows:
        net = protoverify.load_model(ROOT / "models" / f"{name}.cpn", params)
        full, _ = _full(net, max_states, timeout)
        out, dts, deads = [], [], []
        for sym, por in ((False, True), (True, False), (True, True)):
            s, dt = _reduced(net, sym, por, max_states, timeout)
            applied = set(s.reductions)
            out.append(_n(s) if applied == {r for r, on in (("symmetry", sym), ("por", por)) if on}
                       else _n(s) + " (n/a)")
            dts.append(f"{dt:.0f}")
            deads.append(str(s.dead_markings))
        p = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
        print(f"| {name} | {p} | {_n(full)} | {out[0]} | {out[1]} | {out[2]} | "
              f"{full.dead_markings} / {' / '.join(deads)} | {' / '.join(dts)} |", flush=True)


def bonjourgrid_symmetry_table(sizes, max_states, timeout):
    print("\n## Symmetry: BonjourGrid (Node symmetric), full (compiled explorer) vs orbits\n")
    print("| N | full states | orbits | factor | N! | factor / N! | dead (full / orbits) | CPU s full | CPU s reduced |")
    print("|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for n in sizes:
        net = protoverify.load_model(ROOT / "models" / "bonjourgrid.cpn", {"N": n})
        full, dt_full = _full(net, max_states, timeout)
        red, dt = _reduced(net, True, False, max_states, timeout)
        f = full.states / red.states
        print(f"| {n} | {_n(full)} | {_n(red)} | {f:,.2f} | {math.factorial(n):,} | {f / math.factorial(n):.2f} "
              f"| {full.dead_markings} / {red.dead_markings} | {dt_full:.1f} | {dt:.1f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--large", action="store_true",
                    help="only BonjourGrid N=2..5 under --symmetry (N=5: 20M markings in the compiled explorer, "
                         "~2 GB, and ~5 CPU minutes for the orbits); use with --max-states 60000000 --timeout 3000")
    ap.add_argument("--max-states", type=int, default=2_000_000)
    ap.add_argument("--timeout", type=float, default=300.0, help="per exploration (seconds)")
    args = ap.parse_args()
    print(f"# protoverify reductions benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    if args.large:
        bonjourgrid_symmetry_table(range(2, 6), args.max_states, args.timeout)
        return
    if args.quick:
        counters_table(range(2, 5), 12, args.max_states, args.timeout)
        symmetry_table(range(2, 7), args.max_states, args.timeout)
        por_table(range(2, 8), args.max_states, args.timeout)
        protocol_table([("bonjourgrid", {"N": 2}), ("pastrygrid", {"N": 2})], args.max_states, args.timeout)
    else:
        counters_table(range(2, 6), 12, args.max_states, args.timeout)
        symmetry_table(range(2, 10), args.max_states, args.timeout)
        por_table(range(2, 11), args.max_states, args.timeout)
        protocol_table([("bonjourgrid", {"N": 2}), ("bonjourgrid", {}), ("pastrygrid", {"N": 2}),
                        ("pastrygrid", {})], args.max_states, args.timeout)


if __name__ == "__main__":
    main()
