"""Does a net respect its ``symmetric`` colour sets?

A colour set declared ``symmetric`` promises that its values are
interchangeable: permuting them maps every reachable marking to a reachable
marking.  That holds when the model only *moves* these values around and
compares them with ``==`` / ``!=`` among themselves.  Anything that tells two
values apart breaks the promise:

* ordering (``<``, ``<=``, ``>``, ``>=``) or arithmetic (``+``, ``-``, ...,
  hence ``next(n) = n + 1`` style successors);
* a constant of the set (``x == 1``, ``out P : 2``, ``if n == N ...``);
* converting a value to or from another type (storing a ``Node`` in a
  ``0..N`` place, passing an ``int`` where a ``Node`` is expected, comparing
  values of two different symmetric sets);
* an initial marking that is not invariant under permutations.

This module walks the Net IR (it knows nothing about the syntax) and returns
the violations; the type checker reports them as ``PV312``.

>>> from protoverify import load_model_text
>>> from protoverify.errors import ModelError
>>> try:
...     load_model_text('''
...       model M
...       colset Node = 1..3 symmetric
...       place P : Node = all
...       transition t in P : n  guard n < 3  out P : n
...     ''')
... except ModelError as err:
...     print(err.diagnostics[0].code, err.diagnostics[0].message)
PV312 the guard breaks the symmetry of `Node`: `<` orders its values
"""

from __future__ import annotations

from dataclasses import dataclass

from . import colours as C
from . import ir

__all__ = ["Violation", "symmetry_violations", "sym_signature", "symmetric_sets"]


@dataclass(frozen=True)
class Violation:
    loc: ir.Loc
    colset: str
    what: str   # where: "the guard", "the out arc to `P`", ...
    why: str


def symmetric_sets(net_or_colsets) -> list[C.RangeSet]:
    """The symmetric colour sets, in declaration order."""
    colsets = net_or_colsets.colsets if isinstance(net_or_colsets, ir.Net) else net_or_colsets
    return [c for c in colsets.values() if isinstance(c, C.RangeSet) and c.symmetric]


def sym_signature(t):
    """Where symmetric values sit in a type: the set, a tuple of signatures, or None (nowhere)."""
    if isinstance(t, C.RangeSet):
        return t if t.symmetric else None
    comps = t.components if isinstance(t, C.ProductSet) else t.items if isinstance(t, C.TupleType) else None
    if comps:
        s = tuple(sym_signature(c) for c in comps)
        return s if any(x is not None for x in s) else None
    return None


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a is b


def _first_set(*sigs) -> C.RangeSet | None:
    for s in sigs:
        if isinstance(s, C.RangeSet):
            return s
        if isinstance(s, tuple):
            got = _first_set(*s)
            if got is not None:
                return got
    return None


def _describe(t) -> str:
    if isinstance(t, C.RangeSet):
        return f"`{t.name}`"
    if isinstance(t, (C.IntType, C.BoolType)):
        return f"an `{t.name}`"
    if isinstance(t, C.EnumSet):
        return f"enumeration `{t.name}`"
    return f"`{t.name}`"


class _Walker:
    def __init__(self):
        self.out: list[Violation] = []

    def bad(self, loc, what, sig, why):
        cs = _first_set(sig)
        self.out.append(Violation(loc, cs.name if cs is not None else "?", what, why))

    def store(self, e: ir.Expr, dst, loc, what):
        """``e`` flows where a value of type ``dst`` is expected."""
        src_sig, dst_sig = sym_signature(e.type), sym_signature(dst)
        if not _same(src_sig, dst_sig):
            if isinstance(e, ir.Const):
                why = "a constant stands for one of its values"
            else:
                why = f"a value of {_describe(e.type)} is used where {_describe(dst)} is expected"
            self.bad(loc, what, dst_sig if dst_sig is not None else src_sig, why)

    def expr(self, e: ir.Expr, loc: ir.Loc, what: str):
        if isinstance(e, (ir.Const, ir.Var)):
            return
        if isinstance(e, ir.TupleE):
            for i, item in enumerate(e.items):
                self.expr(item, loc, what)
                if isinstance(e.type, C.ProductSet):
                    self.store(item, e.type.components[i], loc, what)
            return
        if isinstance(e, ir.BinE):
            self.expr(e.left, e.loc, what)
            self.expr(e.right, e.loc, what)
            ls, rs = sym_signature(e.left.type), sym_signature(e.right.type)
            if e.op in ("==", "!="):
                if not _same(ls, rs):
                    other = e.right if ls is not None else e.left
                    why = ("a constant stands for one of its values" if isinstance(other, ir.Const)
                           else f"`{e.op}` compares one of its values with {_describe(other.type)}")
                    self.bad(e.loc, what, ls if ls is not None else rs, why)
            elif e.op in ("<", "<=", ">", ">="):
                if ls is not None or rs is not None:
                    self.bad(e.loc, what, ls or rs, f"`{e.op}` orders its values")
            elif e.op not in ("and", "or"):
                if ls is not None or rs is not None:
                    self.bad(e.loc, what, ls or rs, f"`{e.op}` computes with its values")
            return
        if isinstance(e, ir.NotE):
            self.expr(e.operand, loc, what)
            return
        if isinstance(e, ir.NegE):
            self.expr(e.operand, loc, what)
            if sym_signature(e.operand.type) is not None:
                self.bad(loc, what, sym_signature(e.operand.type), "`-` computes with its values")
            return
        if isinstance(e, ir.IfE):
            self.expr(e.cond, loc, what)
            self.expr(e.then, loc, what)
            self.expr(e.orelse, loc, what)
            for branch in (e.then, e.orelse):
                self.store(branch, e.type, loc, what)
            return
        if isinstance(e, ir.CallE):
            for a, (_, ptype) in zip(e.args, e.function.params):
                self.expr(a, e.loc, what)
                self.store(a, ptype, e.loc, what)
            return
        if isinstance(e, ir.CheckE):
            self.expr(e.operand, e.loc, what)
            self.store(e.operand, e.type, e.loc, what)
            return
        # property-language nodes and anything newer: judged by their own checker

    def ms(self, terms, dst, loc, what):
        for m in terms:
            if isinstance(m, ir.MsTerm):
                if m.coef is not None:
                    self.expr(m.coef, loc, what)
                    if sym_signature(m.coef.type) is not None:
                        self.bad(loc, what, sym_signature(m.coef.type), "a multiplicity computes with its values")
                self.expr(m.value, loc, what)
                self.store(m.value, dst, loc, what)
            elif isinstance(m, ir.MsIf):
                self.expr(m.cond, loc, what)
                self.ms(m.then, dst, loc, what)
                self.ms(m.orelse, dst, loc, what)


def _permutations_generators(cs: C.RangeSet):
    """Two permutations that generate every permutation of ``cs``: a swap and a cycle."""
    vals = list(cs.values)
    gens = []
    if len(vals) >= 2:
        swap = {v: v for v in vals}
        swap[vals[0]], swap[vals[1]] = vals[1], vals[0]
        gens.append(swap)
    if len(vals) >= 3:
        gens.append({v: vals[(i + 1) % len(vals)] for i, v in enumerate(vals)})
    return gens


def value_mapper(t, perms: dict):
    """A function mapping a value of type ``t`` through ``perms`` (symmetric set -> {value: value}).

    None when ``t`` holds no value of a permuted set.
    """
    sig = sym_signature(t)
    if sig is None:
        return None

    def build(sig):
        if sig is None:
            return None
        if isinstance(sig, C.RangeSet):
            p = perms.get(sig)
            return None if p is None else p.__getitem__
        parts = [build(s) for s in sig]
        if all(p is None for p in parts):
            return None
        return lambda v: tuple(v[i] if f is None else f(v[i]) for i, f in enumerate(parts))
    return build(sig)


def symmetry_violations(net_like) -> list[Violation]:
    """Every place where a net (or the checker's partial view of one) breaks its symmetric colour sets.

    ``net_like`` has ``colsets``, ``functions``, ``places`` and ``transitions``.
    """
    syms = symmetric_sets(net_like.colsets)
    if not syms:
        return []
    w = _Walker()
    for f in net_like.functions.values():
        if f.body is None:
            continue
        what = f"function `{f.name}`"
        w.expr(f.body, f.loc, what)
        w.store(f.body, f.result, f.loc, what)
    for p in net_like.places:
        if sym_signature(p.colset) is None or not p.initial:
            continue
        for cs in syms:
            for g in _permutations_generators(cs):
                f = value_mapper(p.colset, {cs: g})
                if f is None:
                    continue
                image = tuple(sorted((f(v), n) for v, n in p.initial))
                if image != p.initial:
                    w.out.append(Violation(p.loc, cs.name, f"the initial marking of `{p.name}`",
                                           "permuting its values changes the marking"))
                    break
            else:
                continue
            break
    for t in net_like.transitions:
        for arc in t.arcs:
            what = (f"the out arc to `{arc.place.name}`" if arc.kind == "out"
                    else f"the {arc.kind} arc from `{arc.place.name}`")
            w.ms(arc.inscription, arc.place.colset, arc.loc, what)
        for g in t.guard:
            w.expr(g, t.loc, "the guard")
        if t.emit is not None:
            for name, e in t.emit.fields:
                w.expr(e, t.emit.loc, f"field `{name}` of `emit {t.emit.label}`")
    # one report per spot
    seen = set()
    out = []
    for v in w.out:
        key = (v.loc.line, v.loc.column)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out

