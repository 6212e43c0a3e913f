"""PastryGrid in the simulator: properties P1-P5 checked on traces (pastrygrid_checks.py), the shared-task
race of the as-coded protocol against the atomic claim, worker / RDV / FTC crashes, P6 on live state,
P7, determinism.  Every scenario is seeded; a failure names its seed."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from pastrygrid_checks import check_trace

from protoverify.reference.pastrygrid import PastryGridConfig, app_key, ftc_key
from protoverify.reference.pastrygrid_run import Workload, critical_path, make_dag, make_workload, run_pastrygrid
from protoverify.reference.sim import Simulator
from protoverify.reference.trace import TraceRecorder

SMALL = Workload(duration=(5.0, 60.0), width=(2, 4, 8, 16), interarrival=10.0)


def spec(app, tasks, submit=0.0, reqs=None):
    """An application from ``{task: (preds, duration)}``."""
    return {"app": app, "name": f"app-{app}", "user": "alice", "date": f"day-{app}", "submit": submit,
            "reqs": reqs or {}, "tasks": [{"id": t, "preds": p, "duration": d} for t, (p, d) in tasks.items()]}


def diamond(app, submit=0.0, branch=20.0):
    # A -> B, A -> C, B + C -> D: D is shared, B and C are friends that finish together.
    return spec(app, {1: ([], 10.0), 2: ([1], branch), 3: ([1], branch), 4: ([2, 3], 10.0)}, submit)


def run(specs, seed, nodes=20, faults="", config=None, setup=None, probe=None, check=False):
    rec = TraceRecorder()
    summary = run_pastrygrid(nodes, len(specs), seed=seed, faults=faults, recorder=rec, specs=specs,
                             config=config, setup=setup, probe=probe, check_messages=check)
    return summary, rec.events


def events(evs, kind, **fields):
    return [e for e in evs if e["event"] == kind and all(e.get(k) == v for k, v in fields.items())]


# -- workload ------------------------------------------------------------------------------


def test_dag_shapes():
    rng = Simulator(0).rng("w")
    wl = Workload(width=(128,))
    tasks, width = make_dag("fanout", rng, wl)
    assert width == 128 and len(tasks) == 130
    assert tasks[-1]["preds"] == list(range(2, 130))
    for shape in ("diamond", "chain", "layered"):
        tasks, _ = make_dag(shape, rng, wl)
        seen = set()
        for t in tasks:  # predecessors come first
            assert set(t["preds"]) <= seen
            seen.add(t["id"])
    assert critical_path([{"id": 1, "preds": [], "duration": 2.0}, {"id": 2, "preds": [1], "duration": 3.0},
                          {"id": 3, "preds": [1], "duration": 5.0}]) == 7.0
    key = app_key({"name": "a", "date": "d", "user": "u"})
    assert key != app_key({"name": "a", "date": "d", "user": "v"})  # the user is part of the id
    assert ftc_key(key) != key


# -- properties on traces -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_random_dags_respect_precedence_and_single_execution(seed):
    rec = TraceRecorder()
    s = run_pastrygrid(30, 8, seed=seed, recorder=rec, workload=SMALL, check_messages=True)
    specs = make_workload(8, Simulator(seed).rng("workload"), SMALL)
    assert (s["done"], s["failed"], s["unfinished"]) == (8, 0, 0), f"seed {seed}"
    assert check_trace(rec.events, specs) == [], f"seed {seed}"
    # P1 on the trace: every assignment comes after its predecessors finished (checked above); and the
    # trace really exercised shared tasks
    assert events(rec.events, "shared_claimed")


@pytest.mark.parametrize("seed", [3, 4])
def test_properties_hold_with_crashes_and_reboots(seed):
    rec = TraceRecorder()
    double_rdv = []

    def probe(sim):  # P6: at most one live RDV per running application
        active = {}
        for a in sim.addresses():
            node = sim.node(a)
            if node is not None:
                for app, r in node.rdv.items():
                    if r.active and r.st["status"] == "running":
                        active.setdefault(app, []).append(a)
        double_rdv.extend((sim.now(), app, who) for app, who in active.items() if len(who) > 1)

    s = run_pastrygrid(40, 10, seed=seed, faults="crash:0.5:for:200", recorder=rec, workload=SMALL, probe=probe)
    specs = make_workload(10, Simulator(seed).rng("workload"), SMALL)
    assert s["crashes"] > 10
    assert (s["done"], s["failed"], s["lost"], s["unfinished"]) == (10, 0, 0, 0), f"seed {seed}"
    assert check_trace(rec.events, specs) == [], f"seed {seed}"
    assert double_rdv == [], f"seed {seed}"


# -- the shared task: atomic claim vs the as-coded race --------------------------------------


def test_atomic_claim_launches_a_shared_task_once_racy_variant_twice():
    specs = [diamond(i, submit=5.0 * i) for i in range(1, 5)]
    s, fixed = run(specs, seed=0)
    assert s["done"] == 4
    assert check_trace(fixed, specs) == []
    for app in range(1, 5):
        assert len(events(fixed, "shared_claimed", app=app, task=4)) == 1
        assert len(events(fixed, "task_assigned", app=app, task=4)) == 1

    s, racy = run(specs, seed=0, config=PastryGridConfig(racy_shared_launch=True))
    assert s["done"] == 4  # duplicate outputs are harmless at the RDV...
    problems = check_trace(racy, specs)
    assert problems and all(p.startswith("P2") and "task 4 " in p for p in problems), problems
    dup = [app for app in range(1, 5) if len(events(racy, "task_assigned", app=app, task=4)) == 2]
    assert dup, "seed 0: the race did not show"  # ...but the shared task ran twice
    for app in dup:  # both friends got the RDV's acknowledgement
        assert len(events(racy, "shared_claimed", app=app, task=4)) == 2
        assert not events(racy, "task_reissued", app=app)


# -- failures -----------------------------------------------------------------------------------


def crash_when(kind, delay, *, recover_after=None, **match):
    """A setup hook: crash the node recording the first ``kind`` event matching ``match``, ``delay`` later."""
    crashed: list[str] = []

    def setup(sim):
        def listener(e):
            if not crashed and e["event"] == kind and all(e.get(k) == v for k, v in match.items()):
                crashed.append(e["node"])
                sim.call_later(delay, lambda: sim.crash(e["node"], recover_after=recover_after))
        sim.recorder.listeners.append(listener)
    return setup, crashed


def test_worker_crash_the_task_is_reissued_and_the_app_completes():
    specs = [spec(1, {1: ([], 10.0), 2: ([1], 200.0), 3: ([2], 10.0)})]
    setup, crashed = crash_when("task_assigned", 30.0, app=1, task=2)
    s, evs = run(specs, seed=5, setup=setup)
    (w,) = crashed
    assert events(evs, "worker_crashed", node=w)
    (re,) = events(evs, "task_reissued", app=1, task=2)
    assert re["worker"] == w
    again = events(evs, "task_assigned", app=1, task=2)
    assert [e["worker"] for e in again][0] == w and again[1]["worker"] != w and again[1]["seq"] > re["seq"]
    assert s["done"] == 1 and check_trace(evs, specs) == []
    # the FTC saw it: the dead pair was re-issued, the new one ended normally
    assert events(evs, "supervision_ended", app=1, task=2, worker=again[1]["worker"])


@pytest.mark.parametrize("recover", [None, 60.0])
def test_rdv_crash_the_next_closest_node_takes_over_and_the_app_completes(recover):
    specs = [spec(1, {1: ([], 10.0), 2: ([1], 80.0), 3: ([1], 80.0), 4: ([2, 3], 10.0), 5: ([4], 30.0)})]
    setup, crashed = crash_when("rdv_created", 40.0, recover_after=recover, app=1)
    s, evs = run(specs, seed=6, setup=setup)
    (rdv,) = crashed
    takeovers = events(evs, "rdv_takeover", app=1)
    assert takeovers and takeovers[0]["node"] != rdv
    (fin,) = events(evs, "app_finished", app=1)
    assert fin["status"] == "done" and fin["node"] != rdv and fin["seq"] > takeovers[0]["seq"]
    assert s["done"] == 1 and check_trace(evs, specs) == []


def test_ftc_crash_supervision_carries_on():
    specs = [spec(1, {1: ([], 10.0), 2: ([1], 150.0), 3: ([2], 10.0)})]
    crashed: list[str] = []

    def setup(sim):  # the FTC dies, then the supervised worker dies: the new FTC must notice
        def listener(e):
            if e["event"] == "supervision_started" and e["task"] == 2 and not crashed:
                crashed.extend([e["node"], e["worker"]])
                sim.call_later(20.0, lambda: sim.crash(e["node"]))
                sim.call_later(60.0, lambda: sim.crash(e["worker"]))
        sim.recorder.listeners.append(listener)

    s, evs = run(specs, seed=7, setup=setup)
    ftc, worker = crashed
    assert ftc != worker
    (re,) = events(evs, "task_reissued", app=1, task=2)
    assert re["worker"] == worker
    assert s["done"] == 1 and check_trace(evs, specs) == []


def test_no_capable_node_the_app_fails_after_bounded_retries():
    specs = [spec(1, {1: ([], 10.0), 2: ([1], 10.0)}, reqs={"os": "plan9"}),
             spec(2, {1: ([], 10.0), 2: ([1], 10.0)}, submit=1.0)]
    s, evs = run(specs, seed=8)
    (fin,) = events(evs, "app_finished", app=1)
    (sub,) = events(evs, "app_submitted", app=1)
    assert fin["status"] == "failed"
    cfg = PastryGridConfig()
    assert fin["time"] - sub["time"] < cfg.search_backoff * 8 * 1.5 * (cfg.search_retries + 1)
    assert not events(evs, "task_assigned", app=1)
    assert (s["done"], s["failed"]) == (1, 1)


def test_busy_workers_are_waited_for_not_reported_failed():
    specs = [spec(a, {1: ([], 10.0), **{t: ([1], 120.0) for t in range(2, 12)}, 12: (list(range(2, 12)), 5.0)},
                  submit=0.1 * a) for a in range(1, 5)]
    s, evs = run(specs, seed=9, nodes=12)  # 40 parallel tasks, 12 machines
    assert (s["done"], s["failed"]) == (4, 0)
    assert check_trace(evs, specs) == []


# -- determinism ----------------------------------------------------------------------------------


def test_same_seed_identical_trace_bytes():
    def once():
        out = io.StringIO()
        run_pastrygrid(24, 5, seed=11, faults="crash:0.4:for:120", recorder=TraceRecorder(out), workload=SMALL)
        return out.getvalue()

    a, b = once(), once()
    assert a == b and a.count("\n") > 100
    assert '"worker_crashed"' in a


def test_protocol_modules_do_not_import_the_simulator():
    code = ("import sys, protoverify.reference.pastrygrid, protoverify.reference.pastry; "
            "print(sorted(m for m in sys.modules if m.rsplit('.', 1)[-1] in ('sim', 'faults', 'trace', 'pastrygrid_run')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
