"""The compiled explorer: the unfolded net explored by a small C core.

:func:`explore_compiled` unfolds the net (:mod:`.unfold`), hands the P/T net
to ``_cexplore.Core`` (or to :class:`PyCore`, the same algorithm in Python,
when the extension is not built) and wraps the result in a
:class:`PackedStateSpace`, which behaves like the Python explorer's
:class:`~.statespace.StateSpace`: same state numbers, same edges in the same
order, same dead markings, same paths.  Markings are decoded when asked for.

The C core never evaluates model expressions.  Where the unfolding found that
an evaluation may fail (a *trap*), the core calls :func:`_delegate`, which
runs the Python explorer's own code on that one marking and transition, so a
model's run-time error is reported exactly as the Python explorer reports it.

Set ``PROTOVERIFY_NO_EXT=1`` to ignore the extension (as if it were not built).
"""

from __future__ import annotations

import math
import os
import time
import weakref
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import InternalError, ModelRuntimeError
from ..net import ir
from ..net.evaluate import EvalFailure
from .unfold import CannotUnfold, OP_BIND, OP_END, OP_TEST, OP_TRAP, Unfolding, unfold

__all__ = ["explore_compiled", "extension_available", "Fallback", "PackedStateSpace", "PyCore",
           "unfolding_for", "AUTO_LIMITS"]

try:
    if os.environ.get("PROTOVERIFY_NO_EXT"):
        raise ImportError("disabled by PROTOVERIFY_NO_EXT")
    from . import _cexplore  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the build
    _cexplore = None

ST_RUNNING, ST_DONE, ST_LIMIT, ST_ERROR = 0, 1, 2, 3

# `explorer="auto"` unfolds only nets this small (the unfolding costs about a
# microsecond per counter and per candidate binding; the Python explorer needs
# none of it for a few hundred states)
AUTO_LIMITS = {"max_slots": 65_536, "max_bindings": 1_000_000, "max_work": 4_000_000}

HASH_SEED = 0x5EED_C0DE_2024


def extension_available() -> bool:
    """Whether the C core is built and enabled."""
    return _cexplore is not None


class Fallback(Exception):
    """The compiled explorer cannot explore this net; use the Python one."""


_UNFOLDED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def unfolding_for(net: ir.Net, compiled, limits: dict | None = None) -> Unfolding:
    """The net's unfolding (cached), or :class:`Fallback`."""
    key = tuple(sorted((limits or {}).items()))
    cache = _UNFOLDED.setdefault(net, {})
    got = cache.get(key)
    if got is None:
        try:
            got = unfold(net, compiled, **(limits or {}))
        except CannotUnfold as err:
            got = err
        cache[key] = got
    if isinstance(got, CannotUnfold):
        raise Fallback(str(got))
    return got


# ------------------------------------------------------------ flat encoding
def _flatten(u: Unfolding) -> dict:
    """The unfolding as the int arrays the C core reads."""
    prog = array("i")
    prog_start = array("i")
    for p in u.programs:
        base = len(prog)
        prog_start.append(base)
        i = 0
        while i < len(p):
            op = p[i]
            if op == OP_TEST:
                prog.extend((OP_TEST, p[i + 1], p[i + 2] + base))
                i += 3
            elif op in (OP_BIND, OP_TRAP):
                prog.extend((op, p[i + 1]))
                i += 2
            else:
                prog.append(OP_END)
                i += 1
    bind = array("i")
    bind_off = array("q")
    for b in u.bindings:
        bind_off.append(len(bind))
        bind.append(b.transition)
        bind.append(len(b.need))
        for s, n in b.need:
            bind.extend((s, n))
        bind.append(len(b.inhibit))
        bind.extend(b.inhibit)
        bind.append(len(b.delta))
        for s, d in b.delta:
            bind.extend((s, d))
        bind.append(len(b.grow))
        for p, d in b.grow:
            bind.extend((p, d))
    trap = array("i")
    trap_off = array("i")
    for tr in u.trap_list:
        trap_off.append(len(trap))
        trap.append(len(tr.ge))
        for s, n in tr.ge:
            trap.extend((s, n))
        trap.append(len(tr.zero))
        trap.extend(tr.zero)
        trap.append(len(tr.nonempty))
        trap.extend(tr.nonempty)
    place_range = array("i")
    for lo, hi in u.place_range:
        place_range.extend((lo, hi))
    return dict(nslots=u.nslots, nplaces=len(u.place_range), ntrans=len(u.programs), trigger=array("i", u.trigger),
                slot_place=array("i", u.slot_place), place_range=place_range, prog=prog, prog_start=prog_start,
                bind=bind, bind_off=bind_off, trap=trap, trap_off=trap_off,
                initial=array("I", u.initial), slot_values=list(u.slot_value))


# ------------------------------------------------------------ delegation
class _Mismatch(Exception):
    """The Python explorer found a binding the unfolding does not have (a bug: fall back)."""


def _make_delegate(net: ir.Net, compiled, u: Unfolding):
    from .statespace import _runtime_error

    index = u.binding_index

    def delegate(t: int, marking: tuple):
        ct = compiled[t]
        for p in ct.required:
            if not marking[p]:
                return [], None
        views = [dict(pl) for pl in marking]
        out = []
        env = None
        try:
            for env, removed in ct.enabled(views):
                ct.fire(marking, views, env, removed)
                got = index.get((t, env))
                if got is None:
                    raise _Mismatch(f"transition {ct.name}: binding {env!r} is not in the unfolding")
                out.append(got)
        except EvalFailure as err:
            return out, _runtime_error(net, ct, env, marking, err)
        except RecursionError:
            return out, _runtime_error(net, ct, env, marking, EvalFailure("expression nesting too deep"))
        return out, None
    return delegate


# ------------------------------------------------------------ the Python core
class PyCore:
    """The C core's algorithm in Python: the reference it is tested against.

    States are tuples of counters; the interface is ``_cexplore.Core``'s.
    """

    def __init__(self, *, nslots, nplaces, ntrans, slot_place, place_range, prog, prog_start, bind, bind_off,
                 trap, trap_off, initial, slot_values, delegate, limit, keep, compact, seed=0, trigger=None,
                 workers=1):
        if compact:
            raise ValueError("PyCore does not do hash compaction")
        self.nslots, self.nplaces, self.ntrans = nslots, nplaces, ntrans
        self.place_range = [(place_range[2 * i], place_range[2 * i + 1]) for i in range(nplaces)]
        self.slot_values = slot_values
        self.prog = list(prog)
        self.prog_start = list(prog_start)
        self.binds = []
        for off in bind_off:
            q = off
            t = bind[q]
            n = bind[q + 1]
            need = [(bind[q + 2 + 2 * i], bind[q + 3 + 2 * i]) for i in range(n)]
            q += 2 + 2 * n
            n = bind[q]
            inhibit = list(bind[q + 1:q + 1 + n])
            q += 1 + n
            n = bind[q]
            delta = [(bind[q + 1 + 2 * i], bind[q + 2 + 2 * i]) for i in range(n)]
            q += 1 + 2 * n
            n = bind[q]
            grow = [(bind[q + 1 + 2 * i], bind[q + 2 + 2 * i]) for i in range(n)]
            self.binds.append((t, need, inhibit, delta, grow))
        self.trap_list = []
        for q in trap_off:
            n = trap[q]
            ge = [(trap[q + 1 + 2 * i], trap[q + 2 + 2 * i]) for i in range(n)]
            q += 1 + 2 * n
            n = trap[q]
            zero = list(trap[q + 1:q + 1 + n])
            q += 1 + n
            n = trap[q]
            nonempty = list(trap[q + 1:q + 1 + n])
            self.trap_list.append((ge, zero, nonempty))
        self.delegate = delegate
        self.limit = max(1, min(limit, 0xFFFFFFFE))
        self.keep = keep
        init = tuple(initial)
        self._states = [init]
        self._index = {init: 0}
        self._parent = [0]
        self._dead = []
        self._bounds = [sum(init[lo:hi]) for lo, hi in self.place_range]
        self._fired = [False] * ntrans
        self._succ = [] if keep else None
        self.head = 0
        self._edges = 0
        self.status = ST_RUNNING
        self.error = None

    states = property(lambda self: len(self._states))
    expanded = property(lambda self: self.head)
    edges = property(lambda self: self._edges)

    def _holds(self, c, trap) -> bool:
        ge, zero, nonempty = trap
        return (all(c[s] >= n for s, n in ge) and all(c[s] == 0 for s in zero)
                and all(any(c[lo:hi]) for lo, hi in (self.place_range[p] for p in nonempty)))

    def _enabled(self, c):
        out = []
        for t in range(self.ntrans):
            start = len(out)
            prog = self.prog
            pc = self.prog_start[t]
            while True:
                op = prog[pc]
                if op == OP_TEST:
                    pc = pc + 3 if c[prog[pc + 1]] else prog[pc + 2]
                elif op == OP_BIND:
                    u = prog[pc + 1]
                    _, need, inhibit, _, _ = self.binds[u]
                    if all(c[s] >= n for s, n in need) and not any(c[s] for s in inhibit):
                        out.append(u)
                    pc += 2
                elif op == OP_TRAP:
                    if self._holds(c, self.trap_list[prog[pc + 1]]):
                        del out[start:]         # Python decides for the whole transition
                        us, err = self.delegate(t, self._decode(c))
                        out.extend(us)
                        if err is not None:
                            return out, err
                        break
                    pc += 2
                else:
                    break
        return out, None

    def _fire(self, c, u):
        new = list(c)
        for s, d in self.binds[u][3]:
            new[s] += d
            if new[s] > 0xFFFFFFFF:
                raise OverflowError("a place holds more than 2^32-1 tokens of one colour")
        return tuple(new)

    def run(self, budget: int) -> int:
        if self.status != ST_RUNNING:
            return self.status
        states, index = self._states, self._index
        for _ in range(budget):
            if self.head >= len(states):
                self.status = ST_DONE
                break
            head = self.head
            c = states[head]
            us, err = self._enabled(c)
            out = [] if self.keep else None
            stopped = False
            for u in us:
                t = self.binds[u][0]
                self._fired[t] = True
                new = self._fire(c, u)
                self._edges += 1
                target = index.get(new)
                if target is None:
                    if len(states) >= self.limit:
                        self.status = ST_LIMIT
                        stopped = True
                        break
                    target = len(states)
                    index[new] = target
                    states.append(new)
                    self._parent.append(head)
                    for p, _ in self.binds[u][4]:
                        lo, hi = self.place_range[p]
                        total = sum(new[lo:hi])
                        if total > self._bounds[p]:
                            self._bounds[p] = total
                if out is not None:
                    out.append((target, u))
            if stopped:
                break
            if err is not None:
                self.error = err
                self.status = ST_ERROR
                break
            if out is not None:
                self._succ.append(out)
            if not us:
                self._dead.append(head)
            self.head = head + 1
        if self.status == ST_RUNNING and self.head >= len(states):
            self.status = ST_DONE
        return self.status

    def _decode(self, c) -> tuple:
        values = self.slot_values
        return tuple(tuple((values[s], c[s]) for s in range(lo, hi) if c[s]) for lo, hi in self.place_range)

    def _check(self, s):
        if not 0 <= s < len(self._states):
            raise IndexError("state out of range")

    def marking(self, s: int) -> tuple:
        self._check(s)
        return self._decode(self._states[s])

    def counts(self, s: int) -> tuple:
        self._check(s)
        return self._states[s]

    def first_edge(self, src: int, dst: int) -> int:
        self._check(src)
        self._check(dst)
        c = self._states[src]
        target = self._states[dst]
        us, _ = self._enabled(c)
        for u in us:
            if self._fire(c, u) == target:
                return u
        return -1

    def lookup(self, counts) -> int:
        return self._index.get(tuple(counts), -1)

    def successors(self, s: int) -> list:
        if self._succ is None or not 0 <= s < len(self._succ):
            raise IndexError("no successors kept for this state")
        return list(self._succ[s])

    def parent(self, s: int) -> int:
        self._check(s)
        return self._parent[s]

    def dead(self) -> list:
        return list(self._dead)

    def bounds(self) -> list:
        return list(self._bounds)

    def fired(self) -> list:
        return list(self._fired)

    def memory(self) -> int:
        import sys
        n = len(self._states)
        sample = self._states[:: max(1, n // 256)]
        per = sum(sys.getsizeof(c) for c in sample) / max(1, len(sample))
        return int(n * (per + 8 + 8) + sys.getsizeof(self._index) + sys.getsizeof(self._parent))

    def stats(self) -> dict:
        return {"states": len(self._states), "expanded": self.head, "edges": self._edges, "memory": self.memory()}


# ------------------------------------------------------------ lazy views
class _Markings(Sequence):
    """``space.markings``: decoded on access."""

    def __init__(self, core):
        self._core = core

    def __len__(self) -> int:
        return self._core.states

    def __getitem__(self, s):
        if isinstance(s, slice):
            return [self[i] for i in range(*s.indices(len(self)))]
        n = self._core.states
        if s < 0:
            s += n
        if not 0 <= s < n:
            raise IndexError("state out of range")
        return self._core.marking(s)


class _Parents(Sequence):
    def __init__(self, core):
        self._core = core

    def __len__(self) -> int:
        return self._core.states

    def __getitem__(self, s):
        if isinstance(s, slice):
            return [self[i] for i in range(*s.indices(len(self)))]
        if s < 0:
            s += len(self)
        return self._core.parent(s)


class _Via(Sequence):
    """The transition that first reached each state (``-1`` for the initial one)."""

    def __init__(self, core, u: Unfolding):
        self._core, self._u = core, u

    def __len__(self) -> int:
        return self._core.states

    def __getitem__(self, s):
        if isinstance(s, slice):
            return [self[i] for i in range(*s.indices(len(self)))]
        if s < 0:
            s += len(self)
        if s == 0:
            return -1
        b = self._core.first_edge(self._core.parent(s), s)
        return self._u.bindings[b].transition


class _Successors(Sequence):
    """``space.successors``: per expanded state, ``[(target, transition, env)]``."""

    def __init__(self, core, u: Unfolding):
        self._core, self._u = core, u

    def __len__(self) -> int:
        return self._core.expanded

    def __getitem__(self, s):
        if isinstance(s, slice):
            return [self[i] for i in range(*s.indices(len(self)))]
        if s < 0:
            s += len(self)
        if not 0 <= s < len(self):
            raise IndexError("state out of range")
        bindings = self._u.bindings
        out = []
        for target, b in self._core.successors(s):
            pt = bindings[b]
            out.append((target, pt.transition, pt.env))
        return out


class _Index(Mapping):
    """``space.index``: marking -> state number."""

    def __init__(self, core, u: Unfolding):
        self._core, self._u = core, u

    def __getitem__(self, marking):
        try:
            counts = self._u.counts(marking)
        except (KeyError, TypeError, ValueError, IndexError):
            raise KeyError(marking) from None
        s = self._core.lookup(counts)
        if s < 0:
            raise KeyError(marking)
        return s

    def __iter__(self):
        return iter(_Markings(self._core))

    def __len__(self) -> int:
        return self._core.states


from .statespace import StateSpace, Step  # noqa: E402  (statespace imports this module lazily)


@dataclass
class PackedStateSpace(StateSpace):
    """A :class:`StateSpace` whose markings live packed in the compiled core."""

    core: object = None
    unfolding: Unfolding | None = None
    core_stats: dict = field(default_factory=dict)

    def bytes_per_state(self) -> float | None:
        n = self.core.states
        return self.core.memory() / n if n else None

    @property
    def missed_state_probability(self) -> float:
        return missed_state_probability(self.states) if self.compact else 0.0

    def path_to(self, state: int) -> list[Step]:
        core, u, net = self.core, self.unfolding, self.net
        chain = []
        s = state
        while s != 0:
            chain.append(s)
            s = core.parent(s)
        chain.reverse()
        steps = []
        prev = 0
        for s in chain:
            b = core.first_edge(prev, s)
            if b < 0:  # pragma: no cover - a broken parent link
                raise InternalError(f"cannot replay step {prev} -> {s}")
            pt = u.bindings[b]
            steps.append(Step(net.transitions[pt.transition], pt.env, s))
            prev = s
        return steps


def missed_state_probability(states: int) -> float:
    """Probability that two of ``states`` distinct markings share a 64-bit fingerprint.

    The birthday bound TLC prints ("calculated (optimistic)"): with n
    fingerprints of 64 random bits, ``1 - exp(-n(n-1)/2^65)``.  A collision
    makes the explorer take a new marking for an old one and miss it and
    everything reachable only through it.
    """
    n = float(states)
    return -math.expm1(-n * (n - 1) / 2.0 ** 65)


# ------------------------------------------------------------ the driver
def _parallel_tuning() -> dict:
    """``PROTOVERIFY_PARALLEL_BATCH=MIN,BATCH`` (for tests): the queue length that starts
    the worker threads and the states per batch (defaults 256 and 16,384)."""
    spec = os.environ.get("PROTOVERIFY_PARALLEL_BATCH")
    if not spec:
        return {}
    try:
        lo, batch = (int(x) for x in spec.split(","))
    except ValueError:
        raise ValueError(f"PROTOVERIFY_PARALLEL_BATCH must be MIN,BATCH (two whole numbers), not {spec!r}") from None
    return {"par_min": max(1, lo), "par_batch": max(1, batch)}


def explore_compiled(net: ir.Net, compiled, *, limit: int, timeout: float | None, keep_successors: bool,
                     progress, compact: bool = False, backend: str = "auto", limits: dict | None = None,
                     start: float | None = None, workers: int = 1) -> PackedStateSpace:
    """Explore ``net`` with the compiled core; :class:`Fallback` if it cannot.

    ``workers`` > 1: the C core expands each batch of queued states on that
    many threads and commits them in queue order (same result).
    """
    t0 = time.monotonic() if start is None else start
    u = unfolding_for(net, compiled, limits)
    if backend == "auto":
        backend = "c" if _cexplore is not None else "python"
    if backend == "c" and _cexplore is None:
        raise Fallback("the compiled extension is not built")
    if compact and backend != "c":
        raise Fallback("hash compaction needs the compiled extension")
    if compact and keep_successors:
        raise Fallback("hash compaction does not keep the state graph")
    kwargs = _flatten(u)
    Core = _cexplore.Core if backend == "c" else PyCore
    if backend == "c" and workers > 1:
        kwargs.update(_parallel_tuning())
    core = Core(**kwargs, delegate=_make_delegate(net, compiled, u), limit=limit, keep=keep_successors,
                compact=compact, seed=HASH_SEED, workers=workers if backend == "c" else 1)
    space = PackedStateSpace(net, max_states=limit, core=core, unfolding=u, compact=compact,
                             workers=workers if backend == "c" else 1)
    space.markings = _Markings(core)
    space.parent = _Parents(core)
    space.via = _Via(core, u)
    space.index = _Index(core, u)
    deadline = None if timeout is None else t0 + timeout
    chunk = 1024
    try:
        while True:
            c0 = time.monotonic()
            status = core.run(chunk)
            now = time.monotonic()
            if status != ST_RUNNING:
                break
            if deadline is not None and now >= deadline:
                space.complete, space.stop_reason = False, "timeout"
                break
            if progress is not None:
                space.edges, space.expanded = core.edges, core.expanded
                progress(space)
            if now - c0 < 0.02 and chunk < 1 << 20:
                chunk *= 2
    except _Mismatch as err:  # pragma: no cover - a bug in the unfolding
        raise Fallback(str(err)) from None
    except OverflowError as err:
        raise Fallback(str(err)) from None
    if status == ST_ERROR:
        err = core.error
        if isinstance(err, ModelRuntimeError):
            raise err
        raise InternalError(f"compiled explorer: unexpected error {err!r}")  # pragma: no cover
    if status == ST_LIMIT:
        space.complete, space.stop_reason = False, "max-states"
    space.edges = core.edges
    space.expanded = core.expanded
    space.dead = core.dead()
    space.bounds = core.bounds()
    space.fired = core.fired()
    if keep_successors:
        space.successors = _Successors(core, u)
    space.elapsed = time.monotonic() - t0
    space.core_stats = dict(core.stats())
    space.core_stats["backend"] = backend
    if progress is not None:
        progress(space)
    return space
