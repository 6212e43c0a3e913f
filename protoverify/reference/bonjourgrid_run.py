"""Running BonjourGrid in the simulator: machines, a workload of applications, faults, a summary.

This is harness code (it knows the simulator); the protocol itself is in
:mod:`.bonjourgrid`, which does not.

>>> summary = run_bonjourgrid(12, 3, seed=1, workload=Workload(tasks=(2, 4), duration=(5, 20), interarrival=10))
>>> summary["done"], summary["failed"], summary["lost"], summary["unfinished"]
(3, 0, 0, 0)
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from .bonjourgrid import BonjourGridConfig, BonjourGridNode
from .faults import FaultSpec, parse_faults
from .middleware import SimulatedMiddleware
from .sim import Simulator
from .trace import TraceRecorder

__all__ = ["run_bonjourgrid", "Workload", "make_workload", "DELAY_THRESHOLD"]

#: an application counts as delayed when it ends this many seconds later than it would with all its
#: workers at once (the protocol's own overhead, without contention, is 1-2 s: see docs/experiments.md)
DELAY_THRESHOLD = 5.0


@dataclass(frozen=True)
class Workload:
    """Applications to submit: ``tasks`` parallel tasks (one of the choices, uniformly), each lasting
    uniformly ``duration`` seconds; submissions a Poisson process of mean gap ``interarrival`` seconds
    (0: all at time 0), each on a machine chosen at random among the idle ones (the user walks to a free
    machine; if none is idle, the user tries again every ``heartbeat`` seconds)."""

    tasks: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128)
    duration: tuple[float, float] = (1.0, 500.0)
    interarrival: float = 60.0
    requirements: dict = field(default_factory=dict)


def make_workload(apps: int, rng, workload: Workload) -> list[dict]:
    out = []
    t = 0.0
    lo, hi = workload.duration
    for i in range(1, apps + 1):
        if i > 1 and workload.interarrival > 0:
            t += rng.expovariate(1.0 / workload.interarrival)
        n = rng.choice(workload.tasks)
        tasks = [round(lo + (hi - lo) * rng.random(), 3) for _ in range(n)]
        out.append({"app": i, "submit": round(t, 6), "tasks": tasks, "workers": n,
                    "requirements": dict(workload.requirements), "project": f"project-{i}"})
    return out


def _profiles(n: int, rng) -> list[dict]:
    out = []
    for i in range(1, n + 1):
        os_ = "linux" if rng.random() < 0.8 else rng.choice(("windows", "macos"))
        out.append({"host": f"n{i}", "ip": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                    "cpu_mhz": str(rng.choice((1000, 1600, 2000, 2400, 3000))),
                    "ram": str(rng.choice((512, 1024, 2048, 4096, 8192))), "os": os_})
    return out


def run_bonjourgrid(nodes: int, apps: int, seed: int, faults: str | FaultSpec = "", until: float | None = None,
                    recorder: TraceRecorder | None = None, *, replicas: int = 1, workload: Workload | None = None,
                    config: BonjourGridConfig | None = None, check_messages: bool = False, drain: float = 60.0,
                    stall: float = 3600.0, probe: Any = None) -> dict:
    """Simulate ``nodes`` machines running ``apps`` applications; return a summary dict.

    ``until``: stop at that virtual time (default: when every application has ended, plus ``drain``
    seconds for the releases; or when nothing happened for ``stall`` seconds).  Crash faults are drawn
    over ``[0, until)``, or, without ``until``, over the submission period plus the longest task.
    ``recorder`` receives the trace (its header is written here).  ``probe(sim)``, if given, is called
    every ``config.heartbeat`` seconds (tests use it to check invariants on live state).

    Summary keys: ``protocol seed nodes apps faults replicas end_time events messages crashes
    coordinator_crashes takeovers done failed lost unfinished delayed delay_threshold delay_mean
    delay_median delay_max stopped per_app`` (``stopped`` says why the run ended); ``per_app`` lists
    ``{app submitted started finished status tasks workers ideal delay}`` with status ``done``,
    ``failed``, ``lost`` (its coordinator and every replica crashed: nobody left to report) or
    ``unfinished``.
    """
    spec = faults if isinstance(faults, FaultSpec) else parse_faults(faults)
    workload = workload or Workload()
    cfg = config or BonjourGridConfig(replicas=replicas)
    if recorder is None:
        recorder = TraceRecorder(keep=False)
    sim = Simulator(seed, recorder=recorder, check_messages=check_messages)
    params = {"nodes": nodes, "apps": apps, "replicas": cfg.replicas, "workload": _jsonable(asdict(workload))}
    # the model's parameters (models/bonjourgrid.cpn), for conformance: W only when every application asks
    # for the same number of workers; CRASH as a budget every machine could use
    params.update({"N": nodes, "APPS": apps, "K": cfg.replicas, "CRASH": nodes if spec.crashes else 0})
    if len(set(workload.tasks)) == 1:
        params["W"] = workload.tasks[0]
    recorder.start(protocol="bonjourgrid", seed=seed, params=params, faults=str(spec), clock=sim.now)

    mw = SimulatedMiddleware()
    for profile in _profiles(nodes, sim.rng("profiles")):
        sim.add_node(profile["host"], lambda t, p=profile: BonjourGridNode(t, p, config=cfg, middleware=mw))
    work = make_workload(apps, sim.rng("workload"), workload)
    by_app = {a["app"]: a for a in work}
    longest = max((max(a["tasks"]) for a in work), default=0.0)
    last_submit = max((a["submit"] for a in work), default=0.0)
    horizon = until if until is not None else last_submit + longest
    cap = until if until is not None else 10 * (last_submit + longest) + 2 * stall

    def role_of(addr: str) -> str | None:
        node = sim.node(addr)
        return None if node is None else node.state
    sim.apply_faults(spec, horizon=max(horizon, 1.0), role_of=role_of)

    info = {a["app"]: {"app": a["app"], "submitted": a["submit"], "started": None, "finished": None,
                       "status": "unfinished", "tasks": len(a["tasks"]), "workers": a["workers"],
                       "ideal": max(a["tasks"]) if a["tasks"] else 0.0, "delay": None} for a in work}
    ended = {"n": 0, "events": 0, "takeovers": 0, "coordinator_crashes": 0, "last_progress": 0.0, "completed": 0}
    lost_after = (cfg.coord_ttl + cfg.replica_timeout + cfg.probe_timeout * (cfg.probe_tries + 1)
                  + (cfg.replicas + 1) * cfg.takeover_slot + 30.0)

    def end(app: int, status: str) -> None:
        row = info[app]
        if row["status"] != "unfinished":
            return
        row["status"], row["finished"] = status, sim.now()
        if status == "done":
            row["delay"] = round(row["finished"] - row["submitted"] - row["ideal"], 6)
        ended["n"] += 1
        if ended["n"] == len(info):
            sim.call_later(drain, lambda: stop("every application ended"))

    def check_lost(app: int) -> None:
        if info[app]["status"] != "unfinished":
            return
        for addr in sim.addresses():
            node = sim.node(addr)
            if node is not None and node.app == app and node.state in ("coordinator", "replica"):
                return
        end(app, "lost")

    def watch(ev: dict) -> None:
        ended["events"] += 1
        ended["last_progress"] = sim.now()
        kind = ev["event"]
        if kind == "coordinator_started" and info[ev["app"]]["started"] is None:
            info[ev["app"]]["started"] = ev["time"]
        elif kind == "app_finished":
            end(ev["app"], ev["status"])
        elif kind == "takeover":
            ended["takeovers"] += 1
        elif kind == "coordinator_crashed":
            ended["coordinator_crashes"] += 1
            app = ev["app"]
            sim.call_later(lost_after, lambda: check_lost(app))
    recorder.listeners.append(watch)

    why = {"stopped": "time limit"}

    def stop(reason: str) -> None:
        why["stopped"] = reason
        sim.stop()

    placement = sim.rng("placement")
    addresses = sim.addresses()

    def submit(app: dict) -> None:
        """The user tries random machines; if none of 32 is idle, any idle one; if none, again later."""
        for _ in range(32):
            node = sim.node(placement.choice(addresses))
            if node is not None and node.submit(app):
                return
        idle = [n for n in map(sim.node, addresses) if n is not None and n.state == "idle"]
        if idle:
            placement.choice(idle).submit(app)
        else:
            sim.call_later(cfg.heartbeat, lambda: submit(app))
    for app in work:
        sim.call_at(app["submit"], lambda a=app: submit(by_app[a["app"]]))

    def watchdog() -> None:
        if mw.completed != ended["completed"]:
            ended["completed"] = mw.completed
            ended["last_progress"] = sim.now()
        if sim.now() > last_submit and sim.now() - ended["last_progress"] > stall:
            stop(f"nothing happened for {stall:g} s")
            return
        sim.call_later(min(stall / 4, 600.0), watchdog)
    sim.call_later(min(stall / 4, 600.0), watchdog)
    if probe is not None:
        def probing() -> None:
            probe(sim)
            sim.call_later(cfg.heartbeat, probing)
        sim.call_later(cfg.heartbeat, probing)

    sim.run(until=cap)

    rows = [info[a] for a in sorted(info)]
    delays = [r["delay"] for r in rows if r["delay"] is not None and r["delay"] > DELAY_THRESHOLD]
    return {
        "protocol": "bonjourgrid", "seed": seed, "nodes": nodes, "apps": apps, "faults": str(spec),
        "replicas": cfg.replicas, "end_time": round(sim.now(), 6), "events": ended["events"],
        "messages": sim.stats["sent"], "crashes": sim.stats["crashes"],
        "coordinator_crashes": ended["coordinator_crashes"], "takeovers": ended["takeovers"],
        "done": sum(r["status"] == "done" for r in rows), "failed": sum(r["status"] == "failed" for r in rows),
        "lost": sum(r["status"] == "lost" for r in rows),
        "unfinished": sum(r["status"] == "unfinished" for r in rows),
        "delayed": len(delays), "delay_threshold": DELAY_THRESHOLD,
        "delay_mean": round(statistics.fmean(delays), 3) if delays else None,
        "delay_median": round(statistics.median(delays), 3) if delays else None,
        "delay_max": round(max(delays), 3) if delays else None,
        "stopped": why["stopped"], "per_app": rows,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
