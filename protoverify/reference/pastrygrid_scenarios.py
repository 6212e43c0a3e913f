"""PastryGrid runs shaped like models/pastrygrid.cpn, so that their traces can be checked with ``protoverify conform``.

The model fixes every role by node number (``N`` nodes; the FTC key's root
is node 1, the application key hashes to node ``1 + N/2``, the submitter is
node ``N``; when the RDV's node dies the next live node clockwise takes
over; nodes ``1..UNFIT`` do not meet the requirements).  In the
implementation roles follow 128-bit Pastry ids.  :func:`run_scenario`
makes the two agree:

1. It draws the machines' Pastry ids from the seed, then names the one
   application ``<dag>-s<seed>``, ``<dag>-s<seed>-1``, ... (the first name
   that works): the application key's root and the FTC key's root must be
   different machines, and the order in which the machines are numerically
   closest to the application key (who takes over after the RDV's node
   dies, then after that one...) must be the model's clockwise order from
   ``1 + N/2``, with the FTC's root at node 1's place.
2. It gives each machine the address of its number in the model: the FTC's
   root is ``n1``, the application key's root ``n<1 + N/2>``, the
   submitter ``n<N>``, and so on.  So the recorded trace already speaks the
   model's numbering (``node`` and ``worker`` fields alike).
3. Machines ``n1..n<UNFIT>`` get too little memory for the application
   (512 MB asked, 256 MB present); the others have enough.
4. The DAG is the model's: ``diamond`` (``DAG = 1``: A -> B, A -> C,
   B + C -> D), ``chain`` (``DAG = 2``: A -> B -> C) or ``join`` (``DAG = 3``:
   A + B -> C); task ids 1, 2, 3, 4 are the model's A, B, C, D.
5. Crashes are the model's: ``worker`` (a machine that is root of no key)
   and ``rdv`` (the RDV's machine), each either at a random moment while
   the application runs or, with ``busy``, while that machine runs a task.
   A crash is only injected once the FTC exists and before the application
   ends, and never hits the FTC's machine (the model's crash budgets).
6. The trace header's ``params`` carry the model's parameters (``N``,
   ``DAG``, ``UNFIT``, ``WCRASH``, ``RCRASH``, ``RETRY``); the crash budgets
   are the numbers of crashes planned.

>>> s = run_scenario(Scenario(seed=1))
>>> s["done"], s["model_params"]
(1, {'N': 3, 'DAG': 1, 'UNFIT': 1, 'WCRASH': 0, 'RCRASH': 0, 'RETRY': 1})

From the shell: ``protoverify simulate pastrygrid --scenario model --nodes 3
--seed 4 --crash worker:busy -o t.jsonl`` then ``protoverify conform
models/pastrygrid.cpn t.jsonl``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, TextIO

from .pastry import closeness
from .pastrygrid import PastryGridConfig, app_key, ftc_key
from .pastrygrid_run import critical_path, run_pastrygrid
from .sim import subseed
from .trace import TraceRecorder

__all__ = ["Scenario", "Crash", "DAGS", "CRASH_KINDS", "SLOW", "COMMITTED", "run_scenario", "scenario_trace",
           "plan_roles", "parse_crashes", "parse_scenario"]

#: the model's DAG parameter for each shape; task -> predecessors
DAGS = {
    "diamond": (1, {1: [], 2: [1], 3: [1], 4: [2, 3]}),
    "chain": (2, {1: [], 2: [1], 3: [2]}),
    "join": (3, {1: [], 2: [], 3: [1, 2]}),
}
CRASH_KINDS = ("worker", "rdv")
REQUIREMENTS = {"ram": 512}
FIT = {"cpu_mhz": 2000, "ram": 2048, "os": "linux"}
UNFIT_PROFILE = {"cpu_mhz": 2000, "ram": 256, "os": "linux"}
SLOW = (0.001, 0.2)  # one-way delays of ``slow`` scenarios (the simulator's default: 1-10 ms)


@dataclass(frozen=True)
class Crash:
    """One crash the model covers: ``kind`` ``worker`` (a machine that is root of no key) or ``rdv`` (the
    RDV's machine); ``busy``: while it runs a task (else at a random moment while the application runs)."""

    kind: str
    busy: bool = False

    def __post_init__(self):
        if self.kind not in CRASH_KINDS:
            raise ValueError(f"unknown crash kind {self.kind!r}; expected one of {', '.join(CRASH_KINDS)}")

    def __str__(self) -> str:
        return self.kind + (":busy" if self.busy else "")


def parse_crashes(text: str) -> tuple[Crash, ...]:
    """``"worker:busy, rdv"`` -> crashes.

    >>> parse_crashes("worker:busy, rdv")
    (Crash(kind='worker', busy=True), Crash(kind='rdv', busy=False))
    """
    out = []
    for item in (p.strip() for p in text.replace(";", ",").split(",")):
        if not item:
            continue
        kind, _, mode = item.partition(":")
        if mode not in ("", "busy"):
            raise ValueError(f"bad crash `{item}`: expected KIND or KIND:busy (KIND: worker, rdv)")
        out.append(Crash(kind, mode == "busy"))
    return tuple(out)


@dataclass(frozen=True)
class Scenario:
    """One run of the model's shape: ``nodes`` machines (the model's ``N``), one application of DAG
    ``dag``, machines ``1..unfit`` unfit for it, ``crashes`` injected, task durations uniform in
    ``duration`` seconds, ``retry`` rejected searches retried before the application fails."""

    nodes: int = 3
    dag: str = "diamond"
    unfit: int = 1
    crashes: tuple[Crash, ...] = ()
    seed: int = 1
    duration: tuple[float, float] = (5.0, 20.0)
    retry: int = 1
    delay: tuple[float, float] | None = None  # one-way message delays (default: the simulator's)
    user: str = "user1"

    def __post_init__(self):
        if self.dag not in DAGS:
            raise ValueError(f"unknown DAG {self.dag!r}; expected one of {', '.join(DAGS)}")
        if self.nodes < 3:
            raise ValueError("the model's roles need at least 3 machines (FTC, RDV, submitter)")
        if not 0 <= self.unfit <= self.nodes:
            raise ValueError(f"unfit must be in 0..{self.nodes}")

    @property
    def model_params(self) -> dict:
        return {"N": self.nodes, "DAG": DAGS[self.dag][0], "UNFIT": self.unfit,
                "WCRASH": sum(c.kind == "worker" for c in self.crashes),
                "RCRASH": sum(c.kind == "rdv" for c in self.crashes), "RETRY": self.retry}

    @property
    def name(self) -> str:
        """A file name for the trace, e.g. ``n3_diamond_u1_worker-busy_s4`` (:func:`parse_scenario` reads it)."""
        crashes = "_".join(str(c).replace(":", "-") for c in self.crashes) or "clean"
        extra = (f"_r{self.retry}" if self.retry != 1 else "") + ("_slow" if self.delay == SLOW else "")
        return f"n{self.nodes}_{self.dag}_u{self.unfit}{extra}_{crashes}_s{self.seed}"


def _model_order(n: int) -> list[int]:
    """The model's nodes in the order they own the application key: clockwise from 1 + N/2."""
    h = 1 + n // 2
    return [(h - 1 + i) % n + 1 for i in range(n)]


def plan_roles(nodes: int, seed: int, base: str, user: str = "user1", date: str = "2026-11-25T10:00:00",
               tries: int = 10_000) -> tuple[dict, dict[str, int]]:
    """The application's spec fields (``name``, ``user``, ``date``) and the Pastry id of each address
    ``n1..n<nodes>`` such that the roles follow the model's numbering (see the module docstring).

    >>> spec, ids = plan_roles(3, 1, "diamond")
    >>> spec["name"]
    'diamond-s1'
    >>> from protoverify.reference.pastry import closest
    >>> key = app_key(spec)
    >>> [a for a, i in ids.items() if i == closest(key, ids.values())], \
        [a for a, i in ids.items() if i == closest(ftc_key(key), ids.values())]
    (['n2'], ['n1'])
    """
    rng = random.Random(subseed(seed, f"pastrygrid-scenario-ids:{nodes}"))
    ids = [rng.getrandbits(128) for _ in range(nodes)]
    order = _model_order(nodes)
    for k in range(tries):
        spec = {"name": f"{base}-s{seed}" + (f"-{k}" if k else ""), "user": user, "date": date}
        key = app_key(spec)
        by_app = sorted(ids, key=lambda i: closeness(key, i))
        ftc_root = min(ids, key=lambda i: closeness(ftc_key(key), i))
        if by_app.index(ftc_root) != order.index(1):
            continue
        return spec, {f"n{order[pos]}": i for pos, i in enumerate(by_app)}
    raise RuntimeError(f"no application name fits the model's roles after {tries} tries")  # pragma: no cover


def run_scenario(sc: Scenario, sink: TextIO | None = None, *, config: PastryGridConfig | None = None,
                 recorder: TraceRecorder | None = None) -> dict:
    """Run ``sc``; write its trace to ``sink`` (or ``recorder``); the run's summary, plus ``model_params``,
    ``crashed`` (``[(time, address, kind)]``), ``name`` and ``converged`` (whether, when the application was
    submitted, every machine's leaf set held every other machine, as the model's routing assumes)."""
    base = dict(DAGS[sc.dag][1])
    spec_fields, ids = plan_roles(sc.nodes, sc.seed, sc.dag, user=sc.user)
    rng = random.Random(subseed(sc.seed, "pastrygrid-scenario"))
    lo, hi = sc.duration
    tasks = [{"id": t, "preds": ps, "duration": round(lo + (hi - lo) * rng.random(), 3)} for t, ps in base.items()]
    spec = {"app": 1, **spec_fields, "submit": 0.0, "reqs": dict(REQUIREMENTS), "tasks": tasks}
    duration = {t["id"]: t["duration"] for t in tasks}
    profiles = [{"host": f"n{i}", **(UNFIT_PROFILE if i <= sc.unfit else FIT)} for i in range(1, sc.nodes + 1)]
    cfg = config or PastryGridConfig(replicas=min(3, sc.nodes), search_retries=sc.retry)
    params = sc.model_params
    if cfg.search_retries != sc.retry:
        params["RETRY"] = cfg.search_retries
    rec = recorder if recorder is not None else TraceRecorder(sink, keep=False)
    crashed: list[tuple[float, str, str]] = []
    overlay = {"converged": None}
    span = critical_path(tasks)

    def setup(sim) -> None:
        state: dict[str, Any] = {"rdv": None, "ftc": None, "running": False, "dead": set()}
        pending = [c for c in sc.crashes]
        crng = random.Random(subseed(sc.seed, "pastrygrid-scenario-crashes"))

        def live(addr: str) -> bool:
            return addr not in state["dead"] and sim.is_up(addr)

        def target(kind: str, busy_with: str | None = None) -> str | None:
            if kind == "rdv":
                r = state["rdv"]
                ok = r is not None and live(r) and r != state["ftc"] and busy_with in (None, r)
                return r if ok else None
            cands = [a for a in (f"n{i}" for i in range(1, sc.nodes + 1))
                     if live(a) and a not in (state["rdv"], state["ftc"])]
            if busy_with is not None:
                return busy_with if busy_with in cands else None
            return crng.choice(cands) if cands else None

        def crash(c: Crash, addr: str | None, busy_with: str | None = None) -> None:
            if not state["running"]:
                return
            now = target(c.kind, busy_with)
            if now is None or (addr is not None and now != addr):
                return
            state["dead"].add(now)
            crashed.append((round(sim.now(), 6), now, str(c)))
            sim.crash(now)

        def listener(e: dict) -> None:
            kind = e["event"]
            if kind == "app_submitted":
                # The model's routing is a function: every machine must know every other one by now.
                others = {a: {sim.node(b).pastry.id for b in sim.addresses() if b != a} for a in sim.addresses()}
                overlay["converged"] = all(set(sim.node(a).pastry.leaf.members()) == others[a]
                                           for a in sim.addresses())
                if sc.delay is not None:  # slow messages from now on (the overlay was built with fast ones)
                    sim.set_defaults(delay=sc.delay)
            elif kind in ("rdv_created", "rdv_takeover"):
                state["rdv"] = e["node"]
            elif kind == "ftc_created":
                state["ftc"] = e["node"]
                state["running"] = True
                for c in [c for c in pending if not c.busy]:
                    pending.remove(c)
                    sim.call_later(round(span * crng.random(), 6), lambda c=c: crash(c, None))
            elif kind == "app_finished":
                state["running"] = False
            elif kind == "task_assigned" and state["running"]:
                for c in [c for c in pending if c.busy]:
                    addr = target(c.kind, e["worker"])
                    if addr is not None and crng.random() < 0.6:
                        pending.remove(c)
                        at = round(duration[e["task"]] * crng.random(), 6)
                        sim.call_later(at, lambda c=c, addr=addr: crash(c, addr, addr))
                        break
        rec.listeners.append(listener)

    summary = run_pastrygrid(sc.nodes, 1, sc.seed, "", recorder=rec, specs=[spec], config=cfg, setup=setup,
                             profiles=profiles, node_ids=ids, submitters={1: f"n{sc.nodes}"},
                             model_params=params)
    summary.update(model_params=params, crashed=crashed, name=sc.name, converged=overlay["converged"])
    return summary


def scenario_trace(sc: Scenario, **kw: Any) -> str:
    """The trace of ``sc`` as text (JSON Lines)."""
    import io
    out = io.StringIO()
    run_scenario(sc, out, **kw)
    return out.getvalue()


def parse_scenario(text: str, nodes: int | None = None, seed: int | None = None) -> Scenario:
    """A scenario from its name (:attr:`Scenario.name`), whole or without the ``n<N>_`` and ``_s<SEED>``
    parts (then ``nodes`` and ``seed`` give them); ``model`` alone is the model's defaults.

    >>> sc = parse_scenario("n4_join_u0_slow_worker-busy_rdv_s7")
    >>> sc.nodes, sc.dag, sc.unfit, [str(c) for c in sc.crashes], sc.delay == SLOW, sc.seed
    (4, 'join', 0, ['worker:busy', 'rdv'], True, 7)
    >>> sc.model_params
    {'N': 4, 'DAG': 3, 'UNFIT': 0, 'WCRASH': 1, 'RCRASH': 1, 'RETRY': 1}
    >>> parse_scenario("model", nodes=3, seed=2).name
    'n3_diamond_u1_clean_s2'
    """
    parts = [p for p in text.strip().split("_") if p]
    kw: dict[str, Any] = {}
    if parts == ["model"]:
        parts = []
    crashes: list[Crash] = []
    for part in parts:
        if part.startswith("n") and part[1:].isdigit():
            kw["nodes"] = int(part[1:])
        elif part.startswith("s") and part[1:].isdigit():
            kw["seed"] = int(part[1:])
        elif part.startswith("u") and part[1:].isdigit():
            kw["unfit"] = int(part[1:])
        elif part.startswith("r") and part[1:].isdigit():
            kw["retry"] = int(part[1:])
        elif part in DAGS:
            kw["dag"] = part
        elif part == "slow":
            kw["delay"] = SLOW
        elif part == "clean":
            pass
        else:
            kind, _, mode = part.partition("-")
            if kind not in CRASH_KINDS or mode not in ("", "busy"):
                raise ValueError(f"bad scenario part `{part}` in `{text}`: expected n<N>, a DAG "
                                 f"({', '.join(DAGS)}), u<UNFIT>, r<RETRY>, slow, clean, a crash (worker, "
                                 f"worker-busy, rdv, rdv-busy) or s<SEED>")
            crashes.append(Crash(kind, mode == "busy"))
    kw.setdefault("nodes", nodes if nodes is not None else 3)
    kw.setdefault("seed", seed if seed is not None else 1)
    return Scenario(crashes=tuple(crashes), **kw)


#: the committed traces (traces/pastrygrid/<name>.jsonl): small runs with and without faults, each seed picked
#: so that the fault it names really happens (a crash that hits, a re-issue, a takeover, a failed end)
COMMITTED: tuple[str, ...] = (
    "n3_diamond_u1_clean_s1",
    "n3_diamond_u1_clean_s2",
    "n3_chain_u1_clean_s1",
    "n3_join_u0_clean_s1",
    "n4_diamond_u1_clean_s1",
    "n3_diamond_u1_worker-busy_s1",
    "n3_diamond_u1_worker-busy_s2",
    "n3_diamond_u1_rdv_s1",
    "n3_diamond_u1_rdv-busy_s2",
    "n3_diamond_u1_worker-busy_rdv-busy_s1",
    "n3_diamond_u0_worker-busy_rdv_s1",
    "n4_diamond_u1_worker_rdv_s1",
    "n4_join_u0_rdv-busy_s1",
    "n4_chain_u1_worker-busy_s1",
    "n3_diamond_u1_slow_worker-busy_s1",
    "n3_chain_u1_r2_worker_rdv_s1",
)


def main(argv: list[str] | None = None) -> int:
    """``python -m protoverify.reference.pastrygrid_scenarios [--check] [DIR]``: (re)write the committed traces."""
    import argparse
    from pathlib import Path
    ap = argparse.ArgumentParser(description="Regenerate the committed PastryGrid traces (traces/pastrygrid/).")
    ap.add_argument("dir", nargs="?", default="traces/pastrygrid")
    ap.add_argument("--check", action="store_true",
                    help="compare with a fresh run instead of writing; exit 1 if one differs")
    args = ap.parse_args(argv)
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    differ = []
    for name in COMMITTED:
        text = scenario_trace(parse_scenario(name))
        target = out / f"{name}.jsonl"
        if args.check:
            if not target.exists() or target.read_text() != text:
                differ.append(name)
        else:
            target.write_text(text)
    if differ:
        print("differ from a fresh run: " + ", ".join(differ))
        return 1
    print(f"{len(COMMITTED)} traces {'checked' if args.check else 'written'} in {out}")
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main())
