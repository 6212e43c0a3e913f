"""PastryGrid: decentralised execution of task DAGs over Pastry (PROTOCOLS.md section 2).

One :class:`PastryGridNode` per machine, over a :class:`~.pastry.PastryNode`
(it is the Pastry node's application).  A machine can play every role at
once: submitter of its users' applications, RDV and FTC of applications
whose keys it owns, replica holder for keys it is close to, and worker (one
task at a time, P3).

Keys: an application id is ``hash_id(name, date, user)`` (128 bits of
SHA-256); its RDV is the root of that key, its FTC the root of
``hash_id(hex(id) + "FTC")``.  Nobody stores addresses of RDVs or FTCs:
every message to them is routed to the key, so after a root dies the next
closest node, which holds a replica, receives them.

Application spec (JSON)::

    {"app": 1, "name": "app-1", "user": "u3", "date": "2026-11-25T10:00:00",
     "reqs": {"ram": 512, "os": "linux", "cpu_mhz": 0},
     "tasks": [{"id": 1, "preds": [], "duration": 60.0}, {"id": 2, "preds": [1], "duration": 30.0}]}

``app`` (an int) and task ids (ints) are what traces record.

Messages (``m`` field; ``rid`` ties a reply to its request; every request is
re-sent on a time-out until answered, and every handler is idempotent):

======================  ===================================================
routed to the app key   ``init_rdv``, ``claim`` (a worker asks to run a task;
                        the RDV registers it, tells the FTC and serves the
                        inputs), ``get_inputs``, ``output``, ``shared_query``,
                        ``worker_dead`` (from the FTC), ``search_failed``
routed to the FTC key   ``init_ftc``, ``supervise``, ``unsupervise``, ``forget``
direct                  ``work_request`` / ``wr_ack`` (the walk over leaf sets),
                        ``work_reject``, ``fetch`` (an input from the
                        predecessor's worker), ``check`` (FTC -> worker
                        liveness), ``search_status``, ``replica`` /
                        ``replica_drop`` / ``handover``, ``reply``
======================  ===================================================

Decisions where the sources are silent **[design]**:

* A worker records ``task_assigned`` when the RDV has granted its claim (it
  then has its inputs coming and runs the task).  In the fixed protocol the
  RDV grants a task to one live worker at a time (an atomic per-task claim)
  and launches a shared task once (the per-task ``launched`` flag); with
  ``racy_shared_launch=True`` the RDV behaves as the public code did: it
  acknowledges every friend that asks once all outputs are present and
  serves inputs to anyone, so two friends finishing together both launch
  the shared task (P2 broken).
* A rejected search is retried after a back-off.  Only rejects from walks
  that met *no* node satisfying the requirements count toward the bound
  (``search_retries``) after which the application is reported failed
  (P7); walks that met capable but busy nodes retry without bound.
* The RDV watches for ready tasks that nobody claims for ``orphan_timeout``
  (their searcher died: a crashed worker or submitter, or the walk was lost
  with a crashed node) and, after asking the searcher, searches itself.
  This relaunch is silent in traces: it continues the same search (the
  model's Search token); ``task_reissued`` is only the FTC-reported death
  of a worker holding the task.
* k = ``replicas`` copies (root included) of the RDV state and of the FTC
  table, pushed on every change to the k closest nodes of the root's leaf
  set.  A replica holder that finds itself root takes over
  (``rdv_takeover``); a root that sees a closer node join hands the state
  over, and the new root also records ``rdv_takeover``.  FTC takeovers are
  silent (the trace vocabulary has no event for them).
* A task's FTC supervision ends by ``supervision_ended`` (output at the RDV)
  or by the RDV's ``task_reissued`` (worker dead).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .pastry import PastryConfig, PastryNode, from_hex, hash_id, to_hex
from .transport import TimerHandle, Transport

__all__ = [
    "PastryGridConfig",
    "PastryGridNode",
    "app_key",
    "ftc_key",
    "run_pastrygrid",
    "ROLES",
]

ROLES = ("idle", "worker", "submitter", "rdv", "ftc")


def app_key(spec: dict) -> int:
    """The application id: 128 bits of SHA-256 over name, submission date and user.

    >>> to_hex(app_key({"name": "blast", "date": "2026-01-01T00:00:00", "user": "alice"}))[:8]
    'ed40860d'
    """
    return hash_id(spec["name"], spec["date"], spec["user"])


def ftc_key(key: int) -> int:
    """The FTC's key: hash(id + "FTC")."""
    return hash_id(to_hex(key) + "FTC")


@dataclass(frozen=True)
class PastryGridConfig:
    """Protocol parameters (seconds of the transport's clock)."""

    pastry: PastryConfig = field(default_factory=lambda: PastryConfig(keepalive=30.0, hop_timeout=0.5))
    replicas: int = 3  # copies of the RDV state / FTC table, the root included
    ttl: int = 2  # leaf-set refills of a WorkRequest walk
    walk_timeout: float = 1.0  # a walk step not acknowledged: skip that candidate
    walk_lifetime: float = 60.0  # a walk neither rejected nor done by then was lost with a crashed node: forget it
    search_retries: int = 4  # rejects meeting no capable node before the app fails (P7)
    search_backoff: float = 10.0  # first back-off after a reject; doubles, capped at 8x
    request_timeout: float = 5.0  # routed requests: re-sent after this (doubling, capped)
    request_cap: float = 60.0
    check_period: float = 20.0  # FTC liveness checks of supervised workers
    check_timeout: float = 5.0
    check_retries: int = 3  # failed checks in a row before a worker is confirmed dead
    watchdog: float = 30.0  # RDV: period of the look-out for unclaimed ready tasks
    orphan_timeout: float = 120.0  # ... and how long a ready task may wait unclaimed (also: how long a
    #                                 copy may go without news from its root before it is routed to the key)
    refresh: float = 60.0  # roots push their copies again this often (news for the holders)
    racy_shared_launch: bool = False
    bugs: frozenset = frozenset()  # TEST ONLY: deliberate mistakes (see BUGS) for implementation mutation
    #                                testing; never set outside tests


#: The deliberate mistakes ``PastryGridConfig.bugs`` can switch on (tests/conform/test_implementation_bugs.py).
BUGS = {
    "shared_early": "the RDV lets a shared task be claimed once one predecessor finished, not all of them",
    "dead_as_finished": "the FTC takes a worker that stopped answering for one that finished: it ends the "
                        "supervision instead of reporting the worker dead",
    "eager_rdv_takeover": "a replica of the RDV state takes over after 10 s without news from the RDV, "
                          "without asking whether the RDV is alive",
    "forget_reissue": "the RDV re-issues a dead worker's task without recording it: it searches again "
                      "silently (no task_reissued)",
}


def _copy(st: dict) -> dict:
    return json.loads(json.dumps(st))


def _merge(kind: str, cur: Any, other: dict) -> bool:
    """Fold ``other`` (a copy of the same application's state, maybe from another lineage) into
    ``cur``: union of what either knows.  True if ``cur`` changed."""
    st = cur.st
    before = json.dumps(st, sort_keys=True)
    if kind == "rdv":
        for t, d in other["done"].items():
            st["done"].setdefault(t, d)
        for t, ws in other["dead"].items():
            mine = st["dead"].setdefault(t, [])
            mine.extend(w for w in ws if w not in mine)
        # Dead holders go first, so that a newer holder is not lost to an older, dead one; between two live
        # holders the newer copy wins.
        for t in list(st["assigned"]):
            if st["assigned"][t] in st["dead"].get(t, ()):
                del st["assigned"][t]
        newer = other["version"] > st["version"]
        for t, w in other["assigned"].items():
            if w not in st["dead"].get(t, ()) and (newer or t not in st["assigned"]):
                st["assigned"][t] = w
        for t, c in other["launched"].items():
            st["launched"].setdefault(t, c)
        for t, w in other["searcher"].items():
            st["searcher"].setdefault(t, w)
        if st["status"] == "running" and other["status"] != "running":
            st["status"] = other["status"]
    else:
        ended = st["ended"]
        ended.extend(p for p in other.get("ended", ()) if p not in ended)
        for pid, pair in other["pairs"].items():
            st["pairs"].setdefault(pid, pair)
        for pid in list(st["pairs"]):
            if pid in ended:
                del st["pairs"][pid]
    changed = json.dumps(st, sort_keys=True) != before
    st["version"] = max(st["version"], other["version"])
    return changed


class _Rdv:
    """An application's state at its RDV (and, as a copy, at its replicas).  ``st`` is the wire form."""

    def __init__(self, st: dict):
        self.st = st
        self.preds: dict[str, list[str]] = {}
        self.succs: dict[str, list[str]] = {}
        self.duration: dict[str, float] = {}
        for t in st["spec"]["tasks"]:
            tid = str(t["id"])
            self.preds[tid] = [str(p) for p in t["preds"]]
            self.duration[tid] = float(t["duration"])
            self.succs.setdefault(tid, [])
        for tid, ps in self.preds.items():
            for p in ps:
                self.succs[p].append(tid)
        self.waiting: dict[str, float] = {}  # ready, unclaimed, since (local clock)
        self.active = False
        self.heard = 0.0  # as a copy: when the active root last pushed it

    @classmethod
    def new(cls, spec: dict, submitter: str) -> _Rdv:
        key = app_key(spec)
        return cls({"app": spec["app"], "key": to_hex(key), "ftc": to_hex(ftc_key(key)), "spec": spec,
                    "submitter": submitter, "status": "running", "version": 0, "done": {}, "assigned": {},
                    "launched": {}, "dead": {}, "searcher": {}})

    def ready(self, t: str) -> bool:
        return all(p in self.st["done"] for p in self.preds[t])

    def inputs(self, t: str, skip: list[str] = ()) -> dict:
        done = self.st["done"]
        return {p: done[p]["data"] for p in self.preds[t] if p in done and p not in skip}


class _Ftc:
    def __init__(self, st: dict):
        self.st = st  # {"app", "key", "rdv", "version", "pairs": {"task@worker": {task, worker}}}
        self.fails: dict[str, int] = {}
        self.finished: dict[str, int] = {}
        self.pending: dict[str, bool] = {}
        self.reported: set[str] = set()
        self.active = False
        self.heard = 0.0


class PastryGridNode:
    """A PastryGrid machine.  ``profile``: ``{"cpu_mhz", "ram", "os"}`` (numbers may be strings).

    ``bootstraps``: addresses to join the overlay through (empty: found the
    ring); ``start_delay``: when to join.  ``submit(spec)`` submits an
    application from this machine.
    """

    def __init__(self, transport: Transport, profile: dict | None = None, *,
                 config: PastryGridConfig | None = None, bootstraps: list[str] = (),
                 start_delay: float = 0.0, node_id: int | None = None):
        self.t = transport
        self.address = transport.address
        self.cfg = config or PastryGridConfig()
        self.profile = {"cpu_mhz": 2000, "ram": 2048, "os": "linux", **(profile or {})}
        self.pastry = PastryNode(transport, node_id=node_id, config=self.cfg.pastry, app=self)
        self.rdv: dict[int, _Rdv] = {}  # app number -> state (active or replica)
        self.ftc: dict[int, _Ftc] = {}
        self.replica_of: dict[tuple[str, int], list[str]] = {}  # (kind, app) -> addresses we pushed to
        self.current: dict | None = None  # the one task this worker holds (P3)
        self.outputs: dict[tuple[int, str], str] = {}
        self.submitted: dict[int, dict] = {}
        self.searches: dict[str, dict] = {}
        self.forgotten: set[int] = set()  # applications whose FTC role ended here
        self.relaunched = 0  # tasks whose orphaned search this node, as RDV, took over
        self.crashed = False
        self._n = 0
        self._reqs: dict[str, dict] = {}
        self._walks: dict[str, tuple[dict, TimerHandle]] = {}
        self._roles_check: TimerHandle | None = None
        self._pushed: dict[tuple[str, int], float] = {}  # (kind, app) -> when its copies were last pushed
        self._tick_timer: TimerHandle | None = None
        boots = list(bootstraps)
        if start_delay > 0:
            transport.call_later(start_delay, lambda: self.pastry.start(boots))
        else:
            self.pastry.start(boots)

    # -- roles and helpers ---------------------------------------------------------------

    @property
    def role(self) -> str:
        """The most important role this machine plays now (for ``crash:P:on:ROLE``)."""
        if any(r.active for r in self.rdv.values()):
            return "rdv"
        if any(f.active for f in self.ftc.values()):
            return "ftc"
        if self.current is not None:
            return "worker"
        if self.submitted:
            return "submitter"
        return "idle"

    def event(self, name: str, **fields: Any) -> None:
        self.t.recorder.event(self.address, name, **fields)

    def on_crash(self) -> None:
        self.crashed = True
        self.event("worker_crashed")

    def _id(self) -> str:
        self._n += 1
        return f"{self.pastry.hex[:10]}.{self._n}"

    def _meets(self, reqs: dict) -> bool:
        p = self.profile
        if int(p.get("cpu_mhz", 0)) < int(reqs.get("cpu_mhz", 0)):
            return False
        if int(p.get("ram", 0)) < int(reqs.get("ram", 0)):
            return False
        return not reqs.get("os") or reqs["os"] == p.get("os")

    # -- requests with replies -------------------------------------------------------------

    def _request(self, body: dict, on_reply: Callable[[dict], None], *, key: int | None = None,
                 dest: str | None = None, tries: int | None = None, timeout: float | None = None,
                 on_give_up: Callable[[], None] | None = None) -> str:
        """Send ``body`` (routed to ``key``, or direct to ``dest``) until a reply comes or ``tries`` run out."""
        rid = self._id()
        body = {**body, "rid": rid, "reply_to": self.address}
        self._reqs[rid] = {"body": body, "key": key, "dest": dest, "cb": on_reply, "left": tries, "n": 0,
                           "timeout": timeout or self.cfg.request_timeout, "give_up": on_give_up, "timer": None}
        self._send_request(rid)
        return rid

    def _send_request(self, rid: str) -> None:
        r = self._reqs.get(rid)
        if r is None:
            return
        if r["key"] is not None:
            self.pastry.route(r["key"], r["body"])
        else:
            self.pastry.send(r["dest"], r["body"])
        delay = min(r["timeout"] * (2 ** r["n"]), max(self.cfg.request_cap, r["timeout"]))
        r["n"] += 1
        r["timer"] = self.t.call_later(delay, lambda: self._request_timeout(rid))

    def _request_timeout(self, rid: str) -> None:
        r = self._reqs.get(rid)
        if r is None:
            return
        if r["left"] is not None:
            r["left"] -= 1
            if r["left"] <= 0:
                del self._reqs[rid]
                if r["give_up"]:
                    r["give_up"]()
                return
        self._send_request(rid)

    def _cancel_request(self, rid: str) -> None:
        r = self._reqs.pop(rid, None)
        if r and r["timer"]:
            r["timer"].cancel()

    def _reply(self, m: dict, **fields: Any) -> None:
        self.pastry.send(m["reply_to"], {"m": "reply", "rid": m["rid"], **fields})

    # -- Pastry upcalls ----------------------------------------------------------------------

    def deliver(self, key: int, body: dict, hops: int) -> None:
        handler = _ROUTED.get(body.get("m"))
        if handler is not None:
            handler(self, key, body)

    def receive(self, sender: str, body: dict) -> None:
        m = body.get("m")
        if m == "reply":
            r = self._reqs.pop(body["rid"], None)
            if r is not None:
                if r["timer"]:
                    r["timer"].cancel()
                r["cb"](body)
            return
        handler = _DIRECT.get(m)
        if handler is not None:
            handler(self, sender, body)

    def joined(self) -> None:
        if self._tick_timer is None:
            self._tick_timer = self.t.call_later(self.cfg.watchdog * self.t.random.random(), self._tick)

    def leafset_changed(self) -> None:
        if self._roles_check is None:
            self._roles_check = self.t.call_later(0.0, self._check_roles)

    # -- submitter -----------------------------------------------------------------------------

    def submit(self, spec: dict) -> None:
        """A user submits ``spec`` here: InitRDV, InitFTC, then a search for the entry tasks."""
        app = spec["app"]
        key = app_key(spec)
        self.submitted[app] = spec
        self.event("app_submitted", app=app)

        def rdv_ready(reply: dict) -> None:
            self._request({"m": "init_ftc", "app": app, "rdv": to_hex(key)}, lambda r: ftc_ready(r),
                          key=ftc_key(key))

        def ftc_ready(reply: dict) -> None:
            entries = [str(t["id"]) for t in spec["tasks"] if not t["preds"]]
            self._search(app, key, [[t, None] for t in entries], spec.get("reqs", {}))
            self.submitted.pop(app, None)  # the RDV holds the application now

        self._request({"m": "init_rdv", "app": app, "spec": spec}, rdv_ready, key=key)

    # -- searching a worker: the WorkRequest walk ------------------------------------------------

    def _search(self, app: int, key: int, tasks: list, reqs: dict, tries: int = 0, rounds: int = 0) -> None:
        """Start a WorkRequest walk for ``tasks`` (``[task, source address or None]``) from our leaf set."""
        cands = [a for _, a in self.pastry.replica_set(self.pastry.id, self.cfg.pastry.leaf_size + 1)
                 if a != self.address]
        capable = 0
        if self._meets(reqs):
            # The searcher is a candidate too, the first one: if it is idle it takes the first task itself.
            # (Without this, the last capable node alive could never get a task it searches for itself --
            # the RDV re-issuing, a worker launching a successor -- and the application would be reported
            # failed with a capable node alive, against P7.)
            capable = 1
            if self.current is None and tasks and not self.crashed:
                (task, source), tasks = tasks[0], tasks[1:]
                self._take(app, key, task, source, reqs)
        if not tasks:
            return
        sid = self._id()
        self.searches[sid] = {"app": app, "key": to_hex(key), "tasks": tasks, "reqs": reqs, "tries": tries,
                              "rounds": rounds}
        # A walk ends in a reject, or its tasks were taken; one that a crashed node was carrying just stops.
        # Forget it after a while, so that the RDV's question "still searching?" gets a no and the RDV
        # searches itself (a task taken meanwhile is not searched again: the RDV knows its holder).
        self.t.call_later(self.cfg.walk_lifetime, lambda: self.searches.pop(sid, None))
        msg = {"m": "work_request", "sid": sid, "app": app, "key": to_hex(key), "tasks": tasks, "reqs": reqs,
               "candidates": cands, "visited": [self.address], "ttl": self.cfg.ttl, "origin": self.address,
               "capable": capable}
        self._walk_on(msg)

    def searching(self, app: int, task: str) -> bool:
        return any(s["app"] == app and any(t == task for t, _ in s["tasks"]) for s in self.searches.values())

    def _walk_on(self, msg: dict) -> None:
        """Pass the request to the next candidate not visited; refill or reject when they run out."""
        cands = list(msg["candidates"])
        visited = msg["visited"]
        while True:
            while cands and (cands[0] in visited or cands[0] == self.address):
                cands.pop(0)
            if cands:
                break
            if msg["ttl"] <= 0:
                self.pastry.send(msg["origin"], {"m": "work_reject", "sid": msg["sid"], "app": msg["app"],
                                                 "tasks": msg["tasks"], "capable": msg["capable"]})
                return
            fresh = [a for _, a in self.pastry.replica_set(self.pastry.id, self.cfg.pastry.leaf_size + 1)
                     if a not in visited and a != self.address]
            msg = {**msg, "ttl": msg["ttl"] - 1}
            cands = fresh
            if not fresh:
                continue
        nxt = cands.pop(0)
        out = {**msg, "candidates": cands, "visited": [*visited, nxt], "wid": self._id()}
        timer = self.t.call_later(self.cfg.walk_timeout, lambda: self._walk_timeout(out["wid"]))
        self._walks[out["wid"]] = (out, timer)
        self.pastry.send(nxt, out)

    def _walk_timeout(self, wid: str) -> None:
        entry = self._walks.pop(wid, None)
        if entry is not None:  # that candidate is down: skip it
            self._walk_on(entry[0])

    def _on_work_request(self, sender: str, m: dict) -> None:
        self.pastry.send(sender, {"m": "wr_ack", "wid": m["wid"]})
        tasks = m["tasks"]
        capable = m["capable"]
        if self._meets(m["reqs"]):
            capable += 1
            if self.current is None and tasks:
                (task, source), tasks = tasks[0], tasks[1:]
                self._take(m["app"], from_hex(m["key"]), task, source, m["reqs"])
        if tasks:
            self._walk_on({**m, "tasks": tasks, "capable": capable})

    def _on_wr_ack(self, sender: str, m: dict) -> None:
        entry = self._walks.pop(m["wid"], None)
        if entry is not None:
            entry[1].cancel()

    def _on_work_reject(self, sender: str, m: dict) -> None:
        s = self.searches.pop(m["sid"], None)
        if s is None:
            return
        key = from_hex(s["key"])
        tries = s["tries"] + (1 if m["capable"] == 0 else 0)
        if tries > self.cfg.search_retries:
            for task, _ in m["tasks"]:
                self._request({"m": "search_failed", "app": s["app"], "task": task}, lambda r: None, key=key,
                              tries=10)
            return
        rounds = s["rounds"] + 1
        delay = self.cfg.search_backoff * min(2 ** (rounds - 1), 8) * (1 + 0.5 * self.t.random.random())
        # Still a search while it waits, so that the RDV's question "still searching?" gets a yes.
        sid = self._id()
        self.searches[sid] = {**s, "tasks": m["tasks"], "tries": tries, "rounds": rounds}

        def again() -> None:
            w = self.searches.pop(sid, None)
            if w is not None:
                self._search(w["app"], key, w["tasks"], w["reqs"], w["tries"], w["rounds"])
        self.t.call_later(delay, again)

    def _on_search_status(self, sender: str, m: dict) -> None:
        self._reply(m, searching=[t for t in m["tasks"] if self.searching(m["app"], t)])

    # -- worker ----------------------------------------------------------------------------------

    def _take(self, app: int, key: int, task: str, source: str | None, reqs: dict) -> None:
        """Reserve ourselves for ``task`` and claim it at the RDV, which serves the inputs."""
        cur = {"app": app, "key": to_hex(key), "task": task, "phase": "claiming", "source": source,
               "inputs": None, "missing": [], "timer": None}
        self.current = cur
        direct = source is not None and source != self.address

        def granted(r: dict) -> None:
            if self.current is not cur:
                return
            if not r["ok"]:
                self.current = None
                return
            cur["phase"] = "running"
            cur["inputs"] = dict(r["inputs"])
            cur["duration"] = r["duration"]
            cur["missing"] = list(r.get("missing", []))
            self.event("task_assigned", app=app, task=int(task), worker=self.address)
            self._fetch_inputs(cur)

        def give_up() -> None:
            if self.current is cur:
                self.current = None
        self._request({"m": "claim", "app": app, "task": task, "worker": self.address, "direct": direct},
                      granted, key=key, tries=8, on_give_up=give_up)

    def _fetch_inputs(self, cur: dict) -> None:
        """Inputs the RDV left out come from the predecessor's worker directly, else from the RDV."""
        if not cur["missing"]:
            self._run(cur)
            return
        missing = list(cur["missing"])

        def got(r: dict) -> None:
            if self.current is not cur:
                return
            if r.get("data") is None:
                from_rdv()
                return
            cur["inputs"].update(r["data"])
            self._run(cur)

        def from_rdv() -> None:
            if self.current is not cur:
                return

            def served(r: dict) -> None:
                if self.current is cur:
                    cur["inputs"].update(r["inputs"])
                    self._run(cur)
            self._request({"m": "get_inputs", "app": cur["app"], "task": cur["task"]}, served,
                          key=from_hex(cur["key"]), tries=8, on_give_up=lambda: self._drop(cur))
        self._request({"m": "fetch", "app": cur["app"], "tasks": missing}, got, dest=cur["source"], tries=1,
                      timeout=self.cfg.check_timeout, on_give_up=from_rdv)

    def _drop(self, cur: dict) -> None:
        if self.current is cur:
            self.current = None

    def _run(self, cur: dict) -> None:
        if cur.get("timer") is None:
            cur["timer"] = self.t.call_later(cur["duration"], lambda: self._finish(cur))

    def _finish(self, cur: dict) -> None:
        if self.current is not cur:
            return
        app, task, key = cur["app"], cur["task"], from_hex(cur["key"])
        data = f"out:{app}:{task}@{self.address}"
        self.outputs[(app, task)] = data
        self.event("task_finished", app=app, task=int(task), worker=self.address)
        self.current = None
        self._request({"m": "output", "app": app, "task": task, "worker": self.address, "data": data},
                      lambda r: self._successors(app, key, task, r), key=key)

    def _successors(self, app: int, key: int, task: str, r: dict) -> None:
        """The output is at the RDV: search nodes for isolated successors, ask the RDV for shared ones."""
        isolated = [[s, self.address] for s in r.get("isolated", [])]
        if isolated:
            self._search(app, key, isolated, r.get("reqs", {}))
        for s in r.get("shared", []):
            def answer(rr: dict, s: str = s) -> None:
                if rr.get("go"):
                    self._search(app, key, [[s, None]], r.get("reqs", {}))
            self._request({"m": "shared_query", "app": app, "task": s, "pred": task, "worker": self.address},
                          answer, key=key, tries=8)

    def _on_fetch(self, sender: str, m: dict) -> None:
        data = {t: self.outputs[(m["app"], t)] for t in m["tasks"] if (m["app"], t) in self.outputs}
        self._reply(m, data=data if len(data) == len(m["tasks"]) else None)

    def _on_check(self, sender: str, m: dict) -> None:
        cur = self.current
        if cur is not None and cur["app"] == m["app"] and cur["task"] == m["task"]:
            state = "running"
        elif (m["app"], m["task"]) in self.outputs:
            state = "finished"
        else:
            state = "unknown"
        self._reply(m, state=state)

    # -- RDV ---------------------------------------------------------------------------------------

    def _rdv_for(self, m: dict) -> _Rdv | None:
        r = self.rdv.get(m["app"])
        if r is None:
            return None
        if not r.active and r.st["status"] == "running":
            # A replica that receives a message for its key is root now (else Pastry had passed it on).
            self._activate("rdv", r)
        return r

    def _on_init_rdv(self, key: int, m: dict) -> None:
        r = self.rdv.get(m["app"])
        if r is None:
            r = _Rdv.new(m["spec"], m["reply_to"])
            self.rdv[m["app"]] = r
            r.active = True
            self.event("rdv_created", app=m["app"])
            self._rdv_changed(r)
        elif not r.active and r.st["status"] == "running":
            self._activate("rdv", r)
        self._reply(m)

    def _rdv_changed(self, r: _Rdv) -> None:
        r.st["version"] += 1
        self._replicate("rdv", r.st["app"], from_hex(r.st["key"]), r.st)

    def _on_claim(self, key: int, m: dict) -> None:
        r = self._rdv_for(m)
        if r is None:
            return  # not (yet) ours: the worker asks again
        st, task, worker = r.st, m["task"], m["worker"]
        racy = self.cfg.racy_shared_launch
        ok = st["status"] == "running" and task in r.preds and r.ready(task)
        if ok and not racy:
            holder = st["assigned"].get(task)
            if task in st["done"] or (holder is not None and holder != worker):
                ok = False
        if not ok:
            self._reply(m, ok=False)
            return
        if st["assigned"].get(task) != worker:
            st["assigned"][task] = worker
            r.waiting.pop(task, None)
            self._request({"m": "supervise", "app": st["app"], "task": task, "worker": worker, "rdv": st["key"]},
                          lambda rr: None, key=from_hex(st["ftc"]))
            self._rdv_changed(r)
        # An isolated task's worker fetches its one input from the predecessor's worker itself.
        skip = r.preds[task] if m.get("direct") and len(r.preds[task]) == 1 else []
        self._reply(m, ok=True, inputs=r.inputs(task, skip), missing=skip, duration=r.duration[task])

    def _on_get_inputs(self, key: int, m: dict) -> None:
        r = self._rdv_for(m)
        if r is not None:
            self._reply(m, inputs=r.inputs(m["task"]))

    def _on_output(self, key: int, m: dict) -> None:
        r = self._rdv_for(m)
        if r is None:
            return
        st, task = r.st, m["task"]
        new = task not in st["done"]
        if new:
            st["done"][task] = {"worker": m["worker"], "data": m["data"]}
            for s in r.succs[task]:
                if r.ready(s) and s not in st["assigned"]:
                    r.waiting.setdefault(s, self.t.now())
        # Supervision ends for this worker (also after a duplicate: the FTC may still hold the pair).
        self._request({"m": "unsupervise", "app": st["app"], "task": task, "worker": m["worker"]}, lambda rr: None,
                      key=from_hex(st["ftc"]))
        if new:
            if st["status"] == "running" and len(st["done"]) == len(r.preds):
                self._end(r, "done")
            self._rdv_changed(r)
        # Which successors the worker should look after (only the first time: a duplicate output's
        # worker has nothing to launch; the orphan look-out covers a lost first reply).
        fresh = new or self.cfg.racy_shared_launch
        isolated = [s for s in r.succs[task] if len(r.preds[s]) == 1] if fresh else []
        shared = [s for s in r.succs[task] if len(r.preds[s]) > 1] if fresh else []
        for s in isolated:
            st["searcher"][s] = m["worker"]
        self._reply(m, isolated=isolated if st["status"] == "running" else [],
                    shared=shared if st["status"] == "running" else [], reqs=st["spec"].get("reqs", {}))

    def _on_shared_query(self, key: int, m: dict) -> None:
        r = self._rdv_for(m)
        if r is None:
            return
        st, task = r.st, m["task"]
        claimant = f"{m['worker']}/{m['pred']}"
        ready = r.ready(task) or ("shared_early" in self.cfg.bugs and any(p in st["done"] for p in r.preds[task]))
        go = st["status"] == "running" and ready and task not in st["done"]
        if go and self.cfg.racy_shared_launch:
            # As coded: "are all predecessors' outputs there?" -- a question, not a claim.
            self.event("shared_claimed", app=st["app"], task=int(task))
            st["searcher"][task] = m["worker"]
        elif go:
            holder = st["launched"].get(task)
            if holder is None:
                st["launched"][task] = claimant
                st["searcher"][task] = m["worker"]
                self.event("shared_claimed", app=st["app"], task=int(task))
                self._rdv_changed(r)
            elif holder != claimant:
                go = False
        self._reply(m, go=go)

    def _on_worker_dead(self, key: int, m: dict) -> None:
        r = self._rdv_for(m)
        if r is None:
            return
        st, task, worker = r.st, m["task"], m["worker"]
        reissue = st["status"] == "running" and task not in st["done"] and st["assigned"].get(task) == worker
        if reissue:
            del st["assigned"][task]
            st["dead"].setdefault(task, []).append(worker)
            if "forget_reissue" not in self.cfg.bugs:
                self.event("task_reissued", app=st["app"], task=int(task), worker=worker)
            self._rdv_changed(r)
            st["searcher"][task] = self.address
            self._search(st["app"], from_hex(st["key"]), [[task, None]], st["spec"].get("reqs", {}))
        self._reply(m, reissued=reissue)

    def _on_search_failed(self, key: int, m: dict) -> None:
        r = self._rdv_for(m)
        if r is None:
            return
        if r.st["status"] == "running" and m["task"] not in r.st["done"] and m["task"] not in r.st["assigned"]:
            self._end(r, "failed")
            self._rdv_changed(r)
        self._reply(m)

    def _end(self, r: _Rdv, status: str) -> None:
        st = r.st
        st["status"] = status
        r.waiting.clear()
        # Requests to the FTC still under way for this application are moot: ``forget`` ends every pair
        # (and a late ``supervise`` must not bring the application back at a new FTC root).
        for rid, req in list(self._reqs.items()):
            if req["body"].get("app") == st["app"] and req["body"]["m"] in ("supervise", "unsupervise", "ftc_sync"):
                self._cancel_request(rid)
        self.event("app_finished", app=st["app"], status=status)
        self._request({"m": "forget", "app": st["app"]}, lambda rr: None, key=from_hex(st["ftc"]), tries=20)

    def _rdv_watch(self, r: _Rdv) -> None:
        """Ready tasks nobody claimed for ``orphan_timeout``: ask their searcher (one question per searcher);
        those it is not searching any more (or all, if it does not answer) are searched by the RDV itself."""
        st = r.st
        if st["status"] != "running":
            return
        now = self.t.now()
        by_searcher: dict[str, list[str]] = {}
        for task in r.preds:
            if task in st["done"] or task in st["assigned"] or not r.ready(task):
                r.waiting.pop(task, None)
                continue
            since = r.waiting.setdefault(task, now)
            if now - since < self.cfg.orphan_timeout:
                continue
            r.waiting[task] = now
            searcher = st["searcher"].get(task)
            if searcher is None:  # entry tasks: the submitter; others: the last predecessor's worker
                searcher = st["submitter"] if not r.preds[task] else st["done"][r.preds[task][-1]]["worker"]
            by_searcher.setdefault(searcher, []).append(task)
        for searcher, tasks in by_searcher.items():
            if searcher == self.address:
                self._relaunch(r, [t for t in tasks if not self.searching(st["app"], t)], searcher)
                continue

            def status(reply: dict, tasks: list[str] = tasks, searcher: str = searcher) -> None:
                still = reply.get("searching", [])
                self._relaunch(r, [t for t in tasks if t not in still], searcher)
            self._request({"m": "search_status", "app": st["app"], "tasks": tasks}, status, dest=searcher, tries=2,
                          timeout=self.cfg.check_timeout,
                          on_give_up=lambda tasks=tasks, searcher=searcher: self._relaunch(r, tasks, searcher))

    def _relaunch(self, r: _Rdv, tasks: list[str], searcher: str) -> None:
        """The RDV searches workers for ``tasks`` itself (their searcher is gone or gave them up)."""
        st = r.st
        if not r.active or st["status"] != "running":
            return
        tasks = [t for t in tasks if t not in st["done"] and t not in st["assigned"]]
        if not tasks:
            return
        for task in tasks:
            if len(r.preds[task]) > 1 and not self.cfg.racy_shared_launch and task not in st["launched"]:
                # Nobody asked (the last friend's worker died before its question): the RDV claims it.
                st["launched"][task] = f"{self.address}/rdv"
                self.event("shared_claimed", app=st["app"], task=int(task))
            st["searcher"][task] = self.address
        self.relaunched += len(tasks)  # silent: the same search, carried on by the RDV (no trace event)
        self._rdv_changed(r)
        self._search(st["app"], from_hex(st["key"]), [[t, None] for t in tasks], st["spec"].get("reqs", {}))

    def _activate_rdv(self, r: _Rdv) -> None:
        """Become the application's RDV from a copy of its state (the old root died, or handed over).

        Requests the old root had under way to the FTC died with it: one ``ftc_sync`` tells the FTC
        which pairs to supervise and which are done.  A finished application is taken over silently
        (only to repeat ``forget`` to the FTC)."""
        r.active = True
        r.waiting = {}
        st = r.st
        if st["status"] != "running":
            self._request({"m": "forget", "app": st["app"]}, lambda rr: None, key=from_hex(st["ftc"]), tries=20)
            return
        self.event("rdv_takeover", app=st["app"])
        self._rdv_changed(r)
        self._request({"m": "ftc_sync", "app": st["app"], "rdv": st["key"], "assigned": dict(st["assigned"]),
                       "done": {t: d["worker"] for t, d in st["done"].items()}}, lambda rr: None,
                      key=from_hex(st["ftc"]))

    # -- FTC -----------------------------------------------------------------------------------------

    def _ftc_for(self, m: dict, create: bool = False) -> _Ftc | None:
        f = self.ftc.get(m["app"])
        if f is None:
            if not create or m["app"] in self.forgotten:
                return None
            f = _Ftc({"app": m["app"], "key": to_hex(ftc_key(from_hex(m["rdv"]))), "rdv": m["rdv"], "version": 0,
                      "pairs": {}, "ended": []})
            f.active = True
            self.ftc[m["app"]] = f
            self.event("ftc_created", app=m["app"])
            self._ftc_changed(f)
        elif not f.active:
            self._activate("ftc", f)
        return f

    def _ftc_changed(self, f: _Ftc) -> None:
        f.st["version"] += 1
        self._replicate("ftc", f.st["app"], from_hex(f.st["key"]), f.st)

    def _on_init_ftc(self, key: int, m: dict) -> None:
        self._ftc_for(m, create=True)
        self._reply(m)

    def _on_supervise(self, key: int, m: dict) -> None:
        f = self._ftc_for(m, create=True)
        pid = f"{m['task']}@{m['worker']}"
        if f is not None and pid not in f.st["pairs"] and pid not in f.st["ended"]:
            f.st["pairs"][pid] = {"task": m["task"], "worker": m["worker"]}
            self.event("supervision_started", app=m["app"], task=int(m["task"]), worker=m["worker"])
            self._ftc_changed(f)
        self._reply(m)

    def _on_unsupervise(self, key: int, m: dict) -> None:
        f = self._ftc_for(m)
        if f is not None:
            self._end_pair(f, f"{m['task']}@{m['worker']}")
        self._reply(m)

    def _on_ftc_sync(self, key: int, m: dict) -> None:
        """A new RDV's view: supervise every assigned task not done, end pairs of tasks done."""
        f = self._ftc_for(m, create=True)
        if f is not None:
            for pid, pair in list(f.st["pairs"].items()):
                if pair["task"] in m["done"]:
                    self._end_pair(f, pid)
            for task, worker in m["assigned"].items():
                pid = f"{task}@{worker}"
                if task not in m["done"] and pid not in f.st["pairs"] and pid not in f.st["ended"]:
                    f.st["pairs"][pid] = {"task": task, "worker": worker}
                    self.event("supervision_started", app=m["app"], task=int(task), worker=worker)
                    self._ftc_changed(f)
        self._reply(m)

    def _end_pair(self, f: _Ftc, pid: str) -> None:
        pair = f.st["pairs"].pop(pid, None)
        if pid not in f.st["ended"]:
            f.st["ended"].append(pid)
        if pair is not None:
            f.fails.pop(pid, None)
            f.reported.discard(pid)
            self.event("supervision_ended", app=f.st["app"], task=int(pair["task"]), worker=pair["worker"])
            self._ftc_changed(f)

    def _on_forget(self, key: int, m: dict) -> None:
        f = self._ftc_for(m)
        if f is not None:
            for pid in list(f.st["pairs"]):
                self._end_pair(f, pid)
            f.active = False
            self._drop_replicas("ftc", f.st["app"])
            del self.ftc[m["app"]]
        self.forgotten.add(m["app"])
        self._reply(m)

    def _ftc_check(self, f: _Ftc) -> None:
        """Ask each supervised worker about its task; report it dead after ``check_retries`` failures."""
        app = f.st["app"]
        for pid, pair in list(f.st["pairs"].items()):
            if pid in f.reported or f.pending.get(pid):
                continue
            f.pending[pid] = True

            def answer(r: dict, pid: str = pid) -> None:
                f.pending[pid] = False
                if r.get("state") == "unknown":
                    failed(pid, confirmed=True)
                elif r.get("state") == "finished":
                    # The output is on its way to the RDV (the worker re-sends it until acknowledged);
                    # normally ``unsupervise`` ends the pair first.  If it was lost, end it here.
                    f.fails[pid] = 0
                    f.finished[pid] = f.finished.get(pid, 0) + 1
                    if f.finished[pid] >= self.cfg.check_retries and pid in f.st["pairs"]:
                        self._end_pair(f, pid)
                else:
                    f.fails[pid] = 0

            def failed(pid: str = pid, confirmed: bool = False) -> None:
                f.pending[pid] = False
                if pid not in f.st["pairs"] or pid in f.reported:
                    return
                f.fails[pid] = f.fails.get(pid, 0) + 1
                if confirmed or f.fails[pid] >= self.cfg.check_retries:
                    self._report_dead(f, pid)
            self._request({"m": "check", "app": app, "task": pair["task"]}, answer, dest=pair["worker"], tries=1,
                          timeout=self.cfg.check_timeout, on_give_up=failed)

    def _report_dead(self, f: _Ftc, pid: str) -> None:
        if "dead_as_finished" in self.cfg.bugs:
            self._end_pair(f, pid)
            return
        f.reported.add(pid)
        pair = f.st["pairs"][pid]

        def done(r: dict) -> None:
            if pid not in f.st["pairs"]:
                return
            if r.get("reissued"):
                f.st["pairs"].pop(pid)
                f.st["ended"].append(pid)
                f.reported.discard(pid)
                self._ftc_changed(f)
            else:
                self._end_pair(f, pid)
        self._request({"m": "worker_dead", "app": f.st["app"], "task": pair["task"], "worker": pair["worker"]},
                      done, key=from_hex(f.st["rdv"]))

    # -- replication, takeover, handover -------------------------------------------------------------

    def _replicate(self, kind: str, app: int, key: int, st: dict) -> None:
        """Push the state to the k - 1 other nodes closest to the key; drop it where no longer needed."""
        targets = [a for _, a in self.pastry.replica_set(key, self.cfg.replicas) if a != self.address]
        old = self.replica_of.get((kind, app), [])
        for a in old:
            if a not in targets:
                self.pastry.send(a, {"m": "replica_drop", "kind": kind, "app": app})
        if targets:
            copy = _copy(st)  # a replica must not share the dict with its root (the sim passes references)
            for a in targets:
                self.pastry.send(a, {"m": "replica", "kind": kind, "app": app, "state": copy})
        self.replica_of[(kind, app)] = targets
        self._pushed[(kind, app)] = self.t.now()

    def _drop_replicas(self, kind: str, app: int) -> None:
        for a in self.replica_of.pop((kind, app), []):
            self.pastry.send(a, {"m": "replica_drop", "kind": kind, "app": app})

    def _on_replica(self, sender: str, m: dict) -> None:
        kind, app, st = m["kind"], m["app"], m["state"]
        table = self.rdv if kind == "rdv" else self.ftc
        cur = table.get(app)
        if cur is None:
            cur = table[app] = _Rdv(st) if kind == "rdv" else _Ftc(st)
        elif cur.active:
            # Another node acts for this key too: keep the union of what both did; the one that is not
            # root hands over at its next role check.
            if _merge(kind, cur, st):
                self._changed(kind, cur)
        elif st["version"] > cur.st["version"]:
            _merge(kind, cur, st)
        cur.heard = self.t.now()
        self.leafset_changed()  # the sender may be gone already: check whether we are root

    def _on_replica_drop(self, sender: str, m: dict) -> None:
        table = self.rdv if m["kind"] == "rdv" else self.ftc
        cur = table.get(m["app"])
        if cur is not None and not cur.active:
            del table[m["app"]]

    def _on_handover(self, key: int, m: dict) -> None:
        """A copy routed to the key (by a root that found it is not root any more, or by a copy holder
        that heard nothing from any root for a while): we are the root by our view.  Merge, act."""
        kind, app, st = m["kind"], m["app"], m["state"]
        table = self.rdv if kind == "rdv" else self.ftc
        cur = table.get(app)
        if cur is None and kind == "ftc":
            if app in self.forgotten:
                self.pastry.send(m["from"], {"m": "replica_drop", "kind": kind, "app": app})
                return
            # No FTC here: only carry on if the application still runs (a stale copy of a forgotten FTC
            # must not bring it back).
            def status(r: dict) -> None:
                if r.get("status") in (None, "running") and app not in self.ftc and app not in self.forgotten:
                    self.ftc[app] = _Ftc(st)
                    self._activate(kind, self.ftc[app])
                elif r.get("status") not in (None, "running"):
                    self.forgotten.add(app)
                    self.pastry.send(m["from"], {"m": "replica_drop", "kind": kind, "app": app})
            self._request({"m": "app_status", "app": app}, status, key=from_hex(st["rdv"]), tries=3,
                          on_give_up=lambda: status({}))
            return
        if cur is None:
            cur = table[app] = _Rdv(st)
        else:
            _merge(kind, cur, st)
        if cur.active:
            self._changed(kind, cur)
        else:
            self._activate(kind, cur)
        if m.get("from") and m["from"] not in self.replica_of.get((kind, app), []) and m["from"] != self.address:
            self.pastry.send(m["from"], {"m": "replica_drop", "kind": kind, "app": app})

    def _on_app_status(self, key: int, m: dict) -> None:
        r = self._rdv_for(m)
        self._reply(m, status=r.st["status"] if r is not None else None)

    def _on_state_req(self, sender: str, m: dict) -> None:
        table = self.rdv if m["kind"] == "rdv" else self.ftc
        cur = table.get(m["app"])
        self._reply(m, state=_copy(cur.st) if cur is not None else None)

    def _changed(self, kind: str, r: Any) -> None:
        if kind == "rdv":
            self._rdv_changed(r)
        else:
            self._ftc_changed(r)

    def _activate(self, kind: str, r: Any) -> None:
        """Act for the key from our copy, merged with the copies of the nodes around it (ours may be
        stale: we may have stopped receiving updates when we were not among the closest)."""
        if kind == "rdv":
            self._activate_rdv(r)
        else:
            r.active = True
            r.fails, r.finished, r.pending, r.reported = {}, {}, {}, set()
            self._ftc_changed(r)
        key = from_hex(r.st["key"])
        for _, a in self.pastry.replica_set(key, self.cfg.replicas + 2):
            if a != self.address:
                def merge(rep: dict, r: Any = r) -> None:
                    if rep.get("state") and r.active and _merge(kind, r, rep["state"]):
                        self._changed(kind, r)
                self._request({"m": "state_req", "kind": kind, "app": r.st["app"]}, merge, dest=a, tries=1,
                              timeout=self.cfg.check_timeout)

    def _check_roles(self) -> None:
        """After a leaf-set change, and on every tick: take over keys we own, hand over keys we do not."""
        self._roles_check = None
        if self.crashed or not self.pastry.joined:
            return
        for kind, table in (("rdv", self.rdv), ("ftc", self.ftc)):
            for app, r in list(table.items()):
                key = from_hex(r.st["key"])
                root = self.pastry.is_root(key)
                running = kind == "ftc" or r.st["status"] == "running"
                if r.active and not root:
                    r.active = False
                    r.heard = self.t.now()
                    if running:
                        self.pastry.route(key, {"m": "handover", "kind": kind, "app": app, "state": _copy(r.st),
                                                "from": self.address})
                elif not r.active and root and running:
                    self._activate(kind, r)
                elif r.active:
                    targets = [a for _, a in self.pastry.replica_set(key, self.cfg.replicas) if a != self.address]
                    if targets != self.replica_of.get((kind, app)):
                        self._replicate(kind, app, key, r.st)

    def _copies_tick(self) -> None:
        """Roots push their copies again every ``refresh``; a copy that heard from no root for
        ``orphan_timeout`` is routed to its key: the root may be a node that never got one (it joined,
        or the copies were elsewhere when the old root died)."""
        now = self.t.now()
        for kind, table in (("rdv", self.rdv), ("ftc", self.ftc)):
            for app, r in list(table.items()):
                needed = r.st["status"] == "running" if kind == "rdv" else bool(r.st["pairs"])
                if not needed:
                    continue
                key = from_hex(r.st["key"])
                if r.active:
                    if now - self._pushed.get((kind, app), 0.0) >= self.cfg.refresh:
                        self._replicate(kind, app, key, r.st)
                elif kind == "rdv" and "eager_rdv_takeover" in self.cfg.bugs and now - r.heard >= 10.0:
                    self._activate(kind, r)
                elif now - r.heard >= self.cfg.orphan_timeout:
                    r.heard = now
                    self.pastry.route(key, {"m": "handover", "kind": kind, "app": app, "state": _copy(r.st),
                                            "from": self.address})

    def _tick(self) -> None:
        """Periodic duties: the RDVs' look-out for unclaimed tasks, the FTCs' liveness checks."""
        if self.crashed:
            return
        for r in list(self.rdv.values()):
            if r.active:
                self._rdv_watch(r)
        for f in list(self.ftc.values()):
            if f.active:
                self._ftc_check(f)
        self._check_roles()
        self._copies_tick()
        self._tick_timer = self.t.call_later(min(self.cfg.watchdog, self.cfg.check_period), self._tick)


_ROUTED: dict[str, Callable[[PastryGridNode, int, dict], None]] = {
    "init_rdv": PastryGridNode._on_init_rdv,
    "claim": PastryGridNode._on_claim,
    "get_inputs": PastryGridNode._on_get_inputs,
    "output": PastryGridNode._on_output,
    "shared_query": PastryGridNode._on_shared_query,
    "worker_dead": PastryGridNode._on_worker_dead,
    "search_failed": PastryGridNode._on_search_failed,
    "init_ftc": PastryGridNode._on_init_ftc,
    "supervise": PastryGridNode._on_supervise,
    "unsupervise": PastryGridNode._on_unsupervise,
    "forget": PastryGridNode._on_forget,
    "ftc_sync": PastryGridNode._on_ftc_sync,
    "handover": PastryGridNode._on_handover,
    "app_status": PastryGridNode._on_app_status,
}

_DIRECT: dict[str, Callable[[PastryGridNode, str, dict], None]] = {
    "work_request": PastryGridNode._on_work_request,
    "wr_ack": PastryGridNode._on_wr_ack,
    "work_reject": PastryGridNode._on_work_reject,
    "search_status": PastryGridNode._on_search_status,
    "fetch": PastryGridNode._on_fetch,
    "check": PastryGridNode._on_check,
    "replica": PastryGridNode._on_replica,
    "replica_drop": PastryGridNode._on_replica_drop,
    "state_req": PastryGridNode._on_state_req,
}


def run_pastrygrid(nodes: int, apps: int, seed: int, faults: Any = "", until: float | None = None,
                   recorder: Any = None, **options: Any) -> dict:
    """Simulate ``nodes`` machines running ``apps`` applications; the summary dict.

    Harness code lives in :mod:`.pastrygrid_run` (it knows the simulator; this module does not).
    """
    from .pastrygrid_run import run_pastrygrid as run

    return run(nodes, apps, seed, faults, until, recorder, **options)
