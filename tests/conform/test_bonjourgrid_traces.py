"""Recorded BonjourGrid runs conform to models/bonjourgrid.cpn.

* Every committed trace in traces/bonjourgrid/ conforms (they are small runs
  with and without faults, made by traces/regenerate.py).
* Fresh runs: a few simulations with seeds drawn anew on every test run and
  fault mixes the model covers (crashes of any machine with or without
  reboot, loss, delay) must conform too.  On failure the message gives the
  seed and the command that reproduces the trace; set ``PV_CONFORM_SEED`` to
  replay one seed.
* The committed traces are the simulator's output: regenerating two of
  them gives the same bytes.
"""

from __future__ import annotations

import io
import os
import secrets
import sys
from pathlib import Path

import pytest

from protoverify.conform import conform, parse_trace, read_trace
from protoverify.conform.cli import render_result

from conform_models import net_for  # tests/conform/conform_models.py
from protoverify.reference.bonjourgrid_run import Workload, run_bonjourgrid
from protoverify.reference.trace import TraceRecorder

ROOT = Path(__file__).resolve().parents[2]
TRACES = sorted((ROOT / "traces" / "bonjourgrid").glob("*.jsonl"))

sys.path.insert(0, str(ROOT / "traces"))
from regenerate import SCENARIOS  # noqa: E402

def test_enough_committed_traces():
    assert len(TRACES) >= 10
    assert set(p.stem for p in TRACES) == set(SCENARIOS), "traces/ and traces/regenerate.py disagree"


@pytest.mark.parametrize("path", TRACES, ids=[p.stem for p in TRACES])
def test_committed_trace_conforms(path):
    trace = read_trace(str(path))
    result = conform(net_for("bonjourgrid", trace.params), trace)
    assert result.ok, render_result(result)
    assert result.matched == len(trace.events) > 0


def simulate(nodes: int, apps: int, tasks: int, faults: str, seed: int) -> str:
    out = io.StringIO()
    run_bonjourgrid(nodes, apps, seed, faults, recorder=TraceRecorder(out), workload=Workload(tasks=(tasks,)))
    return out.getvalue()


@pytest.mark.parametrize("name", ["n3_a1_clean_s1", "n4_a2_anycrash_reboot_s2"])
def test_committed_traces_are_the_simulators_output(name):
    nodes, apps, tasks, faults, seed = SCENARIOS[name]
    assert simulate(nodes, apps, tasks, faults, seed) == (ROOT / "traces" / "bonjourgrid" / f"{name}.jsonl").read_text()


FAULT_MIXES = ["", "loss:0.05", "delay:0.001-0.3", "crash:1:on:coordinator", "crash:0.4:for:150",
               "crash:0.3; delay:0.001-0.1", "crash:1:on:coordinator:for:200; loss:0.05"]


def fresh_cases(count: int = 4):
    fixed = os.environ.get("PV_CONFORM_SEED")
    master = int(fixed) if fixed else secrets.randbelow(2**31)
    import random
    rnd = random.Random(master)
    cases = []
    for _ in range(count):
        nodes = rnd.choice([3, 4])
        cases.append((nodes, rnd.choice([1, 2]) if nodes > 3 else 1, 1, rnd.choice(FAULT_MIXES),
                      rnd.randrange(1, 10**6)))
    return cases


@pytest.mark.parametrize("case", fresh_cases(), ids=lambda c: f"n{c[0]}_a{c[1]}_{c[3] or 'clean'}_s{c[4]}")
def test_fresh_run_conforms(case):
    nodes, apps, tasks, faults, seed = case
    trace = parse_trace(simulate(nodes, apps, tasks, faults, seed), f"seed-{seed}.jsonl")
    result = conform(net_for("bonjourgrid", trace.params), trace)
    cmd = (f"protoverify simulate bonjourgrid --nodes {nodes} --apps {apps} --tasks {tasks} --seed {seed}"
           + (f" --faults '{faults}'" if faults else "") + " -o t.jsonl && protoverify conform "
           "models/bonjourgrid.cpn t.jsonl")
    assert result.ok, f"seed {seed} does not conform; reproduce with:\n  {cmd}\n{render_result(result)}"
