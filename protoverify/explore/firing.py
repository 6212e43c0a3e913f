"""Enabled bindings and successor markings, compiled once per transition.

A marking is a tuple with one entry per place; each entry is the place's
multiset as a sorted tuple of ``(value, count)`` pairs with positive counts.
That form is canonical (equal markings are equal tuples) and hashable.

Bindings come from the tokens present: the input and read arc *patterns*
(a variable, a constant, or a tuple of patterns, with a literal multiplicity)
are matched against the distinct tokens of their place in an order chosen
when the transition is compiled — most constrained first — and each guard
conjunct runs as soon as its variables are bound.  Only then are the full
arc multisets evaluated and checked against the marking.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..net import ir
from ..net.evaluate import EvalFailure, compile_expr, compile_ms

__all__ = ["CompiledTransition", "compile_net", "Marking"]

Marking = tuple


@dataclass
class _Step:
    """Match one pattern term against the tokens of one place."""

    place: int
    match: object  # callable(value, env) -> bool, binds the slots it introduces
    binds: frozenset
    checks: list  # guard conjuncts that become evaluable after this step


def _vars(e: ir.Expr) -> set[int]:
    out: set[int] = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, ir.Var):
            out.add(x.slot)
        elif isinstance(x, ir.TupleE):
            stack.extend(x.items)
        elif isinstance(x, ir.BinE):
            stack += [x.left, x.right]
        elif isinstance(x, (ir.NotE, ir.NegE, ir.CheckE)):
            stack.append(x.operand)
        elif isinstance(x, ir.IfE):
            stack += [x.cond, x.then, x.orelse]
        elif isinstance(x, ir.CallE):
            stack.extend(x.args)
    return out


def _pattern_shape(e: ir.Expr):
    """Classify an arc value for matching.

    Returns ``('var', slot)``, ``('const', value)``, ``('tuple', [shapes])`` or
    ``('expr', expr)`` (a computed component, compared once its variables are
    bound).
    """
    if isinstance(e, ir.CheckE):
        # a value outside the colour set matches no token; the full inscription,
        # checks included, is evaluated again once the binding is complete
        inner = _pattern_shape(e.operand)
        return inner if inner[0] != "expr" else ("expr", e.operand)
    if isinstance(e, ir.Var):
        return ("var", e.slot)
    if isinstance(e, ir.Const):
        return ("const", e.value)
    if isinstance(e, ir.TupleE):
        return ("tuple", [_pattern_shape(i) for i in e.items])
    return ("expr", e)


def _shape_binds(shape) -> set[int]:
    kind, arg = shape
    if kind == "var":
        return {arg}
    if kind == "tuple":
        out: set[int] = set()
        for s in arg:
            out |= _shape_binds(s)
        return out
    return set()


def _shape_needs(shape) -> set[int]:
    kind, arg = shape
    if kind == "expr":
        return _vars(arg)
    if kind == "tuple":
        out: set[int] = set()
        for s in arg:
            out |= _shape_needs(s)
        return out
    return set()


def _compile_matcher(shape, bound: set[int]):
    """A closure ``(value, env) -> bool`` that matches and binds new slots.

    ``bound`` is the set of slots bound before this matcher runs; slots this
    pattern binds are added to it (a variable repeated in one pattern is
    bound by its first occurrence and compared at the others).
    """
    kind, arg = shape
    if kind == "var":
        slot = arg
        if slot in bound:
            return lambda v, env: v == env[slot]
        bound.add(slot)

        def bind(v, env):
            env[slot] = v
            return True
        return bind
    if kind == "const":
        c = arg
        return lambda v, env: v == c
    if kind == "expr":
        f = compile_expr(arg)
        return lambda v, env: v == f(env)
    parts = [_compile_matcher(s, bound) for s in arg]
    n = len(parts)
    if n == 2:
        a, b = parts
        return lambda v, env: a(v[0], env) and b(v[1], env)

    def match(v, env):
        for i in range(n):
            if not parts[i](v[i], env):
                return False
        return True
    return match


class CompiledTransition:
    """One transition, ready to enumerate its enabled bindings quickly."""

    def __init__(self, t: ir.Transition):
        self.ir = t
        self.index = t.index
        self.name = t.name
        self.nvars = len(t.variables)

        # candidate pattern terms
        candidates = []
        for arc in t.arcs:
            if arc.kind not in ("in", "read"):
                continue
            for term in arc.inscription:
                if not isinstance(term, ir.MsTerm):
                    continue
                if term.coef is not None and not (isinstance(term.coef, ir.Const) and term.coef.value >= 1):
                    continue
                shape = _pattern_shape(term.value)
                candidates.append((arc.place.index, shape, _shape_binds(shape), _shape_needs(shape)))

        # order: among terms whose computed parts are evaluable, prefer those
        # most constrained by what is already bound, then those binding most
        bound: set[int] = set()
        steps: list[_Step] = []
        remaining = list(candidates)
        guard_left = [(g, _vars(g)) for g in t.guard]
        pre_checks = [compile_expr(g) for g, vs in guard_left if not vs]
        guard_left = [(g, vs) for g, vs in guard_left if vs]
        while remaining:
            ready = [c for c in remaining if c[3] <= bound and c[2] - bound]
            if not ready:
                break
            best = max(ready, key=lambda c: (len(c[2] & bound) + len(c[3]) + (c[1][0] == "const"),
                                             -len(c[2] - bound), -remaining.index(c)))
            remaining.remove(best)
            before = set(bound)
            matcher = _compile_matcher(best[1], bound)
            checks = [compile_expr(g) for g, vs in guard_left if vs <= bound]
            guard_left = [(g, vs) for g, vs in guard_left if not vs <= bound]
            steps.append(_Step(best[0], matcher, frozenset(bound - before), checks))
        unbound = set(range(self.nvars)) - bound
        if unbound:
            names = ", ".join(f"`{t.variables[i][0]}`" for i in sorted(unbound))
            raise InputError(f"{t.loc}: error: transition `{t.name}`: no order of its input patterns binds "
                             f"{names} before it is used [PV302]\n  hint: bind each variable directly by a "
                             f"pattern such as `in P : x` or `in P : (x, y)`")
        self.pre_checks = pre_checks
        self.steps = steps
        # the type checker guarantees every variable is bound by some pattern;
        # a guard conjunct left here would mean it did not
        self.post_checks = [compile_expr(g) for g, _ in guard_left]

        # demands: per place, the in and read multisets; inhibitors; outputs
        consume: dict[int, list] = {}
        read: dict[int, list] = {}
        produce: dict[int, list] = {}
        inhibit: list = []
        for arc in t.arcs:
            f = compile_ms(arc.inscription) if arc.inscription else None
            if f is None:
                continue
            p = arc.place.index
            if arc.kind == "in":
                consume.setdefault(p, []).append(f)
            elif arc.kind == "read":
                read.setdefault(p, []).append(f)
            elif arc.kind == "out":
                produce.setdefault(p, []).append(f)
            else:
                inhibit.append((p, f))
        self.consume = sorted(consume.items())
        self.read = sorted(read.items())
        self.produce = sorted(produce.items())
        self.inhibit = inhibit
        self.touched = sorted(set(consume) | set(produce))
        # places that must hold a token for any binding to exist: a cheap
        # pre-test that skips most disabled transitions without enumerating
        self.required = tuple(sorted({st.place for st in steps}))
        self.reads_places = sorted(set(consume) | set(read) | {p for p, _ in inhibit}
                                   | {s.place for s in steps})

    # ------------------------------------------------------------ bindings
    def enabled(self, views):
        """Yield every enabled binding; see :meth:`_enabled`."""
        env = [None] * self.nvars
        try:
            yield from self._enabled(views, env)
        except EvalFailure as err:
            err.env = tuple(env)
            raise

    def _enabled(self, views, env):
        """Yield ``(env, removed)`` for every enabled binding.

        ``views[p]`` is place ``p``'s multiset as a dict value -> count (only
        the places this transition reads need to be filled in).  ``env`` is a
        fresh tuple of the variable values by slot; ``removed`` maps each
        input place to the dict of tokens the firing consumes.
        """
        for check in self.pre_checks:
            if not check(()):
                return
        steps = self.steps
        nsteps = len(steps)
        if nsteps == 0:
            res = self._finish(env, views)
            if res is not None:
                yield res
            return
        # iterative depth-first search over the steps
        iters = [None] * nsteps
        depth = 0
        iters[0] = iter(views[steps[0].place])
        while depth >= 0:
            step = steps[depth]
            advanced = False
            for value in iters[depth]:
                if not step.match(value, env):
                    continue
                ok = True
                for check in step.checks:
                    if not check(env):
                        ok = False
                        break
                if not ok:
                    continue
                advanced = True
                break
            if not advanced:
                depth -= 1
                continue
            if depth + 1 == nsteps:
                res = self._finish(env, views)
                if res is not None:
                    yield res
                continue
            depth += 1
            iters[depth] = iter(views[steps[depth].place])

    def _finish(self, env, views):
        for check in self.post_checks:
            if not check(env):
                return None
        removed: dict[int, dict] = {}
        for p, fs in self.consume:
            need: dict = {}
            for f in fs:
                for v, n in f(env):
                    need[v] = need.get(v, 0) + n
            removed[p] = need
        for p, fs in self.read:
            need = dict(removed.get(p, ()))
            for f in fs:
                for v, n in f(env):
                    need[v] = need.get(v, 0) + n
            view = views[p]
            for v, n in need.items():
                if view.get(v, 0) < n:
                    return None
        for p, need in removed.items():
            view = views[p]
            for v, n in need.items():
                if view.get(v, 0) < n:
                    return None
        for p, f in self.inhibit:
            view = views[p]
            for v, n in f(env):
                if n and v in view:
                    return None
        return tuple(env), removed

    # -------------------------------------------------------------- firing
    def fire(self, marking: Marking, views, env, removed) -> Marking:
        """The marking reached by firing this transition under ``env``."""
        new = list(marking)
        changed: dict[int, dict] = {}
        for p, need in removed.items():
            if not need:
                continue
            d = dict(views[p])
            for v, n in need.items():
                left = d[v] - n
                if left:
                    d[v] = left
                else:
                    del d[v]
            changed[p] = d
        for p, fs in self.produce:
            d = changed.get(p)
            if d is None:
                d = changed[p] = dict(views[p]) if views[p] is not None else dict(marking[p])
            for f in fs:
                for v, n in f(env):
                    d[v] = d.get(v, 0) + n
        for p, d in changed.items():
            new[p] = tuple(sorted(d.items()))
        return tuple(new)


def compile_net(net: ir.Net) -> list[CompiledTransition]:
    return [CompiledTransition(t) for t in net.transitions]
