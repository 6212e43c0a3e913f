"""Trace mutation testing over every committed trace: the kill-ratio table of docs/conformance.md.

    python bench/trace_mutation.py                 # 10 mutants per kind per trace, seed 1
    python bench/trace_mutation.py --per-kind 4 --seed 7

For each trace under traces/bonjourgrid/ (and traces/pastrygrid/ when present), mutants of each kind
(protoverify.conform.mutate) are replayed on the trace's model; a mutant is *killed* when it does not
conform.  Prints a Markdown table per protocol and kind, then every surviving mutant (a behaviour the
model allows).  Deterministic: same options, same output.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from protoverify.conform import conform, read_trace  # noqa: E402
from protoverify.conform.mutate import KINDS, mutants  # noqa: E402
from protoverify.loader import load_model  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-kind", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rows, survivors = [], []
    for proto in ("bonjourgrid", "pastrygrid"):
        paths = sorted((ROOT / "traces" / proto).glob("*.jsonl"))
        if not paths:
            continue
        model = ROOT / "models" / f"{proto}.cpn"
        base = load_model(model)
        total, killed = Counter(), Counter()
        for path in paths:
            trace = read_trace(str(path))
            net = load_model(model, {k: v for k, v in trace.params.items() if k in base.params})
            for m in mutants(trace, per_kind=args.per_kind, seed=args.seed):
                total[m.kind] += 1
                if conform(net, m.trace).ok:
                    survivors.append(f"{proto}/{path.stem}: {m.description}")
                else:
                    killed[m.kind] += 1
        for k in KINDS:
            rows.append((proto, k, killed[k], total[k]))
        rows.append((proto, "all", sum(killed.values()), sum(total.values())))
    print("| protocol | mutation | killed / mutants | kill ratio |")
    print("|---|---|---:|---:|")
    for proto, kind, k, t in rows:
        print(f"| {proto} | {kind} | {k} / {t} | {100 * k / t:.0f}% |" if t else f"| {proto} | {kind} | 0 / 0 | - |")
    print(f"\nsurviving mutants ({len(survivors)}):")
    for s in survivors:
        print(f"- {s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
