"""BonjourGrid on the simulator: normal runs, arbitration under contention, replicas and takeover,
partitions, determinism, and the safety properties checked on recorded traces (B1-B3, B6, B7) and on
live state (never more workers than asked)."""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys
from collections import Counter

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protoverify.reference.bonjourgrid import BonjourGridConfig, BonjourGridNode
from protoverify.reference.bonjourgrid_run import Workload, run_bonjourgrid
from protoverify.reference.checks import bonjourgrid_violations
from protoverify.reference.cli import register
from protoverify.reference.middleware import SimulatedMiddleware
from protoverify.reference.sim import Simulator
from protoverify.reference.trace import TraceRecorder

SMALL = Workload(tasks=(2, 4, 8), duration=(5, 60), interarrival=5)
REPO = pathlib.Path(__file__).resolve().parents[2]


class LiveChecks:
    """A ``probe`` for run_bonjourgrid: B3 on live state, every heartbeat.  ``problems``: a coordinator
    holds more workers than it asked for; ``stale``: it counts a machine (same incarnation) that is no
    longer its worker, which only a partition may explain (the coordinator has not heard yet)."""

    def __init__(self):
        self.problems: list[str] = []
        self.stale: list[str] = []
        self.first_seen: dict = {}

    def __call__(self, sim: Simulator) -> None:
        for addr in sim.addresses():
            node = sim.node(addr)
            if node is None or node.state != "coordinator":
                continue
            role = node.role
            if len(role.counted) + len(role.expected) > role.wanted:
                self.problems.append(f"t={sim.now():.0f}: {addr} holds {len(role.counted)} + {len(role.expected)} "
                                     f"workers, asked for {role.wanted}")
            for worker in role.counted:
                w = sim.node(worker)
                first = self.first_seen.setdefault((id(role), worker), sim.transport(worker))
                if w is not None and first is sim.transport(worker) and (w.state, w.app) != ("worker", role.app):
                    self.stale.append(f"t={sim.now():.0f}: {addr} counts {worker}, which is {w.state}")


def run(nodes, apps, seed, faults="", workload=SMALL, *, partitioned=False, **kw):
    """Run, and return the summary, the trace and the live-state problems (stale counts excepted if
    the run has partitions)."""
    rec = TraceRecorder(keep=True)
    live = LiveChecks()
    kw.setdefault("stall", 900)
    summary = run_bonjourgrid(nodes, apps, seed, faults, recorder=rec, workload=workload, check_messages=True,
                              probe=live, **kw)
    return summary, rec.events, live.problems + ([] if partitioned else live.stale)


def profile(i: int, ram: int = 2048) -> dict:
    return {"host": f"n{i}", "ip": f"10.0.0.{i}", "cpu_mhz": "2000", "ram": str(ram), "os": "linux"}


def grid(n: int, cfg: BonjourGridConfig, *, seed: int = 1, rams=None, **simkw):
    """A hand-driven grid for scenarios: the simulator, the trace, and machines n1..nN."""
    rec = TraceRecorder(keep=True)
    sim = Simulator(seed, recorder=rec, check_messages=True, **simkw)
    rec.start(protocol="bonjourgrid", seed=seed, params={"N": n}, faults="", clock=sim.now)
    mw = SimulatedMiddleware()
    for i in range(1, n + 1):
        p = profile(i, rams[i - 1] if rams else 2048)
        sim.add_node(f"n{i}", lambda t, p=p: BonjourGridNode(t, p, config=cfg, middleware=mw))
    return sim, rec


def app(i: int, durations, **extra) -> dict:
    return {"app": i, "tasks": list(durations), "workers": len(durations), "project": f"p{i}", **extra}


def of(events, kind, **fields):
    return [e for e in events if e["event"] == kind and all(e.get(k) == v for k, v in fields.items())]


def coordinator_of(sim, app_id):
    for addr in sim.addresses():
        node = sim.node(addr)
        if node is not None and node.state == "coordinator" and node.app == app_id:
            return addr
    return None


# -- normal runs --------------------------------------------------------------------------------


def test_a_normal_run_ends_with_every_machine_idle_again():
    summary, events, live = run(30, 12, seed=1)
    assert (summary["done"], summary["failed"], summary["lost"], summary["unfinished"]) == (12, 0, 0, 0)
    assert bonjourgrid_violations(events) == [] and live == []
    counts = Counter(e["event"] for e in events)
    assert counts["coordinator_started"] == counts["app_finished"] == 12
    assert counts["worker_reserved"] == counts["worker_confirmed"] == counts["worker_released"]
    assert counts["replica_reserved"] == counts["replica_released"] == 12
    assert sum(r["workers"] for r in summary["per_app"]) == counts["worker_confirmed"]  # no crash: no repeat
    last = {}
    for e in events:
        last[e["node"]] = e["event"]
    assert set(last.values()) == {"idle_published"}  # B5: everybody published idle again at the end
    assert all(e["status"] == "done" for e in of(events, "app_finished"))


def test_idle_record_is_published_exactly_when_idle():
    cfg = BonjourGridConfig(replicas=1)
    sim, rec = grid(6, cfg)
    seen = []

    def check():
        for addr in sim.addresses():
            node = sim.node(addr)
            published = node.sd.published("_bg-idle._tcp", addr) is not None
            seen.append((node.state == "idle") == published)
        sim.call_later(1.0, check)
    sim.call_later(0.5, check)
    sim.call_at(1, lambda: sim.node("n1").submit(app(1, [20, 30])))
    sim.run(until=120)
    assert seen and all(seen)  # B8
    assert of(rec.events, "app_finished", app=1, status="done")


def test_selection_respects_requirements_and_prefers_fast_machines():
    cfg = BonjourGridConfig(replicas=0)
    rams = [1024, 4096, 1024, 8192, 1024, 4096, 1024, 1024]
    sim, rec = grid(8, cfg, rams=rams)
    sim.call_at(1, lambda: sim.node("n1").submit(app(1, [10, 10, 10], requirements={"min_ram": 4096})))
    sim.run(until=100)
    workers = sorted(e["worker"] for e in of(rec.events, "worker_reserved", app=1))
    assert workers == ["n2", "n4", "n6"]
    assert of(rec.events, "app_finished", app=1, status="done")


def test_a_busy_machine_refuses_a_user_and_an_idle_one_accepts():
    sim, _ = grid(3, BonjourGridConfig(replicas=0))
    assert sim.node("n1").submit(app(1, [50])) is True
    sim.run(until=5)
    assert sim.node("n1").submit(app(2, [50])) is False
    (worker,) = [sim.node(a) for a in ("n2", "n3") if sim.node(a).state == "worker"]
    assert worker.submit(app(3, [50])) is False


# -- arbitration -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_contention_many_coordinators_few_machines(seed):
    """Everything submitted at once on a lossy, slow network: coordinators fight over the same idle
    machines; each machine serves one of them; nobody counts a machine that did not confirm."""
    workload = Workload(tasks=(4, 8), duration=(5, 30), interarrival=0)
    summary, events, live = run(24, 8, seed=seed, faults="loss:0.1; delay:0.01-1.5", workload=workload)
    assert bonjourgrid_violations(events) == [] and live == []
    assert summary["unfinished"] == 0 and summary["done"] == 8
    assert len(of(events, "request_refused")) > 0  # there was contention


def test_a_retried_request_never_reserves_twice():
    """The same request delivered many times (retries, duplicates) reserves once and is confirmed each
    time; a second coordinator is refused while the machine is reserved."""
    sim, rec = grid(2, BonjourGridConfig(replicas=0))
    worker = sim.node("n2")
    got = []
    sim.transport("n1").on_message(lambda src, m: got.append((src, m["t"])))
    request = {"t": "bg.request", "app": 7, "req": "n1/x/1", "role": "worker", "epoch": 0}
    for _ in range(3):
        worker._on_message("n1", dict(request))
    worker._on_message("n3", {"t": "bg.request", "app": 8, "req": "n3/y/1", "role": "worker", "epoch": 0})
    assert len(of(rec.events, "worker_reserved")) == 1
    assert len(of(rec.events, "request_refused", app=8, coordinator="n3")) == 1
    worker._on_message("n1", {"t": "bg.release", "app": 7, "req": "n1/x/1"})
    worker._on_message("n1", dict(request))  # a stale duplicate after the release: refused, not reserved
    assert len(of(rec.events, "worker_reserved")) == 1 and worker.state == "idle"
    sim.run(until=1)
    assert [t for _, t in got].count("bg.confirm") == 3


# -- coordinators failing ---------------------------------------------------------------------


def test_coordinator_crash_the_replica_takes_over_and_finishes():
    cfg = BonjourGridConfig(replicas=1)
    sim, rec = grid(8, cfg)
    sim.call_at(1, lambda: sim.node("n1").submit(app(1, [100, 120, 150])))
    sim.call_at(60, lambda: sim.crash("n1"))
    sim.run(until=600)
    ev = rec.events
    (takeover,) = of(ev, "takeover", app=1)
    (replica,) = of(ev, "replica_reserved", app=1, coordinator="n1")
    assert takeover["node"] == replica["node"] and takeover["old_coordinator"] == "n1"
    assert of(ev, "coordinator_crashed", node="n1", app=1)
    (finished,) = of(ev, "app_finished", app=1)
    assert finished["node"] == takeover["node"] and finished["status"] == "done"
    assert finished["time"] < 1 + 150 + 120  # resumed from the replicated state, not restarted
    # the workers re-attached and were counted again by the new coordinator, then released
    re_counted = {e["worker"] for e in of(ev, "worker_confirmed", node=takeover["node"])}
    assert {e["worker"] for e in of(ev, "worker_reserved", coordinator="n1")} <= re_counted
    assert bonjourgrid_violations(ev) == []


def test_k_plus_one_coordinator_failures_report_the_application_failed():
    cfg = BonjourGridConfig(replicas=1)
    sim, rec = grid(10, cfg)
    sim.call_at(1, lambda: sim.node("n1").submit(app(1, [400, 400, 400])))
    sim.call_at(60, lambda: sim.crash("n1"))
    sim.call_at(200, lambda: sim.crash(coordinator_of(sim, 1)))  # the replica that took over
    sim.run(until=800)
    ev = rec.events
    assert len(of(ev, "coordinator_crashed", app=1)) == 2
    takeovers = of(ev, "takeover", app=1)
    assert len(takeovers) == 2
    (finished,) = of(ev, "app_finished", app=1)
    assert finished["status"] == "failed" and finished["node"] == takeovers[-1]["node"]
    assert bonjourgrid_violations(ev) == []
    states = Counter(sim.node(a).state for a in sim.addresses() if sim.is_up(a))
    assert states == Counter(idle=8)  # B5: everything released


def test_without_replicas_a_coordinator_crash_loses_the_application_and_frees_the_workers():
    cfg = BonjourGridConfig(replicas=0)
    sim, rec = grid(6, cfg)
    sim.call_at(1, lambda: sim.node("n1").submit(app(1, [500, 500])))
    sim.call_at(30, lambda: sim.crash("n1"))
    sim.run(until=30 + cfg.coord_ttl + cfg.orphan_wait + 3 * cfg.heartbeat)
    ev = rec.events
    assert not of(ev, "app_finished") and not of(ev, "takeover")
    assert len(of(ev, "worker_released", app=1)) == 2
    assert all(sim.node(a).state == "idle" for a in sim.addresses() if sim.is_up(a))


def test_a_normal_end_is_never_taken_for_a_failure_even_when_announcements_are_lost():
    """B6: the replica sees the record vanish; it probes the old coordinator, which answers `done`."""
    for seed in range(6):
        summary, events, live = run(12, 6, seed=seed, faults="loss:0.3")
        assert not of(events, "takeover") and summary["done"] == 6
        assert bonjourgrid_violations(events) == [] and live == []


@pytest.mark.parametrize("seed", range(5))
def test_crash_mix_every_application_terminates_or_is_reported(seed):
    summary, events, live = run(30, 12, seed=seed, faults="crash:1:on:coordinator:for:30; crash:0.2:for:20; loss:0.05",
                                replicas=2)
    assert summary["unfinished"] == 0
    assert summary["done"] + summary["failed"] + summary["lost"] == 12
    assert summary["coordinator_crashes"] > 0
    assert bonjourgrid_violations(events) == [] and live == []


# -- partitions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_partitions_heal(seed):
    """During a partition a replica on the other side cannot tell it from a crash and takes over (B7
    does not hold while partitioned); reservations stay exclusive and counted workers confirmed
    (B2, B3), every application terminates, and after the heal one coordinator per application is
    left and everybody ends idle."""
    half = ",".join(f"n{i}" for i in range(1, 13))
    workload = Workload(tasks=(2, 4, 8), duration=(20, 120), interarrival=5)
    summary, events, live = run(24, 10, seed=seed, faults=f"partition:30-200:{half}|n13; loss:0.05",
                                workload=workload, partitioned=True)
    violations = bonjourgrid_violations(events)
    assert not [v for v in violations if " B7 " not in v and " B6 " not in v] and live == []
    assert summary["unfinished"] == 0 and summary["done"] + summary["failed"] == 10
    last = {}
    for e in events:
        last[e["node"]] = e["event"]
    assert set(last.values()) == {"idle_published"}


# -- randomized fault mixes -------------------------------------------------------------------------


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), loss=st.sampled_from([0.0, 0.05, 0.2]), slow=st.sampled_from([0.01, 0.5, 2.0]),
       crash=st.sampled_from([0.0, 0.2, 0.5]), down=st.sampled_from([None, 10, 60]),
       partition=st.booleans(), replicas=st.integers(0, 2))
def test_reservation_safety_under_random_fault_mixes(seed, loss, slow, crash, down, partition, replicas):
    """B1-B3 on the trace and on live state, whatever the mix; B4 (every application done, failed or
    lost) under the timeout assumption: a coordinator without workers for 300 s gives up."""
    parts = [f"loss:{loss}", f"delay:0.001-{slow}"]
    if crash:
        parts.append(f"crash:{crash}" + (f":for:{down}" if down else ""))
    if partition:
        parts.append("partition:20-90:n1,n2,n3,n4,n5,n6|n7,n8,n9,n10")
    faults = "; ".join(parts)
    config = BonjourGridConfig(replicas=replicas, give_up_after=300)
    summary, events, live = run(20, 8, seed=seed, faults=faults, config=config, partitioned=partition)
    safety = [v for v in bonjourgrid_violations(events) if " B2 " in v or " B3 " in v or " B1 " in v]
    assert safety == [], f"seed {seed}, faults {faults}"
    assert live == [], f"seed {seed}, faults {faults}"
    assert summary["unfinished"] == 0, f"seed {seed}, faults {faults}: {summary['stopped']}"


# -- liveness caveat -----------------------------------------------------------------------------


def test_liveness_caveat_coordinators_holding_replicas_can_starve_each_other():
    """Four machines, two applications at once, k = 1: each coordinator gets a replica, no machine is
    left to work (seed 0 of this setting); B4 holds only with a timeout."""
    workload = Workload(tasks=(2,), duration=(10, 10), interarrival=0)
    stuck = run_bonjourgrid(4, 2, 0, workload=workload, replicas=1, stall=600)
    assert stuck["unfinished"] == 2 and stuck["stopped"].startswith("nothing happened")
    cfg = BonjourGridConfig(replicas=1, give_up_after=300)
    bounded = run_bonjourgrid(4, 2, 0, workload=workload, config=cfg, stall=600)
    assert bounded["failed"] == 2 and bounded["unfinished"] == 0


# -- determinism and the command line ----------------------------------------------------------------


FAULTY = "crash:0.3:for:20; loss:0.1; delay:0.01-0.5; partition:40-80:n1,n2,n3|n4,n5"


def test_same_seed_same_bytes():
    def trace(seed):
        runner = CliRunner()
        group = click.Group()
        register(group)
        with runner.isolated_filesystem():
            result = runner.invoke(group, ["simulate", "bonjourgrid", "--nodes", "20", "--apps", "8", "--seed",
                                           str(seed), "--faults", FAULTY, "--tasks", "2,4", "--duration", "5-40",
                                           "--gap", "5", "-o", "t.jsonl"])
            assert result.exit_code == 0, result.output
            return pathlib.Path("t.jsonl").read_bytes()
    a, b, c = trace(3), trace(3), trace(4)
    assert a == b and a != c
    assert a.count(b"\n") > 100


def test_trace_does_not_depend_on_the_hash_seed(tmp_path):
    script = ("import sys; from protoverify.reference.bonjourgrid_run import run_bonjourgrid, Workload; "
              "from protoverify.reference.trace import TraceRecorder; "
              "run_bonjourgrid(16, 6, 2, sys.argv[1], recorder=TraceRecorder(sys.stdout, keep=False), "
              "workload=Workload(tasks=(2, 4), duration=(5, 30), interarrival=5))")
    outs = []
    for hashseed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        done = subprocess.run([sys.executable, "-c", script, FAULTY], capture_output=True, env=env, cwd=tmp_path,
                              check=True)
        outs.append(done.stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 1000


def test_cli_errors_exit_2_with_a_message():
    runner = CliRunner()
    group = click.Group()
    register(group)
    for args, phrase in ((["--faults", "crash:2"], "between 0 and 1"),
                         (["--faults", "partition:1-2:n1|n99", "--nodes", "3"], "unknown node `n99`"),
                         (["--tasks", "two"], "--tasks expects integers"),
                         (["--duration", "9-1"], "MIN <= MAX"),
                         (["-o", "/nonexistent/dir/t.jsonl"], "cannot write")):
        result = runner.invoke(group, ["simulate", "bonjourgrid", "--apps", "1", "--nodes", "3", *args])
        assert result.exit_code == 2, (args, result.output)
        assert phrase in result.output and "Traceback" not in result.output


def test_cli_report_prints_the_summary_table():
    runner = CliRunner()
    group = click.Group()
    register(group)
    result = runner.invoke(group, ["simulate", "bonjourgrid", "--nodes", "12", "--apps", "3", "--tasks", "2",
                                   "--duration", "5-10", "--report"])
    assert result.exit_code == 0, result.output
    assert "applications  done 3  failed 0  lost 0  unfinished 0  (of 3)" in result.output
    assert "delayed" in result.output


def test_node_modules_do_not_import_the_simulator():
    for name in ("transport", "dnssd", "middleware", "bonjourgrid"):
        tree = ast.parse((REPO / "protoverify" / "reference" / f"{name}.py").read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {m for m in imported if m.split(".")[-1] in ("sim", "bonjourgrid_run", "faults")}, name


def test_experiment_table_pools_the_seeds():
    from protoverify.reference.experiments import Setting, render_table
    rows = [{"app": 1, "delay": 40.0}, {"app": 2, "delay": 1.0}, {"app": 3, "delay": None}]
    one = {"apps": 3, "done": 2, "failed": 1, "lost": 0, "unfinished": 0, "delay_threshold": 5.0,
           "coordinator_crashes": 1, "takeovers": 1, "per_app": rows}
    two = {**one, "per_app": [{"app": 1, "delay": 20.0}], "coordinator_crashes": 0, "takeovers": 0}
    table = render_table([(Setting("bonjourgrid", 200, 3, "", label="60 s"), [one, two], 1.0)])
    assert "| `none` | 60 s | 2 | 4 / 2 / 0 / 0 | 33% (2 of 6, > 5 s) | 30 / 30 / 40 | 0.5 / 0.5 |" in table
