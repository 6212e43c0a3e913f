"""Verdicts for checked properties on an explicit state space.

Every verdict comes with evidence: a shortest path (BFS order) for safety
properties and reachability, a lasso (stem + cycle) for CTL ``AF``/``EG`` and
for LTL.  Dead markings are treated as repeating forever (stuttering), so a
run that stops is an infinite run that stays in its last marking; no
transition fires on a stutter step.

Property kinds and what they need:

* invariant, reachable, bound, deadlock: any (even partial) state space;
  a violation found in a partial one is still a violation;
* home, live, ctl, ltl: the complete graph with successor lists
  (``explore(..., keep_successors=True)``); otherwise ``unknown``.
"""

from __future__ import annotations

from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..explore.statespace import StateSpace, Step
from . import formula as T
from .model import Property, StateContext

__all__ = ["Result", "check", "check_all", "STUTTER"]

STUTTER = -1  # the transition index of a stutter step at a dead marking


@dataclass
class Result:
    prop: Property
    verdict: str  # holds | fails | unknown
    stem: list = field(default_factory=list)  # list[Step]
    cycle: list = field(default_factory=list)  # list[Step]
    state: int | None = None  # the marking the evidence ends in (or the cycle starts at)
    note: str = ""

    @property
    def name(self) -> str:
        return self.prop.name

    @property
    def kind(self) -> str:
        return self.prop.kind

    def to_json(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "verdict": self.verdict}
        if self.stem or self.cycle or self.state is not None:
            # a witness (reachable, EF, EG that hold) uses the same field
            out["counterexample"] = {"stem": [_step_json(s) for s in self.stem],
                                     "cycle": [_step_json(s) for s in self.cycle]}
        if self.note:
            out["note"] = self.note
        return out


def _step_json(step) -> dict:
    if step.transition is None:
        return {"transition": None, "binding": {}, "stutter": True}
    return step.to_json()


@dataclass(frozen=True)
class StutterStep:
    """The dead marking repeats: no transition fires."""

    target: int
    transition: None = None
    env: tuple = ()

    def show(self) -> str:
        return "(dead marking: nothing fires, the marking stays)"

    @property
    def event(self):
        return None

    def to_json(self):
        return {"transition": None, "binding": {}, "stutter": True}


# ------------------------------------------------------------------ helpers
class _Graph:
    """Successor and predecessor lists of a complete state space, stutter loops added."""

    def __init__(self, space: StateSpace):
        n = space.states
        self.n = n
        succ = []
        for s in range(n):
            out = space.successors[s]
            succ.append(out if out else [(s, STUTTER, ())])
        self.succ = succ
        pred: list[list[int]] = [[] for _ in range(n)]
        for s in range(n):
            for t, _, _ in succ[s]:
                pred[t].append(s)
        self.pred = pred


def _graph(space: StateSpace) -> _Graph:
    g = space.__dict__.get("_graph")
    if g is None:
        g = space.__dict__["_graph"] = _Graph(space)
    return g


def _eval(space: StateSpace, predicate, state: int) -> bool:
    return bool(predicate(StateContext(space, state)))


def _backward(g: _Graph, targets) -> bytearray:
    """States from which some state of ``targets`` is reachable."""
    seen = bytearray(g.n)
    queue = deque()
    for s in targets:
        if not seen[s]:
            seen[s] = 1
            queue.append(s)
    while queue:
        s = queue.popleft()
        for p in g.pred[s]:
            if not seen[p]:
                seen[p] = 1
                queue.append(p)
    return seen


def _step(space: StateSpace, src: int, t: int, env, dst: int):
    if t == STUTTER:
        return StutterStep(dst)
    return Step(space.net.transitions[t], env, dst)


# ---------------------------------------------------------------- checkers
def check_all(space: StateSpace, props: list[Property]) -> list[Result]:
    finals = [p for p in props if p.kind == "final"]
    with decoded_markings(space):
        scanned = _scan(space, [p for p in props if p.kind in _SCANNED])
        return [check(space, p, finals, scanned.get(id(p))) for p in props if p.kind != "final"]


DECODE_LIMIT = 1_000_000  # states; about 250 bytes each while the properties are checked


@contextmanager
def decoded_markings(space: StateSpace):
    """Decode a packed state space's markings once for all the properties.

    The compiled explorer stores markings packed and decodes one per access;
    the checkers visit every state once per property (and per CTL
    subformula), so up to ``DECODE_LIMIT`` states they are decoded once, with
    each place's contents shared between the markings that have the same.
    """
    if "_decoded_markings" in space.__dict__ or isinstance(space.markings, list) \
            or space.states > DECODE_LIMIT:
        yield
        return
    shared: dict = {}
    markings = space.markings
    space.__dict__["_decoded_markings"] = [tuple([shared.setdefault(x, x) for x in markings[s]])
                                           for s in range(space.states)]
    try:
        yield
    finally:
        del space.__dict__["_decoded_markings"]


_SCANNED = ("invariant", "reachable", "home")


def _known(space: StateSpace, prop: Property) -> int:
    # markings found but not expanded are reachable too, but whether they enable
    # anything is not known yet: predicates that ask are judged on expanded ones only
    return space.states if space.complete or not prop.uses_enabled else space.expanded


def _scan(space: StateSpace, props: list[Property]) -> dict[int, object]:
    """What ``check`` needs of each state predicate, from one pass over the states.

    For an invariant the first state violating it, for ``reachable`` the first
    satisfying it (None: no such state), for ``home`` the list of states
    satisfying it.  One pass decodes each marking once for all properties.
    """
    found: dict[int, object] = {}
    pending = []
    for p in props:
        if p.kind == "home":
            if not space.complete or space.successors is None:
                continue
            found[id(p)] = []
        else:
            found[id(p)] = None
        pending.append((p, _known(space, p)))
    s = 0
    pending = [(p, k) for p, k in pending if k > 0]
    while pending:  # every pending property looks at state s (s < its k)
        ctx = StateContext(space, s)
        still = []
        for p, k in pending:
            value = bool(p.predicate(ctx))
            if p.kind != "home" and value == (p.kind == "reachable"):
                found[id(p)] = s
                continue
            if value and p.kind == "home":
                found[id(p)].append(s)
            if s + 1 < k:
                still.append((p, k))
        pending = still
        s += 1
    return found


def check(space: StateSpace, prop: Property, finals: list[Property] | None = None,
          scanned: object = ...) -> Result:
    """One property's verdict; ``scanned`` is what :func:`_scan` found for it, if it ran."""
    kind = prop.kind
    if kind in _SCANNED and scanned is ...:
        scanned = _scan(space, [prop]).get(id(prop))
    if kind == "invariant":
        if scanned is not None:
            return Result(prop, "fails", space.path_to(scanned), state=scanned,
                          note="a reachable marking violates it")
        return Result(prop, "holds" if space.complete else "unknown")
    if kind == "reachable":
        if scanned is not None:
            return Result(prop, "holds", space.path_to(scanned), state=scanned)
        return Result(prop, "fails" if space.complete else "unknown",
                      note="no reachable marking satisfies it" if space.complete else "")
    if kind == "final":
        return Result(prop, "holds", note="a predicate for `deadlock only final`")
    if kind == "deadlock":
        fin = [f for f in (finals or []) if f.kind == "final"]
        for s in space.dead:
            if prop.only_final and any(_eval(space, f.predicate, s) for f in fin):
                continue
            return Result(prop, "fails", space.path_to(s), state=s,
                          note="a dead marking" + (" that satisfies no `final` predicate" if prop.only_final else ""))
        return Result(prop, "holds" if space.complete else "unknown")
    if kind == "bound":
        p = prop.place.index
        for s in range(space.states):
            if sum(n for _, n in space.markings[s][p]) > prop.limit:
                return Result(prop, "fails", space.path_to(s), state=s,
                              note=f"{prop.place.name} holds more than {prop.limit} tokens")
        return Result(prop, "holds" if space.complete else "unknown")
    if not space.complete or space.successors is None:
        return Result(prop, "unknown", note="needs the complete state space")
    if kind == "home":
        g = _graph(space)
        co = _backward(g, scanned)
        for s in range(g.n):
            if not co[s]:
                return Result(prop, "fails", space.path_to(s), state=s,
                              note="from this marking no marking satisfying it can be reached")
        return Result(prop, "holds")
    if kind == "live":
        return _check_live(space, prop)
    if kind == "ctl":
        return _check_ctl(space, prop)
    if kind == "ltl":
        from .ltl_check import check_ltl
        return check_ltl(space, prop)
    raise ValueError(f"unknown property kind {kind!r}")


def _check_live(space: StateSpace, prop: Property) -> Result:
    g = _graph(space)
    t = prop.transition
    if prop.live_slot is None:
        classes = [(None, [s for s in range(g.n) if space.is_enabled(s, t.index)])]
    else:
        cs = t.variables[prop.live_slot][1]
        by_value: dict = {v: [] for v in cs.values}
        for s in range(g.n):
            if space.is_enabled(s, t.index):
                for v in {env[prop.live_slot] for env in space.bindings_at(s, t.index)}:
                    by_value[v].append(s)
        classes = [((t.variables[prop.live_slot][0], cs, v), states) for v, states in by_value.items()]
    for label, enabled_states in classes:
        co = _backward(g, enabled_states)
        for s in range(g.n):
            if not co[s]:
                what = t.name if label is None else f"{t.name} with {label[0]} = {label[1].show(label[2])}"
                return Result(prop, "fails", space.path_to(s), state=s,
                              note=f"from this marking {what} can never fire again")
    return Result(prop, "holds")


# --------------------------------------------------------------------- CTL
def label_ctl(space: StateSpace, f: T.Formula, atoms) -> bytearray:
    """The set of states satisfying CTL formula ``f`` (a bytearray indicator)."""
    g = _graph(space)
    memo: dict = {}

    def sat(f):
        got = memo.get(f)
        if got is None:
            got = memo[f] = _sat(f)
        return got

    def _sat(f):
        n = g.n
        if isinstance(f, T.TrueF):
            return bytearray(b"\x01" * n)
        if isinstance(f, T.FalseF):
            return bytearray(n)
        if isinstance(f, T.Atom):
            pred = atoms[f.index].predicate
            return bytearray(1 if _eval(space, pred, s) else 0 for s in range(n))
        if isinstance(f, T.Not):
            a = sat(f.f)
            return bytearray(1 - x for x in a)
        if isinstance(f, (T.And, T.Or, T.Implies)):
            a, b = sat(f.a), sat(f.b)
            if isinstance(f, T.And):
                return bytearray(x & y for x, y in zip(a, b))
            if isinstance(f, T.Or):
                return bytearray(x | y for x, y in zip(a, b))
            return bytearray((1 - x) | y for x, y in zip(a, b))
        if isinstance(f, T.EX):
            a = sat(f.f)
            return bytearray(1 if any(a[d] for d, _, _ in g.succ[s]) else 0 for s in range(n))
        if isinstance(f, T.AX):
            a = sat(f.f)
            return bytearray(1 if all(a[d] for d, _, _ in g.succ[s]) else 0 for s in range(n))
        if isinstance(f, (T.EF, T.EU)):
            a = sat(f.a) if isinstance(f, T.EU) else bytearray(b"\x01" * n)
            b = sat(f.f if isinstance(f, T.EF) else f.b)
            out = bytearray(b)
            queue = deque(s for s in range(n) if b[s])
            while queue:
                s = queue.popleft()
                for p in g.pred[s]:
                    if not out[p] and a[p]:
                        out[p] = 1
                        queue.append(p)
            return out
        if isinstance(f, (T.AF, T.AU)):
            a = sat(f.a) if isinstance(f, T.AU) else bytearray(b"\x01" * n)
            b = sat(f.f if isinstance(f, T.AF) else f.b)
            out = bytearray(b)
            left = [len(g.succ[s]) for s in range(n)]
            queue = deque(s for s in range(n) if b[s])
            while queue:
                s = queue.popleft()
                for p in g.pred[s]:
                    if out[p] or not a[p]:
                        continue
                    left[p] -= 1
                    if left[p] == 0:
                        out[p] = 1
                        queue.append(p)
            return out
        if isinstance(f, T.EG):
            a = sat(f.f)
            out = bytearray(a)
            count = [sum(1 for d, _, _ in g.succ[s] if out[d]) if out[s] else 0 for s in range(n)]
            queue = deque(s for s in range(n) if out[s] and count[s] == 0)
            while queue:
                s = queue.popleft()
                if not out[s]:
                    continue
                out[s] = 0
                for p in g.pred[s]:
                    if out[p]:
                        count[p] -= 1
                        if count[p] == 0:
                            queue.append(p)
            return out
        if isinstance(f, T.AG):
            return sat(T.Not(T.EF(T.Not(f.f))))
        raise ValueError(f"not a CTL formula: {T.show(f)}")

    return sat(f)


def _lasso_in(space: StateSpace, g: _Graph, start: int, allowed: bytearray):
    """A path from ``start`` staying in ``allowed`` until it repeats a state: (stem, cycle)."""
    order: dict[int, int] = {start: 0}
    steps = []
    s = start
    while True:
        nxt = None
        for d, t, env in g.succ[s]:
            if allowed[d]:
                nxt = (d, t, env)
                break
        if nxt is None:  # pragma: no cover - EG guarantees a successor
            return steps, []
        d, t, env = nxt
        steps.append(_step(space, s, t, env, d))
        if d in order:
            k = order[d]
            return steps[:k], steps[k:]
        order[d] = len(steps)
        s = d


def _check_ctl(space: StateSpace, prop: Property) -> Result:
    f = prop.formula
    holds = label_ctl(space, f, prop.atoms)[0] == 1
    verdict = "holds" if holds else "fails"
    g = _graph(space)
    # evidence for the common top-level shapes
    if isinstance(f, T.AG) and not holds:
        bad = label_ctl(space, f.f, prop.atoms)
        s = next(s for s in range(g.n) if not bad[s])
        stem = space.path_to(s)
        body = f.f
        if isinstance(body, T.Implies):
            body = body.b
        if isinstance(body, T.AF):
            # AG (a -> AF b) fails at s: continue with a run from s on which b never holds
            allowed = label_ctl(space, T.EG(T.Not(body.f)), prop.atoms)
            more, cycle = _lasso_in(space, g, s, allowed)
            start = (more[-1].target if more else s)
            return Result(prop, verdict, stem + more, cycle, state=start,
                          note="from this marking, a run on which the awaited condition never holds")
        return Result(prop, verdict, stem, state=s, note="a reachable marking violates the body of AG")
    if isinstance(f, T.EF) and holds:
        good = label_ctl(space, f.f, prop.atoms)
        s = next(s for s in range(g.n) if good[s])
        return Result(prop, verdict, space.path_to(s), state=s)
    if isinstance(f, T.AF) and not holds:
        allowed = label_ctl(space, T.EG(T.Not(f.f)), prop.atoms)
        stem, cycle = _lasso_in(space, g, 0, allowed)
        return Result(prop, verdict, stem, cycle, state=stem[-1].target if stem else 0,
                      note="a run on which the body of AF never holds")
    if isinstance(f, T.EG) and holds:
        allowed = label_ctl(space, f, prop.atoms)
        stem, cycle = _lasso_in(space, g, 0, allowed)
        return Result(prop, verdict, stem, cycle)
    if isinstance(f, T.AG) and holds or not holds:
        return Result(prop, verdict, note="" if holds else "the initial marking does not satisfy it")
    return Result(prop, verdict)
