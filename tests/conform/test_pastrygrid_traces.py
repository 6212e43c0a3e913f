"""Recorded PastryGrid runs conform to models/pastrygrid.cpn.

* Every committed trace in traces/pastrygrid/ conforms.  They are runs of
  the model's shape (protoverify/reference/pastrygrid_scenarios.py: 3 or 4
  machines numbered as the model numbers its nodes, one application of the
  model's DAG), with and without crashes; the file name is the scenario
  (``python -m protoverify.reference.pastrygrid_scenarios`` rewrites them,
  ``--check`` compares).
* Fresh runs: a few scenarios drawn anew on every test run (seeds, DAGs,
  unfit machines, crash mixes the model covers, slow messages) must conform
  too.  On failure the message gives the seed, the command that reproduces
  the trace and conformance's explanation; set ``PV_CONFORM_SEED`` to replay
  one draw.
* The committed traces are the simulator's output: regenerating two of them
  gives the same bytes.

Cost: a few seconds.
"""

from __future__ import annotations

import os
import random
import secrets
from pathlib import Path

import pytest

from protoverify.conform import conform, parse_trace, read_trace
from protoverify.conform.cli import render_result

from conform_models import net_for  # tests/conform/conform_models.py
from protoverify.reference.pastrygrid_scenarios import (COMMITTED, SLOW, Scenario, parse_crashes, parse_scenario,
                                                        run_scenario, scenario_trace)

ROOT = Path(__file__).resolve().parents[2]
DIR = ROOT / "traces" / "pastrygrid"
TRACES = sorted(DIR.glob("*.jsonl"))
PARAMS = ("N", "DAG", "WCRASH", "RCRASH", "UNFIT", "RETRY")

def test_enough_committed_traces():
    assert len(TRACES) >= 10
    assert {p.stem for p in TRACES} == set(COMMITTED), "traces/pastrygrid/ and COMMITTED disagree"
    for p in TRACES:
        assert p.stat().st_size < 20_000, f"{p.name} is not small"
    names = " ".join(COMMITTED)
    for what in ("clean", "worker-busy", "rdv", "n4_", "chain", "join", "slow"):
        assert what in names, f"no committed trace covers {what}"


@pytest.mark.parametrize("path", TRACES, ids=[p.stem for p in TRACES])
def test_committed_trace_conforms(path):
    trace = read_trace(str(path))
    assert set(PARAMS) <= set(trace.params), "the header carries the model's parameters"
    result = conform(net_for("pastrygrid", trace.params), trace)
    assert result.ok, render_result(result)
    assert result.matched == len(trace.events) > 0


def test_committed_traces_show_the_faults_they_name():
    """Each fault in a name happened: a crash per crash named, then a re-issue or a takeover."""
    for path in TRACES:
        trace = read_trace(str(path))
        kinds = [e.event for e in trace.events]
        sc = parse_scenario(path.stem)
        assert kinds.count("worker_crashed") == len(sc.crashes), path.name
        if any(c.kind == "rdv" for c in sc.crashes):
            assert "rdv_takeover" in kinds, path.name
        if any(c.busy for c in sc.crashes):
            assert "task_reissued" in kinds, path.name
        assert kinds.count("app_finished") == 1, path.name


@pytest.mark.parametrize("name", ["n3_diamond_u1_clean_s1", "n4_diamond_u1_worker_rdv_s1"])
def test_committed_traces_are_the_simulators_output(name):
    assert scenario_trace(parse_scenario(name)) == (DIR / f"{name}.jsonl").read_text()


CRASH_MIXES = ["", "worker", "worker:busy", "rdv", "rdv:busy", "worker,rdv", "worker:busy,rdv:busy",
               "rdv:busy,worker", "worker,worker"]


def fresh_cases(count: int = 6) -> list[Scenario]:
    fixed = os.environ.get("PV_CONFORM_SEED")
    master = int(fixed) if fixed else secrets.randbelow(2**31)
    rnd = random.Random(master)
    cases = []
    for _ in range(count):
        nodes = rnd.choice([3, 3, 4])
        cases.append(Scenario(nodes=nodes, dag=rnd.choice(["diamond", "chain", "join"]),
                              unfit=rnd.choice([0, 1, 1] + ([2] if nodes == 4 else [])),
                              crashes=parse_crashes(rnd.choice(CRASH_MIXES)), seed=rnd.randrange(1, 10**6),
                              delay=rnd.choice([None, None, SLOW]), retry=rnd.choice([1, 1, 2])))
    return cases


@pytest.mark.parametrize("sc", fresh_cases(), ids=lambda sc: sc.name)
def test_fresh_run_conforms(sc):
    import io
    out = io.StringIO()
    summary = run_scenario(sc, out)
    trace = parse_trace(out.getvalue(), f"{sc.name}.jsonl")
    cmd = (f"protoverify simulate pastrygrid --scenario {sc.name} -o t.jsonl && "
           "protoverify conform models/pastrygrid.cpn t.jsonl")
    assert summary["converged"], f"seed {sc.seed}: the overlay had not converged at submission ({cmd})"
    assert summary["unfinished"] == 0, f"seed {sc.seed}: the application did not end; reproduce with:\n  {cmd}"
    result = conform(net_for("pastrygrid", trace.params), trace)
    assert result.ok, f"seed {sc.seed} does not conform; reproduce with:\n  {cmd}\n{render_result(result)}"
