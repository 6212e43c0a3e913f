"""BonjourGrid: a meta desktop grid coordinated through DNS-SD (PROTOCOLS.md section 1).

One :class:`BonjourGridNode` per machine.  It is always in exactly one state:
``idle`` (its idle service published), ``coordinator`` of one application,
``worker`` or ``replica`` of one coordinator.  All it knows of the world comes
through its :class:`~.transport.Transport`: DNS-SD (:mod:`.dnssd`) over the
transport's multicast for discovery, direct messages for the rest.

Discovery vocabulary:

* ``_bg-idle._tcp``, instance = the host's address, TXT ``host ip cpu_mhz ram os``:
  published exactly while the machine is idle.
* ``_bg-coord._tcp``, instance ``app-<id>@<host>``, subtype ``_app-<id>`` (so
  only that application's workers and replicas receive its announcements),
  TXT adds ``app status backups middleware project epoch``.

Messages (``t`` field), all idempotent, each carrying ``app`` and the request
id ``req`` that ties a worker or replica to one reservation:

======================  ===================================================
``bg.request``          coordinator -> idle machine: be my worker / replica
``bg.confirm``          machine -> coordinator: accepted (first request while idle)
``bg.refuse``           machine -> coordinator: not idle any more
``bg.alive``            worker -> coordinator, every ``heartbeat``; carries the
                        middleware client's status; also a late confirmation
``bg.sync``/``_ack``    coordinator <-> replica: the application's state (and liveness)
``bg.release``/``d``    coordinator -> worker/replica: you are free (resent until acknowledged)
``bg.probe``/``_reply`` anyone -> a coordinator: what became of application ``app``?
======================  ===================================================

Safety by construction, whatever the delays and losses:

* a machine accepts a request only while idle, and becomes that request's
  worker or replica at once; every other request is refused (B2);
* a coordinator counts a worker only on a ``confirm`` (or heartbeat) that
  names a request it has pending, and only while it has fewer than it asked
  for; any other confirmation gets a ``release`` (B3);
* request retries reuse the request id, so a duplicate cannot reserve twice.

Fault tolerance (section 1.5): ``replicas`` machines per application keep its
state (``bg.sync``: the application, its workers, the middleware snapshot).
A replica suspects its coordinator when the coordinator's record has
vanished and no sync came for ``replica_timeout``; it then *probes* the
coordinator, which answers ``running``, ``done``/``failed`` (remembered after
the end) or ``unknown`` (rebooted).  Only a confirmed failure of a coordinator
last seen ``running`` leads to a takeover (B6): the replica at position ``i``
of the ordered ``backups`` waits ``i * takeover_slot`` and takes over unless a
newer coordinator (higher ``epoch``) appeared.  Workers re-attach to the newer
coordinator; the new coordinator counts them again as their heartbeats come
in.  The ``k+1``-th failure of an application's coordinators makes the
replica that would take over report it ``failed`` and release everyone.
If a coordinator and all its replicas are lost, nobody is left to report:
workers give up after ``orphan_wait`` (the application is *lost*).

After a partition, two coordinators of one application can both run (the
minority side cannot tell a partition from a crash); when they see each
other, the one with the lower ``(epoch, -host)`` steps down (recorded as
``coordinator_crashed``: it fails-stops as a coordinator) and its workers
re-attach to the other.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .dnssd import BrowseEvent, DnsSd, DnsSdConfig, ServiceInfo
from .middleware import Middleware, MiddlewareClient, MiddlewareServer, SimulatedMiddleware
from .transport import Transport

__all__ = ["BonjourGridNode", "BonjourGridConfig", "SelectionPolicy", "IDLE_TYPE", "COORD_TYPE", "ROLES"]

IDLE_TYPE = "_bg-idle._tcp"
COORD_TYPE = "_bg-coord._tcp"
ROLES = ("idle", "coordinator", "worker", "replica")


@dataclass(frozen=True)
class BonjourGridConfig:
    """Protocol parameters (seconds unless said otherwise)."""

    replicas: int = 1                  # k: passive replicas per coordinator
    idle_ttl: float = 600.0            # TTL of idle records (refreshed every quarter of it)
    coord_ttl: float = 20.0            # TTL of coordinator records (how fast a crash becomes visible)
    heartbeat: float = 5.0             # worker heartbeats, coordinator syncs and checks
    request_timeout: float = 2.0       # no answer to a request after this: resend
    request_tries: int = 3             # sends of one request before giving the machine up
    refuse_backoff: float = 30.0       # a machine that refused or did not answer is skipped this long
    worker_timeout: float = 30.0       # a worker not heard of this long is dropped (and released)
    replica_timeout: float = 20.0      # no sync (replica) / ack (coordinator) this long: suspect
    probe_timeout: float = 2.0         # probes of a suspected coordinator: one every probe_timeout
    probe_tries: int = 3
    takeover_slot: float = 10.0        # replica i of backups waits i * slot before taking over
    reattach_wait: float = 60.0        # a new coordinator waits this long for the old workers
    orphan_wait: float = 120.0         # a worker without coordinator record gives up after this
    release_retry: float = 2.0         # releases are resent until acknowledged ...
    release_tries: int = 5             # ... this many times at most
    end_grace: float = 5.0             # the final record (status done/failed) stays this long
    give_up_after: float | None = None  # a coordinator without any worker this long reports failed
                                        # (None: it waits forever; see the liveness caveat, PROTOCOLS 1.6)
    bugs: frozenset = frozenset()       # TEST ONLY: deliberate mistakes (see BUGS) for implementation
                                        # mutation testing; never set outside tests


#: The deliberate mistakes ``BonjourGridConfig.bugs`` can switch on (tests/conform/test_implementation_bugs.py).
BUGS = {
    "double_reserve": "a reserved machine accepts a second request (no first-request arbitration)",
    "count_unconfirmed": "the coordinator counts a worker when it sends the request, before the confirmation",
    "eager_takeover": "a replica takes over as soon as one sync is missing, without probing the coordinator "
                      "or looking at its record",
    "release_before_end": "the coordinator frees its workers before announcing the end with its status",
    "replica_as_worker": "a confirmed replica is also counted as a worker",
}


@dataclass(frozen=True)
class SelectionPolicy:
    """How a coordinator picks workers from idle records' TXT.

    An application's ``requirements`` may ask ``min_ram`` (MB),
    ``min_cpu_mhz`` and ``os`` (one name, or a list); among eligible
    machines the cheapest comes first: TXT ``cost`` if published, else all
    cost the same; then the fastest CPU, the most RAM, then a random draw (so
    concurrent coordinators do not all ask the same machine first).

    >>> p = SelectionPolicy()
    >>> txt = {"cpu_mhz": "2400", "ram": "2048", "os": "linux"}
    >>> p.eligible(txt, {"min_ram": 1024, "os": ["linux", "macos"]}), p.eligible(txt, {"min_cpu_mhz": 3000})
    (True, False)
    >>> p.rank(txt) < p.rank({"cpu_mhz": "2000", "ram": "4096", "os": "linux"})
    True
    """

    def eligible(self, txt: dict, requirements: dict) -> bool:
        try:
            if int(txt.get("ram", 0)) < int(requirements.get("min_ram", 0)):
                return False
            if int(txt.get("cpu_mhz", 0)) < int(requirements.get("min_cpu_mhz", 0)):
                return False
        except ValueError:
            return False
        wanted = requirements.get("os")
        if wanted is not None:
            allowed = [wanted] if isinstance(wanted, str) else list(wanted)
            if txt.get("os") not in allowed:
                return False
        return True

    def rank(self, txt: dict) -> tuple:
        def num(key: str) -> float:
            try:
                return float(txt.get(key, 0))
            except ValueError:
                return 0.0
        return (num("cost"), -num("cpu_mhz"), -num("ram"))


def _app_subtype(app: int) -> str:
    return f"_app-{app}"


def _coord_name(app: int, host: str) -> str:
    return f"app-{app}@{host}"


def _epoch(info: ServiceInfo) -> int:
    try:
        return int(info.txt.get("epoch", 0))
    except ValueError:
        return 0


class BonjourGridNode:
    """One machine of the grid.

    ``profile`` is its idle TXT record (``host``, ``ip``, ``cpu_mhz``, ``ram``,
    ``os``, string values).  A local user calls :meth:`submit`; an application
    is ``{"app": int, "tasks": [seconds, ...], "workers": int,
    "requirements": {...}, "project": str}``.
    """

    def __init__(self, transport: Transport, profile: dict, *, config: BonjourGridConfig | None = None,
                 middleware: Middleware | None = None, policy: SelectionPolicy | None = None):
        self.t = transport
        self.address = transport.address
        self.profile = {k: str(v) for k, v in profile.items()}
        self.cfg = config or BonjourGridConfig()
        self.mw = middleware or SimulatedMiddleware()
        self.policy = policy or SelectionPolicy()
        self.sd = DnsSd(transport, DnsSdConfig(ttl=self.cfg.idle_ttl))
        self.role: _Role | None = None            # None: idle
        self.finished: dict[int, tuple[str, int]] = {}  # app -> (final status, epoch), for probes
        self.answered: dict[str, None] = {}       # request ids already answered
        self._releasing: dict[tuple[str, str], int] = {}
        self._nonce = f"{transport.random.getrandbits(32):08x}"
        self._counter = 0
        self._handlers: dict[str, Callable[[str, dict], None]] = {
            "bg.request": self._on_request, "bg.confirm": self._on_confirm, "bg.refuse": self._on_refuse,
            "bg.alive": self._on_alive, "bg.sync": self._on_sync, "bg.sync_ack": self._on_sync_ack,
            "bg.release": self._on_release, "bg.released": self._on_released,
            "bg.probe": self._on_probe, "bg.probe_reply": self._on_probe_reply,
        }
        transport.on_message(self._on_message)
        self._become_idle()

    # -- what the outside world sees -------------------------------------------------------

    @property
    def state(self) -> str:
        """``idle``, ``coordinator``, ``worker`` or ``replica``."""
        return "idle" if self.role is None else self.role.kind

    @property
    def app(self) -> int | None:
        """The application this machine works for (None when idle)."""
        return None if self.role is None else self.role.app

    def submit(self, app: dict) -> bool:
        """A local user submits ``app``: an idle machine becomes its coordinator and returns True; a busy
        one refuses (False) and the user goes to another machine."""
        if self.role is not None:
            return False
        self._start_coordinator(dict(app))
        return True

    def on_crash(self) -> None:
        """The machine fails (fault injection).  A coordinator's failure is a protocol step (B6); the
        others are recorded too, with the role the machine had, so that a trace says what went down
        (conformance needs it: a silent crash could be any machine at any time)."""
        role = self.role
        if isinstance(role, _Coordinator) and role.active:
            self.event("coordinator_crashed", app=role.app)
        elif isinstance(role, _Worker) and role.active:
            self.event("worker_crashed", app=role.app, coordinator=role.coordinator)
        elif isinstance(role, _Replica) and role.active:
            self.event("replica_crashed", app=role.app, coordinator=role.coordinator)
        else:
            self.event("machine_crashed")

    # -- helpers shared by the roles ------------------------------------------------------

    def event(self, name: str, **fields: Any) -> None:
        self.t.recorder.event(self.address, name, **fields)

    def send(self, dest: str, message: dict) -> None:
        self.t.send(dest, message)

    def new_request_id(self) -> str:
        self._counter += 1
        return f"{self.address}/{self._nonce}/{self._counter}"

    def issued(self, req: str) -> bool:
        """Whether request ``req`` was made by this machine since it booted."""
        return req.startswith(f"{self.address}/{self._nonce}/")

    def release(self, dest: str, app: int, req: str, epoch: int) -> None:
        """Tell ``dest`` it is free of reservation ``req``, resending until acknowledged.  ``epoch`` is
        the releasing coordinator's: a machine attached to a newer coordinator ignores it."""
        key = (dest, req)
        if key in self._releasing:
            return
        self._releasing[key] = 0
        message = {"t": "bg.release", "app": app, "req": req, "epoch": epoch}

        def attempt() -> None:
            tries = self._releasing.get(key)
            if tries is None:
                return
            if tries >= self.cfg.release_tries:
                del self._releasing[key]
                return
            self._releasing[key] = tries + 1
            self.send(dest, message)
            self.t.call_later(self.cfg.release_retry, attempt)
        attempt()

    def become_idle(self) -> None:
        self.role = None
        self._become_idle()

    # -- internals -----------------------------------------------------------------------

    def _become_idle(self) -> None:
        self.sd.publish(IDLE_TYPE, self.address, self.profile, ttl=self.cfg.idle_ttl)
        self.event("idle_published")

    def _leave_idle(self) -> None:
        self.sd.unpublish(IDLE_TYPE, self.address)

    def _start_coordinator(self, app: dict) -> None:
        self._leave_idle()
        self.event("coordinator_started", app=app["app"])
        role = _Coordinator(self, app, epoch=0, failures=0)
        self.role = role
        role.start()

    def _on_message(self, sender: str, message: dict) -> None:
        kind = message.get("t", "")
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(sender, message)
        elif kind.startswith("mdns."):
            self.sd.handle(sender, message)
        elif kind.startswith("mw.") and self.role is not None:
            self.role.on_middleware(sender, message)

    def _role_for(self, kind: type, app: Any) -> Any:
        role = self.role
        return role if isinstance(role, kind) and role.app == app else None

    def _on_request(self, sender: str, m: dict) -> None:
        req, app = m["req"], m["app"]
        role = self.role
        if role is not None and getattr(role, "req", None) == req:
            self.send(sender, {"t": "bg.confirm", "app": app, "req": req, "role": m["role"],
                               "epoch": role.epoch})  # a retry
            return
        if req in self.answered:
            self.send(sender, {"t": "bg.refuse", "app": app, "req": req})
            return
        self.answered[req] = None
        if role is not None and "double_reserve" not in self.cfg.bugs:
            self.event("request_refused", app=app, coordinator=sender, worker=self.address)
            self.send(sender, {"t": "bg.refuse", "app": app, "req": req})
            return
        self._leave_idle()  # the first request while idle wins
        if m["role"] == "replica":
            self.event("replica_reserved", app=app, coordinator=sender, replica=self.address)
            self.role = _Replica(self, app, sender, req, m["state"])
        else:
            self.event("worker_reserved", app=app, coordinator=sender, worker=self.address)
            self.role = _Worker(self, app, sender, req, int(m.get("epoch", 0)))
        self.send(sender, {"t": "bg.confirm", "app": app, "req": req, "role": m["role"],
                           "epoch": self.role.epoch})

    def _on_confirm(self, sender: str, m: dict) -> None:
        role = self._role_for(_Coordinator, m["app"])
        if role is not None:
            role.on_confirm(sender, m["req"], m.get("role", "worker"))
        else:
            self.release(sender, m["app"], m["req"], int(m.get("epoch", 0)))  # not (or no longer) its coordinator

    def _on_refuse(self, sender: str, m: dict) -> None:
        role = self._role_for(_Coordinator, m["app"])
        if role is not None:
            role.on_refuse(sender, m["req"])

    def _on_alive(self, sender: str, m: dict) -> None:
        role = self._role_for(_Coordinator, m["app"])
        if role is not None:
            role.on_alive(sender, m["req"], m.get("mw"))
        else:
            self._not_mine(sender, m)

    def _not_mine(self, sender: str, m: dict) -> None:
        """A worker or replica takes us for its coordinator, and we are not (any more).  Only an
        application that ended here is ours to release; otherwise (we rebooted, or stepped down) a
        replica may be taking over: say we know nothing and let the worker wait for it."""
        app = m["app"]
        if app in self.finished:
            self.release(sender, app, m["req"], self.finished[app][1])
        else:
            self.send(sender, {"t": "bg.probe_reply", "app": app, "status": "unknown"})

    def _on_sync(self, sender: str, m: dict) -> None:
        role = self._role_for(_Replica, m["app"])
        if role is not None:
            role.on_sync(sender, m)

    def _on_sync_ack(self, sender: str, m: dict) -> None:
        role = self._role_for(_Coordinator, m["app"])
        if role is not None:
            role.on_sync_ack(sender, m["req"])
        else:
            self._not_mine(sender, m)

    def _on_release(self, sender: str, m: dict) -> None:
        self.send(sender, {"t": "bg.released", "app": m["app"], "req": m["req"]})
        role = self.role
        if (isinstance(role, (_Worker, _Replica)) and role.app == m["app"] and role.req == m["req"]
                and int(m.get("epoch", 0)) >= role.epoch):
            role.released()

    def _on_released(self, sender: str, m: dict) -> None:
        self._releasing.pop((sender, m["req"]), None)

    def _on_probe(self, sender: str, m: dict) -> None:
        app = m["app"]
        role = self._role_for(_Coordinator, app)
        if role is not None:
            status, epoch = "running", role.epoch
        else:
            status, epoch = self.finished.get(app, ("unknown", 0))
        self.send(sender, {"t": "bg.probe_reply", "app": app, "status": status, "epoch": epoch})

    def _on_probe_reply(self, sender: str, m: dict) -> None:
        role = self.role
        if isinstance(role, (_Worker, _Replica)) and role.app == m["app"]:
            role.on_probe_reply(sender, m["status"], int(m.get("epoch", 0)))


class _Role:
    kind = ""
    app: int

    def __init__(self, node: BonjourGridNode, app: int):
        self.node = node
        self.app = app
        self.active = True

    def every(self, period: float, fn: Callable[[], None]) -> None:
        """Call ``fn`` every ``period`` seconds while the role is active."""
        def tick() -> None:
            if self.active:
                fn()
                if self.active:
                    self.node.t.call_later(period, tick)
        self.node.t.call_later(period, tick)

    def later(self, delay: float, fn: Callable[[], None]) -> None:
        self.node.t.call_later(delay, lambda: self.active and fn())

    def on_middleware(self, sender: str, message: dict) -> None:
        pass


@dataclass
class _Pending:
    addr: str
    role: str
    tries: int = 1


@dataclass
class _Candidates:
    """Idle machines seen by a coordinator, best first (a heap with lazy deletion)."""

    keys: dict = field(default_factory=dict)     # name -> (rank key, info)
    heap: list = field(default_factory=list)

    def put(self, name: str, key: tuple, info: ServiceInfo) -> None:
        self.keys[name] = (key, info)
        heapq.heappush(self.heap, (key, name))

    def drop(self, name: str) -> None:
        self.keys.pop(name, None)

    def pop_best(self, skip: Callable[[str], bool]) -> ServiceInfo | None:
        """The best candidate not skipped; skipped ones are set aside (put them back with ``put``)."""
        while self.heap:
            key, name = heapq.heappop(self.heap)
            entry = self.keys.get(name)
            if entry is None or entry[0] != key:
                continue  # stale heap entry
            if skip(name):
                continue
            del self.keys[name]
            return entry[1]
        return None


class _Coordinator(_Role):
    kind = "coordinator"

    def __init__(self, node: BonjourGridNode, spec: dict, *, epoch: int, failures: int,
                 backups: tuple[tuple[str, str], ...] = (), expected: dict[str, str] | None = None,
                 snapshot: dict | None = None):
        super().__init__(node, spec["app"])
        self.spec = spec
        self.wanted = int(spec.get("workers", len(spec["tasks"])))
        self.epoch = epoch
        self.failures = failures
        self.counted: dict[str, str] = {}             # worker -> request id (confirmed)
        self.heard: dict[str, float] = {}             # worker -> last heartbeat
        self.expected: dict[str, str] = dict(expected or {})  # after a takeover: the old workers
        self.pending: dict[str, _Pending] = {}        # request id -> pending request
        self.asking: dict[str, str] = {}              # address -> pending request id
        self.asked = {"worker": 0, "replica": 0}      # pending requests by role
        self.backups: dict[str, str] = dict(backups)  # replica -> request id, in order
        self.backup_heard: dict[str, float] = {r: node.t.now() for r in self.backups}
        self.candidates = _Candidates()
        self.skip_until: dict[str, float] = {}
        self.started = node.t.now()
        self.workerless_since = self.started
        self.snapshot = snapshot
        self.server: MiddlewareServer | None = None
        self.idle_browser = None
        self.app_browser = None

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> None:
        node = self.node
        self.server = node.mw.server(node.t, self.spec, self._finished, self.snapshot)
        self._publish("running")
        self.app_browser = node.sd.browse(COORD_TYPE, self._on_app_event, subtype=_app_subtype(self.app))
        self.every(node.cfg.heartbeat, self._tick)
        self._sync()
        self._fill()

    def end(self, status: str) -> None:
        """The application ended (``done``) or is given up (``failed``): tell everyone, back to idle."""
        if not self.active:
            return
        node = self.node
        if "release_before_end" in node.cfg.bugs and not getattr(self, "_bug_released", False):
            self._bug_released = True  # free everyone first, announce a second later
            for addr, req in [*self.counted.items(), *self.expected.items(), *self.backups.items()]:
                node.send(addr, {"t": "bg.release", "app": self.app, "req": req, "epoch": self.epoch})
            node.t.call_later(1.0, lambda: self.end(status))
            return
        node.event("app_finished", app=self.app, status=status)
        node.finished[self.app] = (status, self.epoch)
        self._publish(status)
        name = _coord_name(self.app, node.address)
        node.t.call_later(node.cfg.end_grace, lambda: node.sd.unpublish(COORD_TYPE, name))
        for addr, req in [*self.counted.items(), *self.expected.items(), *self.backups.items(),
                          *((p.addr, req) for req, p in self.pending.items())]:
            node.release(addr, self.app, req, self.epoch)
        self._stop()
        node.become_idle()

    def step_down(self, ended: str | None = None) -> None:
        """Another coordinator of this application supersedes us (after a partition).  If it has
        already ``ended`` the application (``done``/``failed``), ours are released; otherwise they
        re-attach to it by themselves."""
        node = self.node
        node.event("coordinator_crashed", app=self.app)
        node.sd.unpublish(COORD_TYPE, _coord_name(self.app, node.address))
        held = list(self.pending.items()) if ended is None else [
            *((req, p) for req, p in self.pending.items()),
            *((req, _Pending(addr, "")) for addr, req in [*self.counted.items(), *self.expected.items(),
                                                           *self.backups.items()])]
        for req, p in held:
            node.release(p.addr, self.app, req, self.epoch)
        if ended is not None:
            node.finished[self.app] = (ended, self.epoch)
        self._stop()
        node.become_idle()

    def _stop(self) -> None:
        self.active = False
        if self.server is not None:
            self.server.stop()
        for browser in (self.idle_browser, self.app_browser):
            if browser is not None:
                browser.cancel()

    def _finished(self) -> None:
        if self.active:
            # from inside the middleware's call stack: end on a fresh event
            self.later(0, lambda: self.end("done"))

    def _publish(self, status: str) -> None:
        node = self.node
        txt = dict(node.profile)
        txt.update(app=str(self.app), status=status, backups=",".join(self.backups),
                   middleware=node.mw.name, project=str(self.spec.get("project", "")), epoch=str(self.epoch))
        node.sd.publish(COORD_TYPE, _coord_name(self.app, node.address), txt,
                        subtypes=(_app_subtype(self.app),), ttl=node.cfg.coord_ttl)

    # -- recruiting -----------------------------------------------------------------

    def _on_idle_event(self, e: BrowseEvent) -> None:
        name = e.service.name
        if e.kind == "removed":
            self.candidates.drop(name)
        elif e.service.host != self.node.address and self.node.policy.eligible(
                e.service.txt, self.spec.get("requirements", {})):
            key = self.node.policy.rank(e.service.txt) + (self.node.t.random.random(),)
            self.candidates.put(name, key, e.service)
            self._fill()
        else:
            self.candidates.drop(name)

    def _need(self, role: str) -> int:
        asked = self.asked[role]
        if role == "replica":
            return self.node.cfg.replicas - len(self.backups) - asked
        return self.wanted - len(self.counted) - len(self.expected) - asked

    def _fill(self) -> None:
        """Ask the best idle machines for what is missing; browse idle records only while something is."""
        if not self.active:
            return
        if self._need("worker") <= 0 and self._need("replica") <= 0:
            if not self.pending and self.idle_browser is not None:
                self.idle_browser.cancel()
                self.idle_browser = None
                self.candidates = _Candidates()
            return
        if self.idle_browser is None:
            self.idle_browser = self.node.sd.browse(IDLE_TYPE, self._on_idle_event)  # answers come soon
            return
        now = self.node.t.now()
        set_aside: list[tuple[str, tuple, ServiceInfo]] = []

        def skip(name: str) -> bool:
            if name in self.asking or name in self.counted or name in self.backups or name in self.expected \
                    or self.skip_until.get(name, 0.0) > now:
                entry = self.candidates.keys[name]
                set_aside.append((name, entry[0], entry[1]))
                return True
            return False
        for role in ("replica", "worker"):
            for _ in range(max(0, self._need(role))):
                info = self.candidates.pop_best(skip)
                if info is None:
                    break
                self._request(info.host, role)
        for name, key, info in set_aside:
            self.candidates.put(name, key, info)

    def _request(self, addr: str, role: str) -> None:
        node = self.node
        req = node.new_request_id()
        self.pending[req] = _Pending(addr, role)
        self.asking[addr] = req
        self.asked[role] += 1
        if role == "worker":
            node.event("worker_requested", app=self.app, worker=addr)
            if "count_unconfirmed" in node.cfg.bugs:
                self._count(addr, req)
        self._send_request(req)

    def _send_request(self, req: str) -> None:
        p = self.pending[req]
        message = {"t": "bg.request", "app": self.app, "req": req, "role": p.role, "epoch": self.epoch}
        if p.role == "replica":
            message["state"] = self._state()
        self.node.send(p.addr, message)
        self.later(self.node.cfg.request_timeout, lambda: self._request_timeout(req))

    def _request_timeout(self, req: str) -> None:
        p = self.pending.get(req)
        if p is None:
            return
        if p.tries < self.node.cfg.request_tries:
            p.tries += 1
            self._send_request(req)
            return
        self._forget(req)
        self.skip_until[p.addr] = self.node.t.now() + self.node.cfg.refuse_backoff
        self.node.release(p.addr, self.app, req, self.epoch)  # in case it accepted and every answer was lost
        self._fill()

    def _forget(self, req: str) -> _Pending | None:
        p = self.pending.pop(req, None)
        if p is not None:
            self.asked[p.role] -= 1
            if self.asking.get(p.addr) == req:
                del self.asking[p.addr]
        return p

    def on_confirm(self, sender: str, req: str, role: str) -> None:
        p = self.pending.get(req)
        if p is not None and p.addr == sender:
            self._forget(req)
            if p.role == "worker" and self.counted.get(sender) == req:
                pass  # counted already (only with the test-only bug count_unconfirmed)
            elif p.role == "worker" and len(self.counted) + len(self.expected) < self.wanted:
                self._count(sender, req)
            elif p.role == "replica" and len(self.backups) < self.node.cfg.replicas:
                if "replica_as_worker" in self.node.cfg.bugs and len(self.counted) < self.wanted:
                    self._count(sender, req)
                self.backups[sender] = req
                self.backup_heard[sender] = self.node.t.now()
                self._publish("running")
                self._sync()
            else:
                self.node.release(sender, self.app, req, self.epoch)
            self._fill()
        elif self.counted.get(sender) == req or self.backups.get(sender) == req:
            pass  # a duplicate confirmation
        else:
            self.node.release(sender, self.app, req, self.epoch)

    def on_refuse(self, sender: str, req: str) -> None:
        p = self.pending.get(req)
        if p is not None and p.addr == sender:
            self._forget(req)
            self.skip_until[sender] = self.node.t.now() + self.node.cfg.refuse_backoff
            self._fill()

    def on_alive(self, sender: str, req: str, status: dict | None) -> None:
        if self.counted.get(sender) == req:
            self.heard[sender] = self.node.t.now()
            self.server.status(sender, status)
            return
        p = self.pending.get(req)
        if p is not None and p.addr == sender and p.role == "worker":
            self.on_confirm(sender, req, "worker")  # its confirmation was lost
        elif self.expected.get(sender) == req:
            del self.expected[sender]               # an old worker re-attached after the takeover
            if len(self.counted) < self.wanted:
                self._count(sender, req)
            else:
                self.node.release(sender, self.app, req, self.epoch)
        elif (self.epoch > 0 and not self.node.issued(req) and sender not in self.counted
              and len(self.counted) + len(self.expected) < self.wanted):
            self._count(sender, req)  # a worker of an earlier coordinator our (stale) state did not list
        else:
            self.node.release(sender, self.app, req, self.epoch)
            return
        if self.counted.get(sender) == req:
            self.server.status(sender, status)

    def _count(self, worker: str, req: str) -> None:
        self.counted[worker] = req
        self.heard[worker] = self.node.t.now()
        self.node.event("worker_confirmed", app=self.app, worker=worker)
        self.server.add_worker(worker)

    def on_sync_ack(self, sender: str, req: str) -> None:
        if self.backups.get(sender) == req:
            self.backup_heard[sender] = self.node.t.now()
        else:
            self.node.release(sender, self.app, req, self.epoch)

    def on_middleware(self, sender: str, message: dict) -> None:
        if self.server is not None:
            self.server.handle(sender, message)

    # -- upkeep ---------------------------------------------------------------------

    def _tick(self) -> None:
        node, now = self.node, self.node.t.now()
        if self.counted:
            self.workerless_since = now
        elif node.cfg.give_up_after is not None and now - self.workerless_since > node.cfg.give_up_after:
            self.end("failed")
            return
        for worker, req in list(self.counted.items()):
            if now - self.heard[worker] > node.cfg.worker_timeout:
                del self.counted[worker]
                self.server.remove_worker(worker)
                node.release(worker, self.app, req, self.epoch)
        lost = [r for r in self.backups if now - self.backup_heard.get(r, now) > node.cfg.replica_timeout]
        for replica in lost:
            node.release(replica, self.app, self.backups.pop(replica), self.epoch)
        if lost:
            self._publish("running")
        if self.expected and now - self.started > node.cfg.reattach_wait:
            self.expected.clear()
        self._sync()
        self._fill()

    def _state(self) -> dict:
        return {"spec": self.spec, "epoch": self.epoch, "failures": self.failures,
                "coordinator": self.node.address, "backups": [[r, q] for r, q in self.backups.items()],
                "workers": {**self.expected, **self.counted},
                "mw": self.server.snapshot() if self.server is not None else self.snapshot}

    def _sync(self) -> None:
        if not self.backups:
            return
        state = self._state()
        for replica, req in self.backups.items():
            self.node.send(replica, {"t": "bg.sync", "app": self.app, "req": req, "epoch": self.epoch,
                                     "state": state})

    def _on_app_event(self, e: BrowseEvent) -> None:
        """Another coordinator of our application (after a partition): the newer one wins."""
        info = e.service
        if e.kind == "removed" or info.host == self.node.address:
            return
        theirs = (_epoch(info), _neg(info.host))
        ours = (self.epoch, _neg(self.node.address))
        status = info.txt.get("status")
        if status in ("done", "failed"):
            self.later(0, lambda: self.step_down(ended=status))
        elif theirs > ours:
            self.later(0, self.step_down)


def _neg(host: str) -> tuple:
    """Orders hosts so that the smaller name wins a tie: larger tuple = smaller name."""
    return tuple(-ord(c) for c in host) + (1,)


class _Attached(_Role):
    """What workers and replicas share: a reservation ``req`` with a coordinator, watched through DNS-SD."""

    released_event = ""

    def __init__(self, node: BonjourGridNode, app: int, coordinator: str, req: str, epoch: int):
        super().__init__(node, app)
        self.coordinator = coordinator
        self.req = req
        self.epoch = epoch
        self.missing_since: float | None = None
        self.probes = 0
        self.browser = node.sd.browse(COORD_TYPE, self._on_record, subtype=_app_subtype(app))

    def _on_record(self, e: BrowseEvent) -> None:
        if not self.active:
            return
        info = e.service
        if e.kind == "removed":
            return  # the periodic check decides what a disappearance means
        if info.txt.get("status") in ("done", "failed"):
            if _epoch(info) >= self.epoch:
                self.released()  # (an older coordinator's end: ours steps down and releases us)
        elif _epoch(info) > self.epoch or (_epoch(info) == self.epoch and info.host == self.coordinator):
            if info.host != self.coordinator:
                self.reattach(info.host, _epoch(info))
            self.missing_since = None

    def coordinator_visible(self) -> bool:
        info = self.browser.get(_coord_name(self.app, self.coordinator))
        return info is not None and info.txt.get("status") == "running"

    def probe(self) -> None:
        self.probes += 1
        self.node.send(self.coordinator, {"t": "bg.probe", "app": self.app})

    def reattach(self, coordinator: str, epoch: int) -> None:
        self.coordinator = coordinator
        self.epoch = epoch

    def released(self) -> None:
        if not self.active:
            return
        self.stop()
        self.node.event(self.released_event, app=self.app, coordinator=self.coordinator,
                        **{self.kind: self.node.address})
        self.node.become_idle()

    def stop(self) -> None:
        self.active = False
        self.browser.cancel()


class _Worker(_Attached):
    kind = "worker"
    released_event = "worker_released"

    def __init__(self, node: BonjourGridNode, app: int, coordinator: str, req: str, epoch: int):
        super().__init__(node, app, coordinator, req, epoch)
        self.client: MiddlewareClient = node.mw.client(node.t, app, coordinator)
        self.every(node.cfg.heartbeat, self._tick)

    def _alive(self) -> None:
        self.node.send(self.coordinator, {"t": "bg.alive", "app": self.app, "req": self.req,
                                          "mw": self.client.status()})

    def _tick(self) -> None:
        cfg, now = self.node.cfg, self.node.t.now()
        self._alive()
        if self.coordinator_visible():
            self.missing_since, self.probes = None, 0
        elif self.missing_since is None:
            self.missing_since = now
            self.probe()
        elif now - self.missing_since > cfg.orphan_wait:
            self.released()  # the coordinator failed and no replica took over
        elif self.probes < cfg.probe_tries:
            self.probe()

    def on_probe_reply(self, sender: str, status: str, epoch: int) -> None:
        if sender != self.coordinator:
            return
        if status in ("done", "failed"):
            self.released()
        elif status == "running":
            self.missing_since, self.probes = None, 0

    def reattach(self, coordinator: str, epoch: int) -> None:
        super().reattach(coordinator, epoch)
        self.client.set_coordinator(coordinator)
        self._alive()

    def on_middleware(self, sender: str, message: dict) -> None:
        self.client.handle(sender, message)

    def stop(self) -> None:
        super().stop()
        self.client.stop()


class _Replica(_Attached):
    kind = "replica"
    released_event = "replica_released"

    def __init__(self, node: BonjourGridNode, app: int, coordinator: str, req: str, state: dict):
        super().__init__(node, app, coordinator, req, int(state.get("epoch", 0)))
        self.state = state
        self.heard = node.t.now()
        self.suspected = False   # probing the coordinator
        self.failed_at: float | None = None
        self.earlier: list[str] = []  # the replicas before us in backups, asked before we take over
        self.asked = 0
        self.every(node.cfg.heartbeat, self._tick)

    def on_sync(self, sender: str, m: dict) -> None:
        if int(m.get("epoch", 0)) < self.epoch or m.get("req") != self.req:
            return  # from a superseded coordinator
        if sender != self.coordinator:
            self.reattach(sender, int(m["epoch"]))
        self.state = m["state"]
        self.heard = self.node.t.now()
        self.suspected, self.failed_at, self.probes = False, None, 0
        self.node.send(sender, {"t": "bg.sync_ack", "app": self.app, "req": self.req})

    def reattach(self, coordinator: str, epoch: int) -> None:
        super().reattach(coordinator, epoch)
        self.heard = self.node.t.now()
        self.suspected, self.failed_at, self.probes = False, None, 0
        self.node.send(coordinator, {"t": "bg.sync_ack", "app": self.app, "req": self.req})  # here I am

    def _tick(self) -> None:
        cfg, now = self.node.cfg, self.node.t.now()
        if self.failed_at is not None:
            return
        patience = cfg.heartbeat * 1.5 if "eager_takeover" in cfg.bugs else cfg.replica_timeout
        if now - self.heard <= patience:
            self.suspected, self.probes = False, 0
            return
        if "eager_takeover" in cfg.bugs:
            self._failure_confirmed()
            return
        if self.coordinator_visible():
            # its record is fresh but its syncs stopped: remind it of us (it releases replicas it dropped)
            self.suspected, self.probes = False, 0
            self.node.send(self.coordinator, {"t": "bg.sync_ack", "app": self.app, "req": self.req})
            return
        if not self.suspected:
            self.suspected = True
            self.probe()
            self.later(cfg.probe_timeout, self._probe_again)

    def _probe_again(self) -> None:
        if not self.suspected or self.failed_at is not None:
            return
        if self.probes < self.node.cfg.probe_tries:
            self.probe()
            self.later(self.node.cfg.probe_timeout, self._probe_again)
        else:
            self._failure_confirmed()

    def on_probe_reply(self, sender: str, status: str, epoch: int) -> None:
        if self.failed_at is not None:
            if sender in self.earlier and status == "running" and epoch > self.epoch:
                self.reattach(sender, epoch)  # an earlier replica already took over
            return
        if sender != self.coordinator:
            return
        if status in ("done", "failed"):
            self.released()
        elif status == "running":
            self.suspected, self.probes = False, 0
            self.heard = self.node.t.now()
        else:
            self._failure_confirmed()  # it rebooted: its application is gone from it

    def _failure_confirmed(self) -> None:
        self.failed_at = self.node.t.now()
        order = [r for r, _ in self.state.get("backups", ())]
        me = self.node.address
        # not in our (stale) copy of the list: we were recruited last, so wait as the last one would
        rank = order.index(me) if me in order else max(len(order), self.node.cfg.replicas)
        self.earlier, self.asked = order[:rank], 0
        old_epoch = self.epoch
        self.later(rank * self.node.cfg.takeover_slot, lambda: self._take_over(old_epoch))

    def _take_over(self, old_epoch: int) -> None:
        if self.epoch != old_epoch or (self.coordinator_visible() and "eager_takeover" not in self.node.cfg.bugs):
            self.failed_at = None  # a newer coordinator appeared meanwhile: stay its replica
            return
        cfg = self.node.cfg
        if self.earlier and self.asked < cfg.probe_tries:
            # did a replica before us take over? (its record and syncs may have been lost)
            self.asked += 1
            for replica in self.earlier:
                self.node.send(replica, {"t": "bg.probe", "app": self.app})
            self.later(cfg.probe_timeout, lambda: self._take_over(old_epoch))
            return
        node, st = self.node, self.state
        old = self.coordinator
        self.stop()
        node.event("takeover", app=self.app, old_coordinator=old)
        backups = tuple((r, q) for r, q in st.get("backups", ()) if r != node.address)
        role = _Coordinator(node, st["spec"], epoch=int(st.get("epoch", 0)) + 1,
                            failures=int(st.get("failures", 0)) + 1, backups=backups,
                            expected=dict(st.get("workers", {})), snapshot=st.get("mw"))
        node.role = role
        if role.failures >= node.cfg.replicas + 1:
            role.end("failed")  # the (k+1)-th failure of this application's coordinators
        else:
            role.start()
