"""Implementation mutation testing: deliberate bugs in the BonjourGrid reference code must show.

Each bug of ``protoverify.reference.bonjourgrid.BUGS`` is switched on through the test-only
``BonjourGridConfig.bugs``; within a bounded number of seeds of a small scenario, one recorded
trace must not conform to models/bonjourgrid.cpn (the conformance check is the oracle; no event
is inspected by hand).  The same seeds without the bug conform, so what is caught is the bug.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from protoverify.conform import conform, parse_trace
from protoverify.conform.cli import render_result
from protoverify.loader import load_model
from protoverify.reference.bonjourgrid import BUGS, BonjourGridConfig
from protoverify.reference.bonjourgrid_run import Workload, run_bonjourgrid
from protoverify.reference.trace import TraceRecorder

ROOT = Path(__file__).resolve().parents[2]
MAX_SEEDS = 10

# bug -> (nodes, apps, workload, faults): a small run where the bug has a chance to act
SCENARIOS = {
    "double_reserve": (4, 2, Workload(tasks=(1,), interarrival=0.0), ""),
    "count_unconfirmed": (3, 1, Workload(tasks=(1,)), ""),
    "eager_takeover": (3, 1, Workload(tasks=(1,), duration=(200.0, 500.0)), "loss:0.15"),
    "release_before_end": (3, 1, Workload(tasks=(1,)), ""),
    "replica_as_worker": (4, 1, Workload(tasks=(2,)), ""),
}


def replay(bugs: frozenset, nodes: int, apps: int, workload: Workload, faults: str, seed: int):
    out = io.StringIO()
    run_bonjourgrid(nodes, apps, seed, faults, recorder=TraceRecorder(out), workload=workload,
                    config=BonjourGridConfig(replicas=1, bugs=bugs))
    trace = parse_trace(out.getvalue(), f"{'+'.join(sorted(bugs)) or 'clean'}-seed{seed}.jsonl")
    params = {k: v for k, v in trace.params.items() if k in ("N", "APPS", "W", "K", "CRASH")}
    return conform(load_model(ROOT / "models" / "bonjourgrid.cpn", params), trace)


def test_every_bug_has_a_scenario():
    assert set(SCENARIOS) == set(BUGS) and len(BUGS) >= 5


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_bug_produces_a_nonconforming_trace(bug):
    nodes, apps, workload, faults = SCENARIOS[bug]
    for seed in range(1, MAX_SEEDS + 1):
        caught = replay(frozenset({bug}), nodes, apps, workload, faults, seed)
        if not caught.ok:
            clean = replay(frozenset(), nodes, apps, workload, faults, seed)
            assert clean.ok, f"without the bug, seed {seed} does not conform either:\n{render_result(clean)}"
            return
    pytest.fail(f"bug `{bug}` ({BUGS[bug]}) went unnoticed in {MAX_SEEDS} seeds")
