"""The eager silent steps (protoverify/conform/reduce.py) change no verdict.

``conform(..., reduce=False)`` replays with the plain silent closure; with the reduction on (the
default) the verdict and the failing event must be the same, on the committed traces of both
protocols and on mutants of some of them (non-conforming traces, where the exact replay decides).
The generated nets of test_replay_oracle.py check the same against the explicit state graph.
And the reduction does what it is for: pending clean-ups no longer multiply the possible markings.

Cost: about 6 s.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from protoverify import load_model_text
from protoverify.conform import conform, parse_trace, read_trace
from protoverify.conform.mutate import mutants

from conform_models import net_for  # tests/conform/conform_models.py

ROOT = Path(__file__).resolve().parents[2]
TRACES = sorted((ROOT / "traces").glob("*/*.jsonl"))
MUTATED = ["bonjourgrid/n3_a1_clean_s1", "bonjourgrid/n4_a2_coordcrash_delay_s2",
           "pastrygrid/n3_diamond_u1_worker-busy_rdv-busy_s1", "pastrygrid/n4_join_u0_rdv-busy_s1"]

def same(net, trace):
    on, off = conform(net, trace, reduce=True), conform(net, trace, reduce=False)
    assert (on.ok, on.matched) == (off.ok, off.matched), trace.path
    if not on.ok:
        assert on.failure.index == off.failure.index
    return on


@pytest.mark.parametrize("path", TRACES, ids=[f"{p.parent.name}/{p.stem}" for p in TRACES])
def test_committed_trace_same_verdict(path):
    trace = read_trace(str(path))
    assert same(net_for(path.parent.name, trace.params), trace).ok


@pytest.mark.parametrize("name", MUTATED)
def test_mutants_same_verdict_and_failing_event(name):
    protocol = name.split("/")[0]
    trace = read_trace(str(ROOT / "traces" / f"{name}.jsonl"))
    net = net_for(protocol, trace.params)
    killed = sum(not same(net, m.trace).ok for m in mutants(trace, per_kind=2, seed=3))
    assert killed > 0


CLEANUP = """model Cleanup
param K = 8
colset J = 1..K
place Todo : J = all
place Done : J
place Trash : J
transition work
  in Todo : j
  out Done : j
  emit worked(job = j)
transition sweep          // silent clean-up nobody observes
  in Done : j
  out Trash : j
"""


def test_pending_cleanups_collapse():
    net = load_model_text(CLEANUP, "cleanup.cpn")
    lines = [json.dumps({"trace": "protoverify/1", "protocol": "cleanup"})]
    lines += [json.dumps({"seq": j, "time": float(j), "event": "worked", "job": j}) for j in range(1, 9)]
    trace = parse_trace("\n".join(lines) + "\n", "cleanup.jsonl")
    plain = conform(net, trace, lazy=False, reduce=False)
    reduced = conform(net, trace, lazy=False, reduce=True)
    assert plain.ok and reduced.ok
    # without the reduction each job finished before the last one is swept or not: 2**7 markings
    assert plain.final_markings == 2 ** 7
    assert reduced.final_markings == 1 and reduced.max_markings == 1
