"""A deterministic discrete-event simulator: the ``sim`` transport.

Nodes are ordinary objects written against :class:`~.transport.Transport`;
the simulator builds one transport per node and runs everything on a virtual
clock, one event at a time.  Nothing here is visible to node code: node
modules never import this one.

Determinism by construction:

* one event queue (``heapq``) ordered by ``(time, sequence number)``, so two
  events at the same instant run in the order they were scheduled;
* one seed; every component draws from its own ``random.Random`` whose seed
  is derived from the root seed and the component's name (``"net"``,
  ``"faults"``, ``"node:n3:0"``, ...) by a stable hash, so adding a node or a
  fault never shifts the random numbers of the others;
* no wall clock, no global ``random``, no iteration over sets of strings:
  group members and nodes are kept in insertion-ordered dicts.

>>> sim = Simulator(seed=1, delay=(0.01, 0.01))
>>> class Echo:
...     def __init__(self, t):
...         self.t, self.got = t, []
...         t.on_message(lambda src, msg: self.got.append((t.now(), src, msg["x"])))
>>> a = sim.add_node("a", Echo)
>>> b = sim.add_node("b", Echo)
>>> sim.transport("a").send("b", {"x": 1})
>>> sim.run()
0.01
>>> b.got
[(0.01, 'a', 1)]

Faults: :meth:`Simulator.crash` (with optional reboot into a fresh node),
:meth:`Simulator.partition`, per-link :meth:`Simulator.set_link` loss and
delay, or all of them at once from a spec string with
:meth:`Simulator.apply_faults` (grammar in :mod:`.faults`).  The API is
described in ``docs/simulator.md``.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..errors import InputError
from .transport import Handler, Recorder, TimerHandle, Transport

__all__ = ["Simulator", "SimTransport", "NullRecorder", "subseed"]


def subseed(seed: int, name: str) -> int:
    """A 64-bit seed for component ``name`` derived from ``seed`` (stable across runs and Pythons).

    >>> subseed(7, "net") == subseed(7, "net") != subseed(7, "faults")
    True
    """
    digest = hashlib.blake2b(f"{seed}/{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class NullRecorder(Recorder):
    """Drops every event (the default when no trace is wanted)."""

    def event(self, node: str, event: str, **fields: Any) -> None:
        pass


class _Timer(TimerHandle):
    __slots__ = ("callback", "transport")

    def __init__(self, callback: Callable[[], None], transport: SimTransport | None):
        self.callback: Callable[[], None] | None = callback
        self.transport = transport  # None: a harness timer, independent of any node

    def cancel(self) -> None:
        self.callback = None


class _Slot:
    """One address on the simulated network and the node currently living there."""

    __slots__ = ("address", "factory", "obj", "transport", "incarnation", "handler", "groups")

    def __init__(self, address: str, factory: Callable[[Transport], Any]):
        self.address = address
        self.factory = factory
        self.obj: Any = None
        self.transport: SimTransport | None = None  # None while the node is down
        self.incarnation = -1
        self.handler: Handler | None = None
        self.groups: dict[str, None] = {}


class SimTransport(Transport):
    """The :class:`Transport` the simulator gives each node.

    Once its node has crashed, every operation of a transport is a silent
    no-op (the rebooted node gets a new transport).
    """

    def __init__(self, sim: Simulator, slot: _Slot, rng: random.Random):
        self._sim = sim
        self._slot = slot
        self._rng = rng
        self.address = slot.address

    @property
    def alive(self) -> bool:
        """Whether this transport's node is still the one running at its address."""
        return self._slot.transport is self

    def send(self, dest: str, message: dict) -> None:
        if self._slot.transport is self:
            self._sim._send(self.address, dest, message)

    def join_group(self, group: str) -> None:
        if self._slot.transport is self:
            self._sim._join(self._slot, group)

    def leave_group(self, group: str) -> None:
        if self._slot.transport is self:
            self._sim._leave(self._slot, group)

    def multicast(self, group: str, message: dict) -> None:
        if self._slot.transport is self:
            self._sim._multicast(self.address, group, message)

    def on_message(self, handler: Handler) -> None:
        if self._slot.transport is self:
            self._slot.handler = handler

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        timer = _Timer(callback, self)
        if self._slot.transport is self:
            self._sim._push(self._sim._now + max(0.0, delay), self._sim._fire, timer)
        return timer

    def now(self) -> float:
        return self._sim._now

    @property
    def random(self) -> random.Random:
        return self._rng

    @property
    def recorder(self) -> Recorder:
        return self._sim.recorder


class _Partition:
    __slots__ = ("side",)

    def __init__(self, groups: Sequence[Sequence[str]]):
        # nodes named in no group form one more group together ("the rest", index -1)
        self.side = {addr: i for i, group in enumerate(groups) for addr in group}


class Simulator:
    """A simulated network of nodes on a virtual clock.

    ``delay`` is the default one-way delay range ``(min, max)`` in seconds,
    drawn uniformly per message copy; ``loss`` the default probability that
    a copy is lost.  Both can be overridden per link (:meth:`set_link`).
    ``check_messages`` round-trips every message through JSON at send time,
    as a real transport would (catches sets, tuples and non-string keys in
    node code); it costs time, so it is off by default and on in tests.
    """

    def __init__(self, seed: int = 0, *, delay: tuple[float, float] = (0.001, 0.01), loss: float = 0.0,
                 recorder: Recorder | None = None, check_messages: bool = False):
        self.seed = seed
        self.recorder: Recorder = recorder if recorder is not None else NullRecorder()
        self.check_messages = check_messages
        self._now = 0.0
        self._seq = 0
        self._heap: list = []
        self._stopped = False
        self._slots: dict[str, _Slot] = {}
        self._groups: dict[str, dict[str, _Slot]] = {}
        self._links: dict[tuple[str, str], tuple[float, tuple[float, float]]] = {}
        self._partitions: list[_Partition] = []
        self._net = self.rng("net")
        self.set_defaults(delay=delay, loss=loss)
        self._events = self._sent = self._lost = self._delivered = self._crashes = self._recoveries = 0

    # -- randomness and time ------------------------------------------------------------

    def rng(self, name: str) -> random.Random:
        """A fresh generator for component ``name``, seeded from the simulator's seed and the name."""
        return random.Random(subseed(self.seed, name))

    def now(self) -> float:
        """The virtual clock, in seconds."""
        return self._now

    def call_at(self, time: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` (a harness action, not bound to any node) at virtual ``time``."""
        timer = _Timer(callback, None)
        self._push(max(time, self._now), self._fire, timer)
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run harness ``callback`` after ``delay`` virtual seconds."""
        return self.call_at(self._now + max(0.0, delay), callback)

    def run(self, until: float | None = None) -> float:
        """Run events in order until the queue is empty, :meth:`stop` is called, or the next event is
        later than ``until`` (the clock is then set to ``until``).  Returns the clock."""
        self._stopped = False
        heap = self._heap
        pop = heapq.heappop
        limit = float("inf") if until is None else until
        events = 0
        try:
            while heap and not self._stopped:
                if heap[0][0] > limit:
                    break
                time, _, fn, arg = pop(heap)
                self._now = time
                events += 1
                fn(arg)
        finally:
            self._events += events
        if until is not None and not self._stopped and self._now < until:
            self._now = until
        return self._now

    @property
    def stats(self) -> dict[str, int]:
        """Counters: events run, message copies sent / lost (loss, partition, unknown address) /
        delivered, crashes, recoveries."""
        return {"events": self._events, "sent": self._sent, "lost": self._lost, "delivered": self._delivered,
                "crashes": self._crashes, "recoveries": self._recoveries}

    def stop(self) -> None:
        """Make :meth:`run` return after the current event."""
        self._stopped = True

    # -- nodes ---------------------------------------------------------------------------

    def add_node(self, address: str, factory: Callable[[Transport], Any]) -> Any:
        """Boot a node at ``address``: ``factory(transport)`` builds it and returns the node object.

        The factory is called again, with a new transport, each time the node
        reboots after a crash.  If the node object has a method ``on_crash()``,
        it is called when the node crashes, after its transport went dead (so
        it can only record, e.g. ``coordinator_crashed``; sends are dropped).
        """
        if not isinstance(address, str) or not address:
            raise InputError(f"node addresses are non-empty strings, got {address!r}")
        if address in self._slots:
            raise InputError(f"node `{address}` already exists")
        slot = _Slot(address, factory)
        self._slots[address] = slot
        self._boot(slot)
        return slot.obj

    def addresses(self) -> list[str]:
        """Every address, in the order nodes were added."""
        return list(self._slots)

    def node(self, address: str) -> Any:
        """The node object living at ``address``, or None while it is down."""
        slot = self._slots[address]
        return slot.obj if slot.transport is not None else None

    def transport(self, address: str) -> SimTransport | None:
        """The current transport of ``address`` (None while the node is down)."""
        return self._slots[address].transport

    def is_up(self, address: str) -> bool:
        return self._slots[address].transport is not None

    def members(self, group: str) -> list[str]:
        """The live members of multicast ``group``, in joining order."""
        return list(self._groups.get(group, ()))

    def crash(self, address: str, *, recover_after: float | None = None) -> None:
        """Crash ``address`` now: it stops sending and receiving, its timers and group memberships are
        dropped.  With ``recover_after``, it reboots that many seconds later as a fresh node built by its
        factory (no state survives).  Crashing a node that is down does nothing."""
        slot = self._slot(address)
        if slot.transport is None:
            return
        slot.transport = None
        slot.handler = None
        for group in slot.groups:
            members = self._groups[group]
            del members[address]
            if not members:
                del self._groups[group]
        slot.groups = {}
        self._crashes += 1
        obj = slot.obj
        hook = getattr(obj, "on_crash", None)
        if callable(hook):
            hook()
        if recover_after is not None:
            self.call_later(recover_after, lambda: self.recover(address))

    def recover(self, address: str) -> Any:
        """Reboot a crashed node now with fresh state; returns the new node object (no-op if up)."""
        slot = self._slot(address)
        if slot.transport is None:
            self._recoveries += 1
            self._boot(slot)
        return slot.obj

    # -- network ------------------------------------------------------------------------

    def set_defaults(self, *, delay: tuple[float, float] | None = None, loss: float | None = None) -> None:
        """Change the default delay range and loss probability of every link without an override."""
        if delay is not None:
            _check_delay(delay)
            self._delay = (float(delay[0]), float(delay[1]))
        if loss is not None:
            _check_loss(loss)
            self._loss = float(loss)

    def set_link(self, src: str, dst: str, *, delay: tuple[float, float] | None = None,
                 loss: float | None = None, symmetric: bool = True) -> None:
        """Override delay and/or loss on the link ``src → dst`` (and back, if ``symmetric``)."""
        for pair in ((src, dst), (dst, src)) if symmetric else ((src, dst),):
            old_loss, old_delay = self._links.get(pair, (None, None))
            new_delay = delay if delay is not None else old_delay
            new_loss = loss if loss is not None else old_loss
            if new_delay is not None:
                _check_delay(new_delay)
            if new_loss is not None:
                _check_loss(new_loss)
            self._links[pair] = (new_loss, new_delay)

    def partition(self, groups: Sequence[Sequence[str]], *, start: float | None = None,
                  end: float | None = None) -> None:
        """Cut the network into ``groups`` from ``start`` (default: now) to ``end`` (default: forever).

        Messages pass only between nodes of the same group; nodes named in no
        group form one more group together.  Several partitions may overlap:
        two nodes talk only if every active partition puts them together.
        """
        for group in groups:
            for addr in group:
                self._slot(addr)
        part = _Partition(groups)
        t0 = self._now if start is None else start
        if end is not None and end <= t0:
            raise InputError(f"a partition must end after it starts (start {t0}, end {end})")
        self.call_at(t0, lambda: self._partitions.append(part))
        if end is not None:
            self.call_at(end, lambda: self._partitions.remove(part))

    def connected(self, a: str, b: str) -> bool:
        """Whether messages can pass between ``a`` and ``b`` right now (partitions only)."""
        for part in self._partitions:
            if part.side.get(a, -1) != part.side.get(b, -1):
                return False
        return True

    def apply_faults(self, spec: Any, *, horizon: float, role_of: Callable[[str], str | None] | None = None,
                     nodes: Iterable[str] | None = None) -> list[tuple[float, str]]:
        """Install the faults of ``spec`` (a string in the grammar of :mod:`.faults`, or a parsed
        :class:`~.faults.FaultSpec`).

        Crash times are drawn uniformly in ``[0, horizon)`` from the ``faults``
        generator, one draw per node in ``nodes`` order (default: every node,
        in the order they were added).  A crash restricted to a role
        (``crash:P:on:ROLE``) asks ``role_of(address)`` at the crash time and
        happens only if the node then plays ``ROLE``.  Returns the scheduled
        crashes as ``(time, address)``, sorted.
        """
        from .faults import FaultSpec, parse_faults
        if isinstance(spec, str):
            spec = parse_faults(spec)
        if not isinstance(spec, FaultSpec):
            raise TypeError(f"expected a fault spec string or FaultSpec, got {type(spec).__name__}")
        if spec.loss is not None or spec.delay is not None:
            self.set_defaults(delay=spec.delay, loss=spec.loss)
        for p in spec.partitions:
            unknown = [a for g in p.groups for a in g if a not in self._slots]
            if unknown:
                raise InputError(f"fault `{p.text}` names unknown node `{unknown[0]}`; nodes are "
                                 f"{_sample(self._slots)}")
            self.partition(p.groups, start=p.start, end=p.end)
        planned: list[tuple[float, str]] = []
        if spec.crashes:
            if horizon <= 0:
                raise InputError("crash faults need a positive time horizon (--until)")
            rng = self.rng("faults")
            order = list(self._slots) if nodes is None else list(nodes)
            for ci, crash in enumerate(spec.crashes):
                if crash.role is not None and role_of is None:
                    raise InputError(f"fault `{crash.text}` targets role `{crash.role}`, but this run "
                                     f"does not define node roles")
                for addr in order:
                    hit = rng.random() < crash.probability
                    at = rng.random() * horizon
                    if hit:
                        planned.append((at, addr))
                        self.call_at(at, self._crash_action(addr, crash.down_for, crash.role, role_of))
        return sorted(planned)

    def _crash_action(self, addr: str, down_for: float | None, role: str | None,
                      role_of: Callable[[str], str | None] | None) -> Callable[[], None]:
        def act() -> None:
            if role is not None and (role_of is None or role_of(addr) != role):
                return
            self.crash(addr, recover_after=down_for)
        return act

    # -- internals ----------------------------------------------------------------------

    def _slot(self, address: str) -> _Slot:
        try:
            return self._slots[address]
        except KeyError:
            raise InputError(f"unknown node `{address}`; nodes are {_sample(self._slots)}") from None

    def _boot(self, slot: _Slot) -> None:
        slot.incarnation += 1
        rng = self.rng(f"node:{slot.address}:{slot.incarnation}")
        transport = SimTransport(self, slot, rng)
        slot.transport = transport
        slot.handler = None
        slot.obj = None
        slot.obj = slot.factory(transport)

    def _push(self, time: float, fn: Callable[[Any], None], arg: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (time, self._seq, fn, arg))

    def _fire(self, timer: _Timer) -> None:
        cb = timer.callback
        if cb is None:
            return
        tr = timer.transport
        if tr is not None and tr._slot.transport is not tr:
            return  # its node crashed since
        timer.callback = None
        cb()

    def _deliver(self, arg: tuple[_Slot, str, dict]) -> None:
        slot, src, message = arg
        handler = slot.handler
        if handler is None:
            return
        self._delivered += 1
        handler(src, message)

    def _link(self, src: str, dst: str) -> tuple[float, tuple[float, float]]:
        override = self._links.get((src, dst))
        if override is not None:
            loss, delay = override
            return (self._loss if loss is None else loss), (self._delay if delay is None else delay)
        return self._loss, self._delay

    def _copy_for(self, src: str, dst_slot: _Slot, message: dict, lossless: bool) -> None:
        """Put one copy of ``message`` on the wire to ``dst_slot`` (or lose it)."""
        self._sent += 1
        dst = dst_slot.address
        if self._links and (src, dst) in self._links:
            loss, (lo, hi) = self._link(src, dst)
        else:
            loss, (lo, hi) = self._loss, self._delay
        if lossless:
            delay = lo
        else:
            if self._partitions and not self.connected(src, dst):
                self._lost += 1
                return
            if loss and self._net.random() < loss:
                self._lost += 1
                return
            delay = lo if lo == hi else lo + (hi - lo) * self._net.random()
        if self.check_messages:
            message = _json_copy(message)
        self._seq += 1
        heapq.heappush(self._heap, (self._now + delay, self._seq, self._deliver, (dst_slot, src, message)))

    def _send(self, src: str, dest: str, message: dict) -> None:
        if self.check_messages:
            _json_copy(message)  # fail at the sender's call site, even when the copy is lost
        slot = self._slots.get(dest)
        if slot is None:
            self._sent += 1
            self._lost += 1
            return
        self._copy_for(src, slot, message, lossless=(dest == src))

    def _multicast(self, src: str, group: str, message: dict) -> None:
        if self.check_messages:
            _json_copy(message)
        members = self._groups.get(group)
        if not members:
            return
        for addr, slot in members.items():  # delivery is scheduled: no callback runs in this loop
            self._copy_for(src, slot, message, lossless=(addr == src))

    def _join(self, slot: _Slot, group: str) -> None:
        slot.groups[group] = None
        self._groups.setdefault(group, {})[slot.address] = slot

    def _leave(self, slot: _Slot, group: str) -> None:
        if group in slot.groups:
            del slot.groups[group]
            members = self._groups[group]
            del members[slot.address]
            if not members:
                del self._groups[group]


def _json_copy(message: Any) -> Any:
    if not isinstance(message, dict):
        raise TypeError(f"messages are dicts, got {type(message).__name__}")
    text = json.dumps(message, allow_nan=False)
    back = json.loads(text)
    if back != message:
        raise TypeError(f"message does not survive JSON unchanged (tuples or non-string keys?): {message!r}")
    return back


def _check_delay(delay: tuple[float, float]) -> None:
    lo, hi = delay
    if not (0 <= lo <= hi):
        raise InputError(f"a delay range needs 0 <= MIN <= MAX, got {lo}-{hi}")


def _check_loss(loss: float) -> None:
    if not (0 <= loss < 1):
        raise InputError(f"a loss probability must be in [0, 1), got {loss}")


def _sample(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(f"`{n}`" for n in names[:5])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 5 else "") if names else "none"
