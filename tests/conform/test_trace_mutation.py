"""Trace mutation testing: how many corrupted traces does conformance reject?

Conforming BonjourGrid traces (the six cheapest committed ones) are mutated
by :mod:`protoverify.conform.mutate` (drop, duplicate, swap, change a field,
add an event from a wrong node).  A mutant that still conforms is a
behaviour the model allows (docs/conformance.md explains the kinds: a
dropped trailing step, two independent steps of different nodes in the
other order, a step that was possible anyway).  The test asserts the kill
ratio stays high and that no mutant is silently mishandled: every killed
mutant fails at or after the first event the mutation touched, never before
it (the events before are the original's, which conform).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from protoverify.conform import conform, read_trace
from protoverify.conform.mutate import KINDS, mutants
from protoverify.loader import load_model

ROOT = Path(__file__).resolve().parents[2]
CHEAP = ["n3_a1_clean_s1", "n4_a1_anycrash_s1", "n4_a1_coordcrash_reboot_s4", "n4_a2_coordcrash_s1",
         "n5_a1_w2_clean_s1", "n4_a2_coordcrash_delay_s2"]
MIN_KILL_RATIO = 0.85  # measured 0.93 over these traces (docs/conformance.md)


def test_kill_ratio_and_failure_positions():
    total, killed, survivors = Counter(), Counter(), []
    for name in CHEAP:
        trace = read_trace(str(ROOT / "traces" / "bonjourgrid" / f"{name}.jsonl"))
        params = {k: v for k, v in trace.params.items() if k in ("N", "APPS", "W", "K", "CRASH")}
        net = load_model(ROOT / "models" / "bonjourgrid.cpn", params)
        assert conform(net, trace).ok
        for m in mutants(trace, per_kind=4, seed=7):
            total[m.kind] += 1
            r = conform(net, m.trace)
            if r.ok:
                survivors.append(f"{name}: {m.description}")
                continue
            killed[m.kind] += 1
            assert r.failure.index >= m.index, f"{name}: {m.description}: failed at {r.failure.index}, before the mutation"
    assert set(total) == set(KINDS)
    ratio = sum(killed.values()) / sum(total.values())
    report = ", ".join(f"{k} {killed[k]}/{total[k]}" for k in KINDS)
    assert ratio >= MIN_KILL_RATIO, f"kill ratio {ratio:.2f} ({report}); survivors:\n" + "\n".join(survivors)
    # field changes and duplicates of a step are never legal in these runs
    assert killed["field"] == total["field"], survivors
