"""Which properties each reduction preserves, decided conservatively.

=========== ================================================================
reduction   preserved (anything else is checked without the reduction)
=========== ================================================================
symmetry    ``deadlock`` (its ``final`` predicates symmetric), ``invariant``,
            ``reachable``, ``home`` with a symmetric predicate, ``bound``,
            ``live T`` (not ``live T for x in X``)
por         ``deadlock``; ``invariant``, ``reachable`` and ``bound`` whose
            predicate reads places only (no ``enabled``/``dead``): the
            places become *visible* (stubborn sets with visibility and the
            cycle proviso)
=========== ================================================================

A predicate is *symmetric* when it never names an individual value of a
symmetric colour set: no constant of one in a ``count`` pattern or a
comparison, no ordering or arithmetic on its values (the same rules the type
checker applies to models, :mod:`protoverify.net.symcheck`); quantifiers over a symmetric set
are fine.  CTL and LTL are never reduced (their lasso counterexamples would
need a cycle of the full graph).
"""

from __future__ import annotations

import dataclasses

from ...net import colours as C
from ...net import ir
from ...net.symcheck import _same, _Walker, sym_signature

__all__ = ["predicate_symmetric", "predicate_places", "unpreserved"]


def _nodes(e):
    """Every expression node under ``e`` (iteratively)."""
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        if not dataclasses.is_dataclass(x):
            continue
        for f in dataclasses.fields(x):
            v = getattr(x, f.name)
            if isinstance(v, ir.Expr):
                stack.append(v)
            elif isinstance(v, tuple):
                for item in v:
                    if isinstance(item, ir.Expr):
                        stack.append(item)
                    elif isinstance(item, tuple):
                        stack.extend(i for i in item if isinstance(i, ir.Expr))


def _shape_ok(shape, sig, slots) -> bool:
    if shape is None:
        return True
    kind = shape[0]
    if kind == "any":
        return True
    if kind == "const":
        return sig is None
    if kind == "var":
        return _same(sym_signature(slots.get(shape[1], C.INT)), sig)
    if kind == "expr":
        return _same(sym_signature(shape[1].type), sig)
    parts = shape[1]
    sigs = sig if isinstance(sig, tuple) else (sig,) * len(parts) if sig is None else None
    if sigs is None or len(sigs) != len(parts):
        return False
    return all(_shape_ok(p, s, slots) for p, s in zip(parts, sigs))


def predicate_symmetric(e) -> bool:
    """Whether a (typed) property predicate is invariant under permutations of the symmetric sets."""
    from ...props.model import CountE, QuantE
    if e is None:
        return False
    nodes = list(_nodes(e))
    slots = {n.slot: n.colset for n in nodes if isinstance(n, QuantE)}
    w = _Walker()
    loc = ir.Loc("", 0, 0)
    for n in nodes:
        if isinstance(n, ir.Expr) and not isinstance(n, (CountE, QuantE)):
            w.expr(n, loc, "")
        if isinstance(n, CountE) and not _shape_ok(n.pattern, sym_signature(n.place.colset), slots):
            return False
    return not w.out


def predicate_places(e) -> frozenset | None:
    """The places a predicate reads, or None if it asks about enabling (``enabled``, ``dead``)."""
    from ...props.model import CountE, DeadE, EnabledE, PlaceIsE
    out = set()
    for n in _nodes(e):
        if isinstance(n, (EnabledE, DeadE)):
            return None
        if isinstance(n, (CountE, PlaceIsE)):
            out.add(n.place.index)
    return frozenset(out)


def unpreserved(prop, reduction: str, finals=()) -> str | None:
    """Why ``reduction`` may change ``prop``'s verdict, or None when it is preserved."""
    k = prop.kind
    if reduction == "symmetry":
        if k == "deadlock":
            for f in finals:
                if not predicate_symmetric(f.expr):
                    return f"`final {f.name}` names individual values of a symmetric colour set"
            return None
        if k in ("invariant", "reachable", "home"):
            return None if predicate_symmetric(prop.expr) else \
                "the predicate names individual values of a symmetric colour set"
        if k == "bound":
            return None
        if k == "live":
            return None if prop.live_slot is None else "liveness per value (`for x in X`) is not kept by orbits"
        why = {"ctl": "their witnesses and counterexamples are paths of the full graph",
               "ltl": "their lasso counterexamples are paths of the full graph"}.get(k, "not known to be kept")
        return f"{k.upper() if k in ('ctl', 'ltl') else k} properties are not reduced: {why}"
    if reduction == "por":
        if k == "deadlock":
            return None
        if k in ("invariant", "reachable"):
            if prop.uses_enabled or predicate_places(prop.expr) is None:
                return "the predicate asks which transitions are enabled"
            return None
        if k == "bound":
            return None
        return f"stubborn sets keep dead markings and safety properties only, not `{k}`"
    raise ValueError(reduction)


def visible_places(props) -> frozenset:
    """The places the POR-reduced safety properties look at."""
    out = set()
    for p in props:
        if p.kind in ("invariant", "reachable"):
            out |= predicate_places(p.expr) or set()
        elif p.kind == "bound":
            out.add(p.place.index)
    return frozenset(out)
