"""Implementation mutation testing: deliberate bugs in the reference code must show.

Each bug of ``protoverify.reference.bonjourgrid.BUGS`` (``pastrygrid.BUGS``) is switched on
through the test-only ``BonjourGridConfig.bugs`` (``PastryGridConfig.bugs``); within a bounded
number of seeds of a small scenario, one recorded trace must not conform to
models/bonjourgrid.cpn (models/pastrygrid.cpn) (the conformance check is the oracle; no event is
inspected by hand).  The same seed without the bug conforms, so what is caught is the bug.
PastryGrid's published race (``PastryGridConfig.racy_shared_launch``) is checked the same way.

Cost: about 5 s.
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
from protoverify.reference.pastrygrid import BUGS as PG_BUGS
from protoverify.reference.pastrygrid import PastryGridConfig
from protoverify.reference.pastrygrid_scenarios import Scenario, parse_crashes, run_scenario
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


# PastryGrid: bug -> a scenario of the model's shape where the bug has a chance to act
PG_SCENARIOS = {
    "shared_early": Scenario(nodes=4, dag="diamond", unfit=0),
    "dead_as_finished": Scenario(dag="diamond", crashes=parse_crashes("worker:busy")),
    "eager_rdv_takeover": Scenario(dag="diamond"),
    "forget_reissue": Scenario(dag="diamond", crashes=parse_crashes("worker:busy")),
    "racy_shared_launch": Scenario(nodes=4, dag="diamond", unfit=0, duration=(10.0, 10.001)),
}
_PG_NETS: dict = {}


def pg_replay(sc: Scenario, bug: str | None):
    kw = {"racy_shared_launch": True} if bug == "racy_shared_launch" else {"bugs": frozenset({bug} if bug else ())}
    out = io.StringIO()
    run_scenario(sc, out, config=PastryGridConfig(replicas=min(3, sc.nodes), search_retries=sc.retry, **kw))
    trace = parse_trace(out.getvalue(), f"{sc.name}-{bug or 'clean'}.jsonl")
    key = tuple(sorted((k, v) for k, v in trace.params.items()
                       if k in ("N", "DAG", "WCRASH", "RCRASH", "UNFIT", "RETRY")))
    if key not in _PG_NETS:
        _PG_NETS[key] = load_model(ROOT / "models" / "pastrygrid.cpn", dict(key))
    return conform(_PG_NETS[key], trace)


def test_every_pastrygrid_bug_has_a_scenario():
    assert set(PG_SCENARIOS) == set(PG_BUGS) | {"racy_shared_launch"} and len(PG_BUGS) >= 3


@pytest.mark.parametrize("bug", sorted(PG_SCENARIOS))
def test_pastrygrid_bug_produces_a_nonconforming_trace(bug):
    from dataclasses import replace
    for seed in range(1, MAX_SEEDS + 1):
        sc = replace(PG_SCENARIOS[bug], seed=seed)
        if not pg_replay(sc, bug).ok:
            clean = pg_replay(sc, None)
            assert clean.ok, f"without the bug, {sc.name} does not conform either:\n{render_result(clean)}"
            return
    pytest.fail(f"bug `{bug}` ({PG_BUGS.get(bug, 'the published race')}) went unnoticed in {MAX_SEEDS} seeds")
