"""Breadth-first construction of a net's state space.

Breadth-first order makes the parent links a shortest-path tree, so the path
to any marking (a dead one, a property violation) is shortest.  Each state
stores its marking, its BFS parent and the transition that reached it; the
binding is recomputed when a path is asked for, which keeps states small.

Two explorers build the same state space (same numbering, same edges in the
same order, same paths, same errors): this module's, in Python, and the
compiled one (:mod:`.compiled`), which unfolds the net into a P/T net and
explores it in C.  ``explore(..., explorer="auto")`` picks the compiled one
when its extension is built and the unfolding is small enough; the
environment variable ``PROTOVERIFY_EXPLORER`` sets the default.
"""

from __future__ import annotations

import os
import sys
import time
from array import array
from dataclasses import dataclass, field

from ..errors import ModelRuntimeError
from ..net import ir
from ..net.evaluate import EvalFailure, compile_expr
from ..net.show import binding_to_json, show_binding, show_marking
from .firing import CompiledTransition, compile_net

__all__ = ["explore", "StateSpace", "Step", "DEFAULT_MAX_STATES", "STRATEGIES", "EXPLORERS"]

DEFAULT_MAX_STATES = 2_000_000
STRATEGIES = ("bfs",)
# "compiled-py" is the compiled explorer's algorithm run in Python (for tests)
EXPLORERS = ("auto", "python", "compiled", "compiled-py")


@dataclass(frozen=True)
class Step:
    """One firing on a path: the transition, its binding, and where it leads."""

    transition: ir.Transition
    env: tuple
    target: int

    @property
    def binding(self) -> dict:
        return binding_to_json(self.transition, self.env)

    def show(self) -> str:
        b = show_binding(self.transition, self.env)
        return f"{self.transition.name}({b})" if b else self.transition.name

    @property
    def event(self) -> dict | None:
        """The trace event this step emits (``{"event": label, field: value}``), if any."""
        emit = self.transition.emit
        if emit is None:
            return None
        out = {"event": emit.label}
        for name, expr in emit.fields:
            out[name] = expr.type.to_json(compile_expr(expr)(list(self.env)))
        return out

    def to_json(self) -> dict:
        out = {"transition": self.transition.name, "binding": self.binding}
        event = self.event
        if event is not None:
            out["event"] = event
        return out


@dataclass
class StateSpace:
    """The reachable markings of a net and what was learnt building them."""

    net: ir.Net
    markings: list = field(default_factory=list)
    index: dict = field(default_factory=dict)
    parent: array = field(default_factory=lambda: array("q"))
    via: array = field(default_factory=lambda: array("i"))
    edges: int = 0
    dead: list = field(default_factory=list)
    bounds: list = field(default_factory=list)
    fired: list = field(default_factory=list)
    complete: bool = True
    stop_reason: str | None = None
    max_states: int = DEFAULT_MAX_STATES
    expanded: int = 0
    successors: list | None = None  # per state: list of (target, transition index, env), if kept
    elapsed: float = 0.0
    explorer: str = "python"        # which explorer built it ("python" or "compiled")
    fallback: str | None = None     # why the compiled explorer was not used, when it was asked for
    compact: bool = False           # hash compaction: states may have been missed
    workers: int = 1                # threads that expanded states (compiled explorer; Python: 1)

    def bytes_per_state(self) -> float | None:
        """Memory held per state (an estimate from a sample for the Python explorer)."""
        n = len(self.markings)
        if n == 0:
            return None
        sample = range(0, n, max(1, n // 256))
        own = 0
        for s in sample:
            m = self.markings[s]
            own += sys.getsizeof(m)
            before = self.markings[self.parent[s]] if s else ()
            for p, pl in enumerate(m):
                if s and pl is before[p]:
                    continue  # shared with the parent marking
                own += sys.getsizeof(pl) + sum(sys.getsizeof(pair) for pair in pl)
        per = own / len(sample)
        per += sys.getsizeof(self.index) / n + 8  # dict entry, list slot
        per += self.parent.itemsize + self.via.itemsize
        if self.successors is not None:
            edges = sum(len(o) for o in self.successors[:: max(1, len(self.successors) // 256)])
            per += 56 + 64 * edges / max(1, len(range(0, len(self.successors), max(1, len(self.successors) // 256))))
        return per

    @property
    def states(self) -> int:
        return len(self.markings)

    @property
    def dead_markings(self) -> int:
        return len(self.dead)

    @property
    def dead_transitions(self) -> list[str]:
        return [t.name for t in self.net.transitions if not self.fired[t.index]]

    def is_dead(self, state: int) -> bool:
        dead = self.__dict__.get("_dead_set")
        if dead is None:
            dead = self.__dict__["_dead_set"] = set(self.dead)
        return state in dead

    def enabled_transitions(self, state: int) -> frozenset[int]:
        """Indexes of the transitions enabled in ``state``."""
        cache = self.__dict__.setdefault("_enabled", {})
        got = cache.get(state)
        if got is None:
            if self.successors is not None and state < len(self.successors):
                got = frozenset(t for _, t, _ in self.successors[state])
            else:
                views = [dict(pl) for pl in self.markings[state]]
                got = frozenset(t.index for t in _compiled_for(self.net)
                                if next(iter(t.enabled(views)), None) is not None)
            cache[state] = got
        return got

    def is_enabled(self, state: int, transition: int) -> bool:
        return transition in self.enabled_transitions(state)

    def bindings_at(self, state: int, transition: int) -> list[tuple]:
        """The enabled bindings (environments) of one transition in ``state``."""
        views = [dict(pl) for pl in self.markings[state]]
        return [env for env, _ in _compiled_for(self.net)[transition].enabled(views)]

    def step(self, state: int, transition: int, env: tuple, target: int) -> "Step":
        return Step(self.net.transitions[transition], env, target)

    def bound_of(self, place: str) -> int:
        return self.bounds[self.net.place(place).index]

    def path_to(self, state: int) -> list[Step]:
        """A shortest firing sequence from the initial marking to ``state``."""
        chain = []
        s = state
        while s != 0:
            chain.append(s)
            s = self.parent[s]
        chain.reverse()
        compiled = _compiled_for(self.net)
        steps = []
        prev = 0
        for s in chain:
            t = compiled[self.via[s]]
            marking = self.markings[prev]
            views = [dict(pl) for pl in marking]
            target = self.markings[s]
            for env, removed in t.enabled(views):
                if t.fire(marking, views, env, removed) == target:
                    steps.append(Step(t.ir, env, s))
                    break
            else:  # pragma: no cover - a broken parent link
                from ..errors import InternalError
                raise InternalError(f"cannot replay step {prev} -> {s} by {t.name}")
            prev = s
        return steps


_COMPILED: dict = {}


def _compiled_for(net: ir.Net) -> list[CompiledTransition]:
    c = _COMPILED.get(net)
    if c is None:
        c = _COMPILED[net] = compile_net(net)
    return c


def explore(net: ir.Net, strategy: str = "bfs", *, max_states: int | None = None, timeout: float | None = None,
            keep_successors: bool = False, progress=None, explorer: str | None = None,
            compact: bool = False, workers: int = 1) -> StateSpace:
    """Build the reachable state space of ``net``.

    ``max_states`` (default :data:`DEFAULT_MAX_STATES`) and ``timeout`` (seconds)
    stop the construction early; the result then has ``complete`` False and
    ``stop_reason`` set.  ``progress`` is called now and then with the
    :class:`StateSpace` being built.

    ``explorer`` is ``"auto"`` (the default, or ``$PROTOVERIFY_EXPLORER``),
    ``"python"`` or ``"compiled"``; every choice gives the same result, and
    ``"compiled"`` falls back on the Python explorer (saying why in
    ``fallback``) for nets it cannot unfold.  ``compact`` turns on hash
    compaction (compiled explorer only): 64-bit fingerprints instead of
    markings in the visited table, so a state may be missed with the
    probability :func:`.compiled.missed_state_probability` gives.

    ``workers`` (compiled explorer only; ``0``: every core this process may
    use) expands the queue in batches on that many threads and commits the
    batch in queue order, so the result is the same as with one: same state
    numbers, edges, dead markings, paths, errors, and the same place where a
    limit stops.  The Python explorer always runs on one thread.

    >>> from protoverify import load_model_text
    >>> net = load_model_text('''
    ...   model Toggle
    ...   colset Bit = 0..1
    ...   place P : Bit = 0
    ...   transition flip in P : b  out P : 1 - b
    ... ''')
    >>> space = explore(net)
    >>> space.states, space.edges, space.dead_markings
    (2, 2, 0)
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if explorer is None:
        explorer = os.environ.get("PROTOVERIFY_EXPLORER") or "auto"
    if explorer not in EXPLORERS:
        raise ValueError(f"unknown explorer {explorer!r}; choose one of auto, python, compiled")
    limit = DEFAULT_MAX_STATES if max_states is None else max_states
    if limit < 1:
        raise ValueError("max_states must be at least 1")
    if compact and keep_successors:
        raise ValueError("hash compaction (compact=True) does not keep the state graph (keep_successors)")
    workers = resolve_workers(workers)
    start = time.monotonic()
    compiled = _compiled_for(net)
    fallback = None
    if explorer != "python":
        from . import compiled as cx
        if explorer == "auto" and not cx.extension_available():
            fallback = "the compiled extension is not built"
        else:
            try:
                space = cx.explore_compiled(
                    net, compiled, limit=limit, timeout=timeout, keep_successors=keep_successors,
                    progress=progress, compact=compact, start=start,
                    backend="python" if explorer == "compiled-py" else "c",
                    limits=cx.AUTO_LIMITS if explorer == "auto" else None, workers=workers)
                space.explorer = "compiled"
                return space
            except cx.Fallback as err:
                fallback = str(err)
    space = _explore_python(net, compiled, limit, timeout, keep_successors, progress, start)
    if explorer != "python":
        space.fallback = fallback
    elif compact:
        space.fallback = "hash compaction needs the compiled explorer"
    return space


def resolve_workers(workers) -> int:
    """The number of threads ``workers`` asks for: itself, or every usable core for ``0``.

    >>> resolve_workers(3)
    3
    >>> resolve_workers(0) >= 1
    True
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"workers must be a whole number >= 0 (0: every core), not {workers!r}")
    if workers == 0:
        try:
            workers = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # pragma: no cover - not Linux
            workers = os.cpu_count() or 1
    return max(1, min(workers, 255))


def _explore_python(net, compiled, limit, timeout, keep_successors, progress, start) -> StateSpace:
    space = StateSpace(net, max_states=limit)
    nplaces = len(net.places)
    space.bounds = [0] * nplaces
    space.fired = [False] * len(compiled)
    if keep_successors:
        space.successors = []
    initial = net.initial_marking
    markings, index, parent, via = space.markings, space.index, space.parent, space.via
    markings.append(initial)
    index[initial] = 0
    parent.append(0)
    via.append(-1)
    bounds = space.bounds
    for p in range(nplaces):
        bounds[p] = sum(n for _, n in initial[p])
    fired = space.fired
    succ_lists = space.successors
    deadline = None if timeout is None else start + timeout
    edges = 0
    head = 0
    tick = 0
    while head < len(markings):
        if tick >= 256:
            tick = 0
            if deadline is not None and time.monotonic() >= deadline:
                space.complete, space.stop_reason = False, "timeout"
                break
            if progress is not None:
                space.edges, space.expanded = edges, head
                progress(space)
        tick += 1
        marking = markings[head]
        views = [dict(pl) for pl in marking]
        any_enabled = False
        out = [] if succ_lists is not None else None
        t = env = None
        try:
            for t in compiled:
                skip = False
                for p in t.required:
                    if not marking[p]:
                        skip = True
                        break
                if skip:
                    continue
                for env, removed in t.enabled(views):
                    any_enabled = True
                    fired[t.index] = True
                    new = t.fire(marking, views, env, removed)
                    edges += 1
                    target = index.get(new)
                    if target is None:
                        if len(markings) >= limit:
                            space.complete, space.stop_reason = False, "max-states"
                            break
                        target = len(markings)
                        index[new] = target
                        markings.append(new)
                        parent.append(head)
                        via.append(t.index)
                        for p in t.touched:
                            total = 0
                            for _, n in new[p]:
                                total += n
                            if total > bounds[p]:
                                bounds[p] = total
                    if out is not None:
                        out.append((target, t.index, env))
                if not space.complete:
                    break
        except EvalFailure as err:
            raise _runtime_error(net, t, env, marking, err) from None
        except RecursionError:
            raise _runtime_error(net, t, env, marking, EvalFailure("expression nesting too deep")) from None
        if not space.complete:
            break
        if out is not None:
            succ_lists.append(out)
        if not any_enabled:
            space.dead.append(head)
        head += 1
    space.expanded = head
    space.edges = edges
    space.elapsed = time.monotonic() - start
    if progress is not None:
        progress(space)
    return space


def _runtime_error(net, t, env, marking, err: EvalFailure) -> ModelRuntimeError:
    binding = {}
    env = getattr(err, "env", env)
    if t is not None and env is not None:
        tr = t.ir
        binding = {name: cs.show(env[i]) for i, (name, cs) in enumerate(tr.variables)
                   if i < len(env) and env[i] is not None}
    return ModelRuntimeError(
        err.message, transition=t.name if t is not None else "", binding=binding,
        marking=show_marking(net, marking), hint=err.hint, location=str(err.loc) if err.loc else "")
