"""Running PastryGrid in the simulator: an overlay of machines, a workload of task DAGs, faults, a summary.

Harness code (it knows the simulator); the protocol is in :mod:`.pastrygrid`, which does not.

>>> s = run_pastrygrid(16, 3, seed=1, workload=Workload(shapes=("diamond", "chain"), duration=(5, 20)))
>>> s["done"], s["failed"], s["unfinished"], len(s["delays"])
(3, 0, 0, 3)
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from .faults import FaultSpec, parse_faults
from .pastrygrid import PastryGridConfig, PastryGridNode
from .sim import Simulator
from .trace import TraceRecorder

__all__ = ["run_pastrygrid", "Workload", "SEED_WORKLOAD", "make_workload", "make_dag", "critical_path", "DELAY_THRESHOLD"]

#: an application counts as delayed when it ends this many seconds later than its reference
DELAY_THRESHOLD = 5.0
SHAPES = ("diamond", "chain", "fanout", "layered")


@dataclass(frozen=True)
class Workload:
    """Applications to submit.  ``shapes``: DAG shapes drawn uniformly (``diamond``; ``chain`` of
    ``chain`` tasks; ``fanout``: one task, ``width`` parallel tasks, one task joining them; ``layered``:
    layers of ``width`` tasks, each with 1-3 predecessors in the layer above); ``width``: the choices for
    the number of parallel tasks; task durations uniform in ``duration`` seconds; submissions a Poisson
    process of mean gap ``interarrival`` (0: all at once), each from a machine drawn at random."""

    shapes: tuple[str, ...] = SHAPES
    width: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128)
    chain: tuple[int, ...] = (2, 3, 4, 6)
    layers: tuple[int, ...] = (2, 3)
    duration: tuple[float, float] = (10.0, 300.0)
    interarrival: float = 30.0
    requirements: dict = field(default_factory=lambda: {"ram": 512})


#: the workload of the presentation's experiment (PROTOCOLS.md 2.7): applications of 2 to 128 parallel tasks
#: (fan-out / fan-in), tasks of 1 to 10 minutes, one submission a minute on average
SEED_WORKLOAD = Workload(shapes=("fanout",), width=(2, 4, 8, 16, 32, 64, 128), duration=(60.0, 600.0),
                         interarrival=60.0)


def make_dag(shape: str, rng, workload: Workload) -> tuple[list[dict], int]:
    """Tasks ``[{"id", "preds", "duration"}]`` (ids 1..n, predecessors before successors) and the width."""
    lo, hi = workload.duration

    def dur() -> float:
        return round(lo + (hi - lo) * rng.random(), 3)

    if shape == "diamond":
        preds = {1: [], 2: [1], 3: [1], 4: [2, 3]}
        width = 2
    elif shape == "chain":
        n = rng.choice(workload.chain)
        preds = {i: ([i - 1] if i > 1 else []) for i in range(1, n + 1)}
        width = 1
    elif shape == "fanout":
        width = rng.choice(workload.width)
        preds = {1: []}
        for i in range(2, width + 2):
            preds[i] = [1]
        preds[width + 2] = list(range(2, width + 2))
    elif shape == "layered":
        width = rng.choice([w for w in workload.width if w <= 16] or [2])
        preds = {1: []}
        above = [1]
        nxt = 2
        for _ in range(rng.choice(workload.layers)):
            layer = list(range(nxt, nxt + width))
            for t in layer:
                preds[t] = sorted(rng.sample(above, min(len(above), rng.randint(1, 3))))
            above, nxt = layer, nxt + width
        preds[nxt] = list(above)
    else:
        raise ValueError(f"unknown DAG shape {shape!r}; expected one of {', '.join(SHAPES)}")
    return [{"id": t, "preds": ps, "duration": dur()} for t, ps in preds.items()], width


def critical_path(tasks: list[dict]) -> float:
    """The DAG's longest path, in task durations: the best turnaround with enough idle workers."""
    finish: dict[int, float] = {}
    for t in tasks:  # predecessors come first
        finish[t["id"]] = max((finish[p] for p in t["preds"]), default=0.0) + t["duration"]
    return max(finish.values(), default=0.0)


def make_workload(apps: int, rng, workload: Workload) -> list[dict]:
    out = []
    t = 0.0
    for i in range(1, apps + 1):
        if i > 1 and workload.interarrival > 0:
            t += rng.expovariate(1.0 / workload.interarrival)
        shape = rng.choice(workload.shapes)
        tasks, width = make_dag(shape, rng, workload)
        user = f"user{rng.randint(1, 20)}"
        out.append({"app": i, "name": f"{shape}-{i}", "user": user, "date": f"t+{t:.3f}", "submit": round(t, 6),
                    "shape": shape, "width": width, "reqs": dict(workload.requirements), "tasks": tasks})
    return out


def _profiles(n: int, rng) -> list[dict]:
    out = []
    for i in range(1, n + 1):
        os_ = "linux" if rng.random() < 0.8 else rng.choice(("windows", "macos"))
        out.append({"host": f"n{i}", "cpu_mhz": rng.choice((1000, 1600, 2000, 2400, 3000)),
                    "ram": rng.choice((256, 512, 1024, 2048, 4096, 8192)), "os": os_})
    return out


def run_pastrygrid(nodes: int, apps: int, seed: int, faults: str | FaultSpec = "", until: float | None = None,
                   recorder: TraceRecorder | None = None, *, replicas: int = 3, workload: Workload | None = None,
                   config: PastryGridConfig | None = None, check_messages: bool = False, boot_gap: float = 0.2,
                   settle: float = 30.0, fault_horizon: float | None = None, drain: float = 30.0,
                   stall: float = 3600.0, specs: list[dict] | None = None, probe: Any = None,
                   setup: Any = None, profiles: list[dict] | None = None, node_ids: dict[str, int] | None = None,
                   submitters: dict[int, str] | None = None, model_params: dict | None = None) -> dict:
    """Simulate ``nodes`` machines (Pastry overlay built by joins, ``boot_gap`` apart) running ``apps``
    applications submitted from ``settle`` seconds after the last join; return a summary dict.

    ``until``: stop at that virtual time (default: when every application has ended, plus ``drain``; or
    when nothing happened for ``stall`` seconds).  Crash times are drawn over ``[0, fault_horizon)``
    (default: ``until``, else the submission period plus the longest critical path).  ``specs``: explicit
    applications (as :func:`make_workload` makes them) instead of a random workload.  ``probe(sim)``, if
    given, is called every 10 virtual seconds (tests check invariants on live state with it);
    ``setup(sim)``, if given, once before the run (tests schedule targeted crashes with it).
    ``profiles`` (``[{"host", "cpu_mhz", "ram", "os"}]``, one per machine, in boot order), ``node_ids``
    (address -> Pastry id) and ``submitters`` (application -> the address that submits it) fix what is
    otherwise drawn from the seed; ``model_params`` are added to the header's ``params`` (the model's
    parameter names, for ``protoverify conform``: see :mod:`.pastrygrid_scenarios`).

    Summary keys: ``protocol seed nodes apps faults replicas end_time events messages crashes takeovers
    reissued resubmitted relaunched done failed lost unfinished delayed delay_threshold delay_mean delay_median
    delay_max delays per_app``; ``per_app`` lists ``{app shape width tasks submitted finished status
    ideal turnaround delay}``, ``delay`` = turnaround - ideal (the critical path), ``delays`` the delays
    of the applications done; ``relaunched``: orphaned searches the RDVs took over, counted on the nodes
    alive at the end (a lower bound).  A user whose machine crashes before the RDV has the application submits it
    again from another machine (``resubmitted``).
    """
    spec = faults if isinstance(faults, FaultSpec) else parse_faults(faults)
    workload = workload or Workload()
    cfg = config or PastryGridConfig(replicas=replicas)
    if recorder is None:
        recorder = TraceRecorder(keep=False)
    sim = Simulator(seed, recorder=recorder, check_messages=check_messages)
    work = specs if specs is not None else make_workload(apps, sim.rng("workload"), workload)
    params = {"nodes": nodes, "apps": len(work), "replicas": cfg.replicas,
              "racy_shared_launch": cfg.racy_shared_launch}
    if specs is None:
        params["workload"] = _jsonable(asdict(workload))
    params.update(model_params or {})
    recorder.start(protocol="pastrygrid", seed=seed, params=params, faults=str(spec), clock=sim.now)

    profiles = profiles if profiles is not None else _profiles(nodes, sim.rng("profiles"))
    node_ids = node_ids or {}
    addresses = [p["host"] for p in profiles]
    boot_rng = sim.rng("bootstraps")
    booted: dict[str, int] = {}

    def factory(profile: dict, index: int):
        def make(t):
            addr = profile["host"]
            booted[addr] = booted.get(addr, 0) + 1
            if booted[addr] == 1:  # first boot: join in turn, through earlier machines
                boots = boot_rng.sample(addresses[:index], min(index, 3))
                delay = index * boot_gap
            else:  # a reboot: a fresh node, through any machines (some may be down)
                boots = boot_rng.sample([a for a in addresses if a != addr], min(len(addresses) - 1, 6))
                delay = 0.0
            prof = {k: v for k, v in profile.items() if k != "host"}
            return PastryGridNode(t, prof, config=cfg, bootstraps=boots, start_delay=delay,
                                  node_id=node_ids.get(addr) if booted[addr] == 1 else None)
        return make

    for i, profile in enumerate(profiles):
        sim.add_node(profile["host"], factory(profile, i))
    t0 = nodes * boot_gap + settle

    ideal = {a["app"]: critical_path(a["tasks"]) for a in work}
    last_submit = max((a["submit"] for a in work), default=0.0)
    horizon = fault_horizon or until or (t0 + last_submit + max(ideal.values(), default=0.0))
    cap = until if until is not None else 50 * (t0 + last_submit + max(ideal.values(), default=0.0)) + stall

    def role_of(addr: str) -> str | None:
        node = sim.node(addr)
        return None if node is None else node.role
    sim.apply_faults(spec, horizon=max(horizon, 1.0), role_of=role_of)

    info = {a["app"]: {"app": a["app"], "shape": a.get("shape"), "width": a.get("width"), "tasks": len(a["tasks"]),
                       "submitted": None, "finished": None, "status": "unfinished", "ideal": round(ideal[a["app"]], 6),
                       "turnaround": None, "delay": None} for a in work}
    by_app = {a["app"]: a for a in work}
    stats = {"ended": 0, "events": 0, "takeovers": 0, "reissued": 0, "resubmitted": 0, "last_progress": 0.0}
    submitter: dict[int, str] = {}
    has_rdv: set[int] = set()

    def end(app: int, status: str) -> None:
        row = info[app]
        if row["status"] != "unfinished":
            return
        row["status"], row["finished"] = status, round(sim.now(), 6)
        row["turnaround"] = round(row["finished"] - row["submitted"], 6)
        row["delay"] = round(row["turnaround"] - row["ideal"], 6)
        stats["ended"] += 1
        if stats["ended"] == len(info):
            sim.call_later(drain, sim.stop)

    def watch(ev: dict) -> None:
        stats["events"] += 1
        stats["last_progress"] = sim.now()
        kind = ev["event"]
        if kind == "app_finished":
            end(ev["app"], ev["status"])
        elif kind == "rdv_created":
            has_rdv.add(ev["app"])
        elif kind == "rdv_takeover":
            stats["takeovers"] += 1
        elif kind == "task_reissued":
            stats["reissued"] += 1
        elif kind == "worker_crashed":
            for app, addr in list(submitter.items()):
                if addr == ev["node"] and app not in has_rdv:
                    sim.call_later(10.0, lambda app=app: submit(app, again=True))  # the user tries elsewhere
                    stats["resubmitted"] += 1
    recorder.listeners.append(watch)

    placement = sim.rng("placement")

    def submit(app: int, again: bool = False) -> None:
        if info[app]["status"] != "unfinished" or (again and app in has_rdv):
            return
        for _ in range(64):
            addr = (submitters or {}).get(app) if not again else None
            addr = addr or placement.choice(addresses)
            node = sim.node(addr)
            if node is not None and node.pastry.joined:
                break
        else:
            sim.call_later(30.0, lambda: submit(app, again))
            return
        if info[app]["submitted"] is None:
            info[app]["submitted"] = round(sim.now(), 6)
        submitter[app] = addr
        spec_ = {k: by_app[app][k] for k in ("app", "name", "user", "date", "reqs", "tasks")}
        node.submit(spec_)
    for a in work:
        sim.call_at(t0 + a["submit"], lambda app=a["app"]: submit(app))

    def watchdog() -> None:
        if sim.now() > t0 + last_submit and sim.now() - stats["last_progress"] > stall:
            sim.stop()
            return
        sim.call_later(min(stall / 4, 600.0), watchdog)
    sim.call_later(min(stall / 4, 600.0), watchdog)
    if probe is not None:
        def probing() -> None:
            probe(sim)
            sim.call_later(10.0, probing)
        sim.call_later(10.0, probing)

    if setup is not None:
        setup(sim)
    sim.run(until=cap)
    relaunched = sum(getattr(sim.node(a), "relaunched", 0) for a in addresses if sim.node(a) is not None)

    # An application nobody holds any more (RDV and every replica lost) is `lost`, not just unfinished.
    holders = set()
    for addr in addresses:
        node = sim.node(addr)
        if node is not None:
            holders.update(a for a, r in node.rdv.items() if r.st["status"] == "running")
    for app, row in info.items():
        if row["status"] == "unfinished" and app in has_rdv and app not in holders:
            row["status"] = "lost"

    rows = [info[a] for a in sorted(info)]
    done = [r for r in rows if r["status"] == "done"]
    delayed = [r["delay"] for r in done if r["delay"] > DELAY_THRESHOLD]
    return {
        "protocol": "pastrygrid", "seed": seed, "nodes": nodes, "apps": len(rows), "faults": str(spec),
        "replicas": cfg.replicas, "racy_shared_launch": cfg.racy_shared_launch,
        "end_time": round(sim.now(), 6), "events": stats["events"], "messages": sim.stats["sent"],
        "crashes": sim.stats["crashes"], "takeovers": stats["takeovers"], "reissued": stats["reissued"],
        "resubmitted": stats["resubmitted"], "relaunched": relaunched,
        "done": len(done), "failed": sum(r["status"] == "failed" for r in rows),
        "lost": sum(r["status"] == "lost" for r in rows),
        "unfinished": sum(r["status"] == "unfinished" for r in rows),
        "delayed": len(delayed), "delay_threshold": DELAY_THRESHOLD,
        "delay_mean": round(statistics.fmean(delayed), 3) if delayed else None,
        "delay_median": round(statistics.median(delayed), 3) if delayed else None,
        "delay_max": round(max(delayed), 3) if delayed else None,
        "delays": [r["delay"] for r in done],
        "per_app": rows,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
