"""Breadth-first exploration with symmetry and/or partial-order reduction.

The reduced explorer is the Python explorer's loop (same firing code, same
canonical order of bindings) with two hooks: the enabled bindings of a
marking are cut down to a stubborn set (``por``), and every new marking is
replaced by its orbit's representative (``symmetry``).  It always runs in
Python: the compiled core is not used (``stats.fallback`` says so).

What the result means:

* ``symmetry``: one state per orbit; dead markings, bounds, fired
  transitions and symmetric predicates are those of the full space (each
  state stands for its whole orbit).  Paths are mapped back to concrete
  firings that end exactly in the representative shown.
* ``por``: a subset of the reachable markings containing every dead marking
  (and, in ``visible`` mode, a violation of every safety property whose
  places are visible, if one exists).  Bounds are lower bounds and a
  transition that never fired may still be live.  Paths are real but may be
  longer than the shortest one.

>>> from protoverify import load_model_text
>>> net = load_model_text('''
...   model M
...   colset Node = 1..4 symmetric
...   place Idle : Node = all
...   place Busy : Node
...   transition go in Idle : n  out Busy : n
... ''')
>>> full = explore_reduced(net, symmetry=False, por=False)
>>> sym = explore_reduced(net, symmetry=True, por=False)
>>> por = explore_reduced(net, symmetry=False, por=True)
>>> full.states, sym.states, por.states, full.dead_markings, sym.dead_markings, por.dead_markings
(16, 5, 5, 1, 1, 1)
"""

from __future__ import annotations

import time

from ...errors import ModelRuntimeError  # noqa: F401  (raised through _runtime_error)
from ...net import ir
from ...net.evaluate import EvalFailure
from ..statespace import DEFAULT_MAX_STATES, StateSpace, Step, _compiled_for, _runtime_error

__all__ = ["explore_reduced", "ReducedStateSpace", "GHOST"]

GHOST = 1 << 40  # step targets from here on are concrete markings of a mapped path, not states


class _Markings(list):
    """The states' markings, plus markings met on concrete paths (indexes from :data:`GHOST`)."""

    def __init__(self):
        super().__init__()
        self.ghosts: list = []

    def __getitem__(self, i):
        if type(i) is int and i >= GHOST:
            return self.ghosts[i - GHOST]
        return super().__getitem__(i)


class ReducedStateSpace(StateSpace):
    """A state space built with reductions; ``reductions`` lists those applied."""

    reductions: tuple = ()
    notes: list = None  # type: ignore[assignment]
    canon = None
    visible: frozenset | None = None

    def path_to(self, state: int) -> list[Step]:
        if self.canon is None:
            return super().path_to(state)
        return _symmetric_path(self, state)


def explore_reduced(net: ir.Net, *, symmetry: bool, por: bool, visible: frozenset | None = None,
                    max_states: int | None = None, timeout: float | None = None, keep_successors: bool = False,
                    progress=None, max_perms: int | None = None, keep_errors: bool = False) -> ReducedStateSpace:
    """Explore ``net`` with the reductions asked for (those that do not apply are noted in ``notes``).

    ``visible``: place indexes whose markings the properties look at; when
    given (even empty), POR also keeps safety properties on those places
    (visibility and cycle proviso); None keeps dead markings only.
    """
    start = time.monotonic()
    compiled = _compiled_for(net)
    limit = DEFAULT_MAX_STATES if max_states is None else max_states
    space = ReducedStateSpace(net, max_states=limit)
    space.markings = _Markings()
    space.notes = []
    space.explorer = "python"
    applied = []
    canon = None
    if symmetry:
        from .symmetry import MAX_PERMS, Canonicaliser
        c = Canonicaliser(net, max_perms=max_perms or MAX_PERMS)
        if c.active:
            canon = c
            applied.append("symmetry")
        else:
            space.notes.append("symmetry: the model has no `symmetric` colour set with two values or more in a "
                               "place; nothing to reduce")
    stub = None
    if por:
        from .stubborn import CannotReduce, Stubborn
        try:
            stub = Stubborn(net, compiled, visible=visible, keep_errors=keep_errors)
            applied.append("por")
            if stub.traps and not keep_errors:
                space.notes.append(f"por: {len(stub.traps):,} binding(s) may fail to evaluate; a run-time error "
                                   "reachable only through interleavings the reduction prunes would go "
                                   "unreported (every dead marking is kept; check once without --por to rule "
                                   "errors out)")
        except CannotReduce as err:
            space.notes.append(f"por: not applied: {err}")
    space.reductions = tuple(applied)
    space.canon = canon
    space.visible = visible if stub is not None else None
    proviso = stub is not None and visible is not None

    nplaces = len(net.places)
    space.bounds = [0] * nplaces
    space.fired = [False] * len(compiled)
    if keep_successors:
        space.successors = []
    initial = net.initial_marking
    if canon is not None:
        initial = canon.canonical(initial)[0]
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
    canonical = None
    if canon is not None:
        cache: dict = {}

        def canonical(m):
            # a marking already numbered is a representative: canonical itself
            if m in index:
                return m
            rep = cache.get(m)
            if rep is None:
                if len(cache) > 500_000:
                    cache.clear()
                rep = cache[m] = canon.canonical(m)[0]
            return rep
    while head < len(markings):
        if tick >= 64:
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
        t = env = None
        try:
            enabled = []
            for t in compiled:
                skip = False
                for p in t.required:
                    if not marking[p]:
                        skip = True
                        break
                if skip:
                    continue
                for env, removed in t.enabled(views):
                    enabled.append((t, env, removed))
            if not enabled:
                space.dead.append(head)
                if succ_lists is not None:
                    succ_lists.append([])
                head += 1
                continue
            chosen = enabled
            if stub is not None and len(enabled) > 1:
                ids = [stub.binding_of(t.index, env) for t, env, _ in enabled]
                keep = set(stub.stubborn(marking, ids))
                chosen = [e for e, b in zip(enabled, ids) if b in keep]
            succ = []
            for t, env, removed in chosen:
                new = t.fire(marking, views, env, removed)
                if canonical is not None:
                    new = canonical(new)
                succ.append((t, env, new))
            if proviso and len(chosen) < len(enabled) and any(new in index for _, _, new in succ):
                succ = []  # cycle proviso: a reduced successor was seen already, expand fully
                for t, env, removed in enabled:
                    new = t.fire(marking, views, env, removed)
                    if canonical is not None:
                        new = canonical(new)
                    succ.append((t, env, new))
        except EvalFailure as err:
            raise _runtime_error(net, t, env, marking, err) from None
        except RecursionError:
            raise _runtime_error(net, t, env, marking, EvalFailure("expression nesting too deep")) from None
        out = [] if succ_lists is not None else None
        for t, env, new in succ:
            fired[t.index] = True
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
        if out is not None:
            succ_lists.append(out)
        head += 1
    space.expanded = head
    space.edges = edges
    space.elapsed = time.monotonic() - start
    if canon is not None and canon.inexact:
        space.notes.append(f"symmetry: {canon.inexact:,} marking(s) had more than {canon.max_perms:,} candidate "
                           "permutations; their representative may not be unique (sound, less reduction)")
    if progress is not None:
        progress(space)
    return space


def _symmetric_path(space: ReducedStateSpace, state: int) -> list[Step]:
    """Concrete firings from the initial marking to exactly ``space.markings[state]``."""
    from ...errors import InternalError
    canon = space.canon
    net = space.net
    compiled = _compiled_for(net)
    chain = []
    s = state
    while s != 0:
        chain.append(s)
        s = space.parent[s]
    chain.reverse()
    cur = net.initial_marking
    raw = []
    for s in chain:
        t = compiled[space.via[s]]
        views = [dict(pl) for pl in cur]
        for env, removed in t.enabled(views):
            new = t.fire(cur, views, env, removed)
            if canon.canonical(new)[0] == space.markings[s]:
                raw.append((t, env))
                cur = new
                break
        else:  # pragma: no cover - a broken parent link
            raise InternalError(f"cannot replay step to state {s} by {t.name} under symmetry")
    _, perms = canon.canonical(cur)
    # the initial marking is invariant under every permutation (the type checker checks it),
    # so the permuted path starts there too and ends at the representative itself
    steps = []
    cur = net.initial_marking
    ghosts = space.markings.ghosts
    for k, (t, env) in enumerate(raw):
        env2 = canon.map_env(t.ir, env, perms)
        views = [dict(pl) for pl in cur]
        for e, removed in t.enabled(views):
            if e == env2:
                cur = t.fire(cur, views, e, removed)
                break
        else:  # pragma: no cover
            raise InternalError(f"the permuted path does not replay at step {k + 1} ({t.name})")
        if k == len(raw) - 1:
            target = state
        else:
            target = GHOST + len(ghosts)
            ghosts.append(cur)
        steps.append(Step(t.ir, env2, target))
    if raw and cur != space.markings[state]:  # pragma: no cover
        raise InternalError("the permuted path does not end at the representative")
    return steps


def factor(full: int | None, reduced: int) -> float | None:
    return round(full / reduced, 2) if full and reduced else None

