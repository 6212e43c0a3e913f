"""Check a model's syntax tree and build its Net IR.

Resolves every name, gives every expression a type, numbers each
transition's variables, finds which arc patterns bind them, substitutes the
parameters, evaluates initial markings, and refuses recursive functions.
Errors are collected (as many as can be found in one pass) and raised
together as a :class:`~protoverify.errors.ModelError`.
"""

from __future__ import annotations

import difflib
import re
from types import SimpleNamespace

from ..diagnostics import Source, make
from ..errors import InputError, ModelError
from ..net import colours as C
from ..net import ir
from ..net.evaluate import EvalFailure, compile_ms, eval_const
from ..net.symcheck import symmetry_violations
from . import ast as A

__all__ = ["check_model", "apply_overrides"]

ALL_LIMIT = 1_000_000


class _Abort(Exception):
    """Stop checking the current construct; its diagnostic is recorded."""


def apply_overrides(model: A.Model, overrides: dict[str, object], source: Source) -> dict[str, int]:
    """Effective parameter values: the model's, with ``-D`` overrides applied."""
    declared: dict[str, int] = {}
    for d in model.decls:
        if isinstance(d, A.ParamDecl):
            declared.setdefault(d.name.name, d.value)
    out = dict(declared)
    for name, raw in overrides.items():
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            known = ", ".join(declared) or "none"
            hint = f"did you mean `{close[0]}`? " if close else ""
            if not close:
                lowered = {k.lower(): k for k in declared}
                if name.lower() in lowered:
                    hint = f"did you mean `{lowered[name.lower()]}`? "
            raise InputError(f"{make('PV401', source.name, 1, 1, name=name).message} "
                             f"[PV401]\n  hint: {hint}the model declares: {known}")
        if isinstance(raw, bool):
            raw = str(raw)
        if isinstance(raw, int):
            out[name] = raw
            continue
        text = str(raw).strip()
        try:
            if not re.fullmatch(r"[+-]?[0-9]+", text):
                raise ValueError(text)
            out[name] = int(text, 10)
        except ValueError:
            raise InputError(f"{make('PV402', source.name, 1, 1, name=name, value=text).message} "
                             f"[PV402]\n  hint: write it as -D {name}=4") from None
    return out


def check_model(model: A.Model, source: Source, overrides: dict[str, object] | None = None) -> ir.Net:
    """Type-check ``model`` and return its :class:`~protoverify.net.ir.Net`."""
    params = apply_overrides(model, overrides or {}, source)
    return _Checker(source, params).run(model)


class _Checker:
    def __init__(self, source: Source, params: dict[str, int]):
        self.src = source
        self.params = params
        self.diags = []
        self.colsets: dict[str, C.ColourSet] = {"Unit": C.UNIT}
        self.constants: dict[str, tuple[C.EnumSet, int]] = {"unit": (C.UNIT, 0)}
        self.functions: dict[str, ir.Function] = {}
        self.places: dict[str, ir.Place] = {}
        self.declared: dict[str, tuple[str, A.Ident]] = {}
        self.in_transition = False
        self.const_context: str | None = None
        self.suppress_unbound = False
        self.failed_colsets: set[str] = set()
        self.colset_decls: dict[str, A.Decl] = {}

    # ------------------------------------------------------------ reporting
    def error(self, code: str, pos: A.Pos, *, hint: str = "", notes=(), **fields):
        self.diags.append(self.src.diagnostic(code, pos.line, pos.column, width=pos.width, hint=hint,
                                              notes=tuple(notes), **fields))
        raise _Abort

    def loc(self, pos: A.Pos) -> ir.Loc:
        return ir.Loc(self.src.name, pos.line, pos.column)

    def _guarded(self, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except _Abort:
            return None

    # ------------------------------------------------------------------ run
    def run(self, model: A.Model) -> ir.Net:
        decls = model.decls
        for d in decls:
            self._guarded(self.declare, d)
        for d in decls:
            if isinstance(d, (A.RangeColset, A.EnumColset, A.ProductColset)):
                self.colset_decls.setdefault(d.name.name, d)
        # enumerations first, so that a range bound naming a constant gets a type error
        for kind in (A.EnumColset, A.RangeColset, A.ProductColset):
            for d in decls:
                if isinstance(d, kind) and self.colset_decls[d.name.name] is d:
                    self._guarded(self.colset, d)
        self._guarded(self.functions_all, [d for d in decls if isinstance(d, A.FunDecl)])
        for d in decls:
            if isinstance(d, A.PlaceDecl):
                self._guarded(self.place, d)
        transitions = []
        for d in decls:
            if isinstance(d, A.TransitionDecl):
                self.in_transition = True
                t = self._guarded(self.transition, d, len(transitions))
                self.in_transition = False
                if t is not None:
                    transitions.append(t)
        if not self.diags:
            self._check_symmetry(transitions)
        if self.diags:
            self.diags.sort(key=lambda d: (d.line, d.column))
            raise ModelError(self.diags)
        symmetric = tuple(n for n, c in self.colsets.items() if getattr(c, "symmetric", False))
        return ir.Net(model.name.name, self.src.name, dict(self.params), dict(self.colsets), dict(self.functions),
                      tuple(self.places.values()), tuple(transitions), symmetric,
                      tuple(r.path for r in model.props_refs))

    def _check_symmetry(self, transitions) -> None:
        """PV312: the model must not tell apart the values of a `symmetric` colour set."""
        view = SimpleNamespace(colsets=self.colsets, functions=self.functions,
                               places=tuple(self.places.values()), transitions=transitions)
        for v in symmetry_violations(view):
            self.diags.append(self.src.diagnostic(
                "PV312", v.loc.line, v.loc.column, what=v.what, colset=v.colset, why=v.why,
                hint=f"values of a `symmetric` colour set may only be moved and compared with `==`/`!=` to "
                     f"values of the same set; if they are not interchangeable, drop `symmetric` from "
                     f"`colset {v.colset}`"))

    # --------------------------------------------------------- declarations
    def declare(self, d: A.Decl):
        kind = {A.ParamDecl: "parameter", A.RangeColset: "colour set", A.EnumColset: "colour set",
                A.ProductColset: "colour set", A.FunDecl: "function", A.PlaceDecl: "place",
                A.TransitionDecl: "transition"}[type(d)]
        names = [(d.name, kind)]
        if isinstance(d, A.EnumColset):
            names += [(c, "constant") for c in d.constants]
        names_seen_here = [i for i, _ in names]
        for ident, k in names:
            if ident.name in ("Unit", "unit", "int", "bool"):
                self._guarded(self.error, "PV206", ident.pos, name=ident.name, hint="choose another name")
                continue
            prev = self.declared.get(ident.name)
            if prev is not None and prev[1] in names_seen_here:
                continue  # repeated inside one enumeration: reported by the enumeration's own check
            if prev is not None:
                self._guarded(self.error, "PV202", ident.pos, what=k, name=ident.name, first=prev[1].pos.line,
                              hint="every declared name must be unique: places, transitions, colour sets, "
                                   "constants, functions and parameters share one namespace")
                continue
            self.declared[ident.name] = (k, ident)

    def kind_of(self, name: str) -> str | None:
        if name in ("Unit",):
            return "colour set"
        if name == "unit":
            return "constant"
        entry = self.declared.get(name)
        return entry[0] if entry else None

    def const_int(self, e: A.Expr, context: str) -> int:
        self.const_context = context
        try:
            typed = self.expr(e, {}, context=context)
        finally:
            self.const_context = None
        if not isinstance(typed.type, (C.IntType, C.RangeSet)):
            self.error("PV301", e.pos, context=context, expected="an integer", found=C.type_name(typed.type))
        try:
            return eval_const(typed)
        except EvalFailure as err:
            self.error("PV311", e.pos, context=context, problem=err.message, hint=err.hint)

    def colset(self, d, stack=()):
        name = d.name.name
        if name in self.colsets:
            return self.colsets[name]
        if name in self.failed_colsets:
            raise _Abort
        try:
            return self._colset(d, stack)
        except _Abort:
            self.failed_colsets.add(name)
            raise

    def _colset(self, d, stack):
        name = d.name.name
        if isinstance(d, A.RangeColset):
            lo = self.const_int(d.lo, f"the lower bound of `{name}`")
            hi = self.const_int(d.hi, f"the upper bound of `{name}`")
            if lo > hi:
                self.error("PV306", d.lo.pos, lo=lo, hi=hi,
                           hint="check the parameters the bounds use (e.g. -D N=...)")
            cs = C.RangeSet(name, lo, hi, d.symmetric)
        elif isinstance(d, A.EnumColset):
            seen = set()
            for c in d.constants:
                if c.name in seen:
                    self.error("PV204", c.pos, what="constant", name=c.name)
                seen.add(c.name)
            cs = C.EnumSet(name, tuple(c.name for c in d.constants))
            for i, c in enumerate(d.constants):
                self.constants[c.name] = (cs, i)
        else:
            comps = []
            for ident in d.components:
                if ident.name == name or ident.name in stack:
                    self.error("PV301", ident.pos, context=f"colour set `{name}`",
                               expected="a colour set declared without itself", found=f"`{ident.name}`",
                               hint="a product cannot contain itself")
                comps.append(self.colset_ref(ident, stack + (name,)))
            cs = C.ProductSet(name, tuple(comps))
        self.colsets[name] = cs
        return cs

    def colset_ref(self, ident: A.Ident, stack=()) -> C.ColourSet:
        if ident.name in self.colsets:
            return self.colsets[ident.name]
        kind = self.kind_of(ident.name)
        if kind == "colour set":
            decl = self.colset_decls.get(ident.name)
            if decl is not None:
                return self.colset(decl, stack)
            raise _Abort  # its own declaration already failed
        if kind is not None:
            self.error("PV203", ident.pos, name=ident.name, actual=kind, expected="colour set")
        self.error("PV201", ident.pos, what="colour set", name=ident.name,
                   hint=self.suggest(ident.name, [n for n, (k, _) in self.declared.items() if k == "colour set"]
                                     + ["Unit"]))

    def type_ref(self, ref: A.TypeRef, allow_scalar: bool) -> C.Type:
        if len(ref.names) == 1:
            n = ref.names[0].name
            if allow_scalar and n == "int":
                return C.INT
            if allow_scalar and n == "bool":
                return C.BOOL
            return self.colset_ref(ref.names[0])
        comps = tuple(self.colset_ref(i) for i in ref.names)
        return C.ProductSet(" * ".join(i.name for i in ref.names), comps)

    def suggest(self, name: str, candidates) -> str:
        close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
        if not close:
            lowered = {c.lower(): c for c in candidates}
            if name.lower() in lowered:
                close = [lowered[name.lower()]]
        return f"did you mean `{close[0]}`?" if close else ""

    # ------------------------------------------------------------ functions
    def functions_all(self, decls: list[A.FunDecl]):
        if not decls:
            return
        import networkx as nx  # only models with functions pay for the import
        by_name = {d.name.name: d for d in decls if self.declared.get(d.name.name, (None, None))[1] is d.name}
        graph = nx.DiGraph()
        for name, d in by_name.items():
            graph.add_node(name)
            for callee in _calls(d.body):
                if callee in by_name:
                    graph.add_edge(name, callee)
        bad = set()
        for name, d in by_name.items():
            try:
                cycle = nx.find_cycle(graph, source=name)
            except nx.NetworkXNoCycle:
                continue
            members = [u for u, _ in cycle]
            if name in members:
                path = " -> ".join(members + [members[0]])
                self._guarded(self.error, "PV303", d.name.pos, name=name, cycle=path,
                              hint="unroll the recursion: colour sets are finite, so a bounded `if` chain "
                                   "or arithmetic usually does it")
                bad.add(name)
        order = [n for n in reversed(list(nx.topological_sort(graph.subgraph(set(by_name) - bad))))]
        # signatures first so that errors in one body do not hide others
        sigs = {}
        for name in by_name:
            if name in bad:
                continue
            d = by_name[name]
            try:
                params = []
                seen = set()
                for p in d.params:
                    if p.name.name in seen:
                        self.error("PV204", p.name.pos, what="parameter", name=p.name.name)
                    seen.add(p.name.name)
                    params.append((p.name.name, self.type_ref(p.type, True)))
                sigs[name] = (tuple(params), self.type_ref(d.result, True))
            except _Abort:
                bad.add(name)
        self._fun_sigs = sigs
        for name in order:
            if name in bad or name not in sigs:
                continue
            d = by_name[name]
            params, result = sigs[name]
            scope = {pname: (i, ptype) for i, (pname, ptype) in enumerate(params)}
            try:
                body = self.expr(d.body, scope, context=f"the body of `{name}`")
                body = self.coerce(body, result, d.body.pos, f"the result of `{name}`")
            except _Abort:
                bad.add(name)
                continue
            self.functions[name] = ir.Function(name, params, result, body, self.loc(d.name.pos))

    # --------------------------------------------------------------- places
    def place(self, d: A.PlaceDecl):
        if len(d.type.names) == 1 and d.type.names[0].name in ("int", "bool"):
            self.error("PV301", d.type.pos, context=f"place `{d.name.name}`", expected="a colour set",
                       found=d.type.names[0].name,
                       hint="places hold tokens of a finite colour set; declare one, e.g. `colset C = 0..10`")
        colset = self.type_ref(d.type, False)
        if isinstance(colset, (C.IntType, C.BoolType)):
            self.error("PV301", d.type.pos, context=f"place `{d.name.name}`", expected="a colour set",
                       found=colset.name)
        initial: tuple = ()
        if d.init is not None:
            context = f"the initial marking of `{d.name.name}`"
            terms = self.ms(d.init, {}, colset, context, for_init=True)
            written = [t for t in _flatten(d.init) if not isinstance(t, A.MsEmpty)]
            pairs = []
            for term, at in zip(terms, written):  # one at a time, to point at the failing one
                try:
                    pairs.extend(compile_ms((term,))([]))
                except EvalFailure as err:
                    self.error("PV311", at.pos, context=context, problem=err.message, hint=err.hint)
            counts: dict = {}
            for v, n in pairs:
                counts[v] = counts.get(v, 0) + n
            initial = tuple(sorted((v, n) for v, n in counts.items() if n > 0))
        self.places[d.name.name] = ir.Place(len(self.places), d.name.name, colset, initial, self.loc(d.name.pos))

    # ---------------------------------------------------------- transitions
    def transition(self, d: A.TransitionDecl, index: int) -> ir.Transition:
        tname = d.name.name
        scope: dict[str, tuple[int, C.Type]] = {}
        variables: list[tuple[str, C.ColourSet]] = []
        var_pos: dict[str, A.Pos] = {}
        failed = False

        arcs_places = []
        for arc in d.arcs:
            place = self.places.get(arc.place.name)
            if place is None:
                kind = self.kind_of(arc.place.name)
                if kind is not None and kind != "place":
                    self._guarded(self.error, "PV203", arc.place.pos, name=arc.place.name, actual=kind,
                                  expected="place")
                elif kind is None:
                    self._guarded(self.error, "PV201", arc.place.pos, what="place", name=arc.place.name,
                                  hint=self.suggest(arc.place.name, list(self.places)))
                failed = True
            arcs_places.append(place)
        self.suppress_unbound = failed
        conflicted: set[int] = set()

        # 1. variables bound by patterns on in/read arcs
        def bind(pattern: A.Expr, t: C.Type):
            if isinstance(pattern, A.Name) and self._is_variable_name(pattern.name):
                if pattern.name in scope:
                    prev = scope[pattern.name][1]
                    if prev is not t and not (isinstance(prev, C.RangeSet) and isinstance(t, C.RangeSet)
                                              and (prev.lo, prev.hi) == (t.lo, t.hi)):
                        self._guarded(self.error, "PV301", pattern.pos, context=f"variable `{pattern.name}`",
                                      expected=prev.name, found=t.name,
                                      notes=(f"`{pattern.name}` is first bound at line "
                                             f"{var_pos[pattern.name].line} as {prev.name}",))
                        conflicted.add(current_arc[0])
                    return
                if not isinstance(t, C.ColourSet):
                    return
                scope[pattern.name] = (len(variables), t)
                variables.append((pattern.name, t))
                var_pos[pattern.name] = pattern.pos
            elif isinstance(pattern, A.TupleExpr):
                comps = t.components if isinstance(t, C.ProductSet) else None
                if comps is None or len(comps) != len(pattern.items):
                    return  # reported when the inscription is typed
                for item, ct in zip(pattern.items, comps):
                    bind(item, ct)

        current_arc = [0]
        for k, (arc, place) in enumerate(zip(d.arcs, arcs_places)):
            if place is None or arc.kind not in ("in", "read"):
                continue
            current_arc[0] = k
            for term in _flatten(arc.inscription):
                if isinstance(term, A.MsTerm) and (term.coef is None or
                                                    (isinstance(term.coef, A.IntLit) and term.coef.value >= 1)):
                    bind(term.value, place.colset)

        # 2. arcs, typed in that scope
        arcs = []
        failed = failed or bool(conflicted)
        for k, (arc, place) in enumerate(zip(d.arcs, arcs_places)):
            if place is None or k in conflicted:
                continue
            context = f"the {arc.kind} arc from `{place.name}`" if arc.kind in ("in", "read", "inhibit") \
                else f"the out arc to `{place.name}`"
            terms = self._guarded(self.ms, arc.inscription, scope, place.colset, context)
            if terms is None:
                failed = True
                continue
            arcs.append(ir.Arc(arc.kind, place, terms, self.loc(arc.pos)))

        # 3. guard and emit
        guard: list[ir.Expr] = []
        for g in d.guards:
            e = self._guarded(self.expr, g.expr, scope, "the guard")
            if e is None:
                failed = True
                continue
            if not isinstance(e.type, C.BoolType):
                self._guarded(self.error, "PV301", g.expr.pos, context="the guard", expected="bool",
                              found=C.type_name(e.type), hint="a guard is a condition, e.g. `x != y`")
                failed = True
                continue
            guard.extend(_conjuncts(e))
        emit = None
        if len(d.emits) > 1:
            self._guarded(self.error, "PV205", d.emits[1].pos, name=tname,
                          hint="a transition stands for at most one trace event")
            failed = True
        for em in d.emits[:1]:
            fields = []
            seen = set()
            for f in em.fields:
                if f.name.name in seen:
                    self._guarded(self.error, "PV204", f.name.pos, what="field", name=f.name.name)
                    failed = True
                    continue
                seen.add(f.name.name)
                e = self._guarded(self.expr, f.value, scope, f"field `{f.name.name}`")
                if e is None:
                    failed = True
                    continue
                fields.append((f.name.name, e))
            emit = ir.Emit(em.label.name, tuple(fields), self.loc(em.pos), em.partial)
        if failed:
            raise _Abort
        return ir.Transition(index, tname, tuple(variables), tuple(arcs), tuple(guard), emit, self.loc(d.name.pos))

    def _is_variable_name(self, name: str) -> bool:
        return self.kind_of(name) is None

    # ---------------------------------------------------------- multisets
    def ms(self, m: A.MsExpr, scope, colset: C.ColourSet, context: str, for_init: bool = False) -> tuple:
        out = []
        for t in _flatten(m):
            if isinstance(t, A.MsEmpty):
                continue
            if isinstance(t, A.MsAll):
                if colset.size > ALL_LIMIT:
                    self.error("PV310", t.pos, name=colset.name, size=colset.size, limit=ALL_LIMIT)
                out.append(ir.MsAll(colset))
            elif isinstance(t, A.MsIf):
                cond = self.expr(t.cond, scope, context, for_init=for_init)
                if not isinstance(cond.type, C.BoolType):
                    self.error("PV301", t.cond.pos, context=f"the condition in {context}", expected="bool",
                               found=C.type_name(cond.type))
                out.append(ir.MsIf(cond, self.ms(t.then, scope, colset, context, for_init),
                                   self.ms(t.orelse, scope, colset, context, for_init)))
            else:
                assert isinstance(t, A.MsTerm)
                coef = None
                if t.coef is not None:
                    coef = self.expr(t.coef, scope, f"the multiplicity in {context}", for_init=for_init)
                    if not isinstance(coef.type, (C.IntType, C.RangeSet)):
                        self.error("PV301", t.coef.pos, context=f"the multiplicity in {context}",
                                   expected="an integer", found=C.type_name(coef.type))
                value = self.expr(t.value, scope, context, for_init=for_init, expected=colset)
                value = self.coerce(value, colset, t.value.pos, f"a token of {context}")
                out.append(ir.MsTerm(coef, value))
        return tuple(out)

    def coerce(self, e: ir.Expr, expected: C.Type, pos: A.Pos, context: str) -> ir.Expr:
        """``e`` where a value of ``expected`` is needed: a type error, or ``e`` with a run-time check."""
        if not C.assignable(e.type, expected):
            hint = ""
            if isinstance(expected, C.ProductSet) and not isinstance(e.type, (C.ProductSet, C.TupleType)):
                hint = f"write a tuple of {len(expected.components)} values"
            self.error("PV301", pos, context=context, expected=_describe(expected), found=_describe(e.type),
                       hint=hint)
        if isinstance(expected, C.ProductSet) and isinstance(e, ir.TupleE):
            # check component by component: patterns stay patterns, messages stay precise
            items = tuple(self.coerce(i, c, pos, context) for i, c in zip(e.items, expected.components))
            return ir.TupleE(expected, items)
        if isinstance(expected, C.ColourSet) and C.needs_check(e.type, expected):
            return ir.CheckE(expected, e, context, self.loc(pos))
        return e

    # --------------------------------------------------------- expressions
    def expr(self, e: A.Expr, scope, context: str, for_init: bool = False, expected=None) -> ir.Expr:
        if isinstance(e, A.IntLit):
            return ir.Const(C.INT, e.value)
        if isinstance(e, A.BoolLit):
            return ir.Const(C.BOOL, e.value)
        if isinstance(e, A.Name):
            return self.name(e, scope, context, for_init)
        if isinstance(e, A.TupleExpr):
            comps = expected.components if isinstance(expected, C.ProductSet) and \
                len(expected.components) == len(e.items) else [None] * len(e.items)
            items = tuple(self.expr(i, scope, context, for_init, c) for i, c in zip(e.items, comps))
            return ir.TupleE(C.TupleType(tuple(i.type for i in items)), items)
        if isinstance(e, A.Not):
            inner = self.expr(e.operand, scope, context, for_init)
            self.want_bool(inner, e.operand.pos, "`not`")
            return ir.NotE(C.BOOL, inner)
        if isinstance(e, A.Neg):
            inner = self.expr(e.operand, scope, context, for_init)
            self.want_int(inner, e.operand.pos, "`-`")
            return ir.NegE(C.INT, inner)
        if isinstance(e, A.If):
            cond = self.expr(e.cond, scope, context, for_init)
            self.want_bool(cond, e.cond.pos, "the condition of `if`")
            a = self.expr(e.then, scope, context, for_init, expected)
            b = self.expr(e.orelse, scope, context, for_init, expected)
            t = _unify(a.type, b.type)
            if t is None:
                self.error("PV301", e.orelse.pos, context="the branches of `if`", expected=_describe(a.type),
                           found=_describe(b.type), hint="both branches must have the same type")
            return ir.IfE(t, cond, a, b)
        if isinstance(e, A.BinOp):
            left = self.expr(e.left, scope, context, for_init)
            right = self.expr(e.right, scope, context, for_init)
            loc = self.loc(e.pos)
            if e.op in ("and", "or"):
                self.want_bool(left, e.left.pos, f"`{e.op}`")
                self.want_bool(right, e.right.pos, f"`{e.op}`")
                return ir.BinE(C.BOOL, e.op, left, right, loc)
            if e.op in ("+", "-", "*", "/", "%"):
                self.want_int(left, e.left.pos, f"`{e.op}`")
                self.want_int(right, e.right.pos, f"`{e.op}`")
                return ir.BinE(C.INT, e.op, left, right, loc)
            if e.op in ("<", "<=", ">", ">="):
                for side, pos in ((left, e.left.pos), (right, e.right.pos)):
                    if not isinstance(side.type, (C.IntType, C.RangeSet)):
                        if isinstance(side.type, C.EnumSet):
                            self.error("PV307", pos, op=e.op, found=f"enumeration `{side.type.name}`",
                                       hint="enumerations have no order; compare with `==` or `!=`")
                        self.error("PV307", pos, op=e.op, found=_describe(side.type))
                return ir.BinE(C.BOOL, e.op, left, right, loc)
            # == and !=
            if _unify(left.type, right.type) is None:
                self.error("PV301", e.pos, context=f"the comparison `{e.op}`", expected=_describe(left.type),
                           found=_describe(right.type), hint="compare values of the same type")
            return ir.BinE(C.BOOL, e.op, left, right, loc)
        if isinstance(e, A.Call):
            return self.call(e, scope, context, for_init)
        raise AssertionError(e)

    def want_bool(self, e: ir.Expr, pos: A.Pos, what: str):
        if not isinstance(e.type, C.BoolType):
            self.error("PV301", pos, context=f"the operand of {what}", expected="bool", found=_describe(e.type))

    def want_int(self, e: ir.Expr, pos: A.Pos, what: str):
        if not isinstance(e.type, (C.IntType, C.RangeSet)):
            hint = "enumeration values are not numbers" if isinstance(e.type, C.EnumSet) else ""
            self.error("PV301", pos, context=f"the operand of {what}", expected="an integer",
                       found=_describe(e.type), hint=hint)

    def name(self, e: A.Name, scope, context: str, for_init: bool) -> ir.Expr:
        n = e.name
        if n in scope:
            slot, t = scope[n]
            return ir.Var(t, slot, n)
        if n in self.params:
            return ir.Const(C.INT, self.params[n])
        if n in self.constants:
            cs, idx = self.constants[n]
            return ir.Const(cs, idx)
        kind = self.kind_of(n)
        if kind is not None:
            if kind == "constant":
                raise _Abort  # its enumeration failed to check; already reported
            if kind == "function":
                self.error("PV203", e.pos, name=n, actual="function", expected="value",
                           hint=f"call it: `{n}(...)`")
            self.error("PV203", e.pos, name=n, actual=kind, expected="value",
                       hint="places are not values; use arcs to move their tokens")
        candidates = list(scope) + list(self.params) + list(self.constants)
        if self.const_context is not None:
            self.error("PV201", e.pos, what="name", name=n,
                       hint=self.suggest(n, list(self.params)) or "declare it first: `param " + n + " = ...`")
        if for_init:
            hint = self.suggest(n, candidates) or "an initial marking uses only constants and parameters"
            self.error("PV308", e.pos, name=n, hint=hint)
        if not self.in_transition:
            self.error("PV201", e.pos, what="name", name=n, hint=self.suggest(n, candidates))
        if self.suppress_unbound:
            raise _Abort  # an arc of this transition failed; its patterns may be what binds `n`
        hint = self.suggest(n, candidates) or \
            f"bind it with a pattern on an input arc, e.g. `in SomePlace : {n}`"
        self.error("PV302", e.pos, name=n, hint=hint)

    def call(self, e: A.Call, scope, context: str, for_init: bool) -> ir.Expr:
        if self.const_context is not None:
            self.error("PV305", e.pos, context=self.const_context, name=e.name,
                       why="is a function call; only integers, parameters and arithmetic may appear here",
                       hint="use a `param`, or write the arithmetic out")
        fun = self.functions.get(e.name)
        sig = getattr(self, "_fun_sigs", {}).get(e.name)
        if fun is None and sig is None:
            kind = self.kind_of(e.name)
            if kind == "function":
                raise _Abort  # the function itself failed to check; reported there
            if kind is not None:
                self.error("PV203", e.pos, name=e.name, actual=kind, expected="function")
            self.error("PV201", e.pos, what="function", name=e.name,
                       hint=self.suggest(e.name, list(self.functions) + list(getattr(self, "_fun_sigs", {}))))
        params, result = sig if sig is not None else (fun.params, fun.result)
        if len(e.args) != len(params):
            self.error("PV304", e.pos, name=e.name, expected=len(params), found=len(e.args))
        args = []
        for a, (pname, ptype) in zip(e.args, params):
            v = self.expr(a, scope, context, for_init, ptype)
            args.append(self.coerce(v, ptype, a.pos, f"argument `{pname}` of `{e.name}`"))
        if fun is None:
            # called from a function body being checked before its callee: cannot happen in
            # topological order, but keep the checker total
            raise _Abort
        return ir.CallE(result, fun, tuple(args), self.loc(e.pos))


# ---------------------------------------------------------------- helpers
def _flatten(m: A.MsExpr):
    if isinstance(m, A.MsSum):
        for t in m.terms:
            yield from _flatten(t)
    else:
        yield m


def _calls(e) -> set[str]:
    out = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, A.Call):
            out.add(x.name)
            stack.extend(x.args)
        elif isinstance(x, A.BinOp):
            stack += [x.left, x.right]
        elif isinstance(x, (A.Not, A.Neg)):
            stack.append(x.operand)
        elif isinstance(x, A.If):
            stack += [x.cond, x.then, x.orelse]
        elif isinstance(x, A.TupleExpr):
            stack.extend(x.items)
    return out


def _conjuncts(e: ir.Expr):
    if isinstance(e, ir.BinE) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


def _unify(a: C.Type, b: C.Type) -> C.Type | None:
    if a is b:
        return a
    ints = (C.IntType, C.RangeSet)
    if isinstance(a, ints) and isinstance(b, ints):
        return C.INT
    ca = a.components if isinstance(a, C.ProductSet) else a.items if isinstance(a, C.TupleType) else None
    cb = b.components if isinstance(b, C.ProductSet) else b.items if isinstance(b, C.TupleType) else None
    if ca is not None and cb is not None and len(ca) == len(cb):
        items = [_unify(x, y) for x, y in zip(ca, cb)]
        if any(i is None for i in items):
            return None
        return C.TupleType(tuple(items))
    return None


def _describe(t: C.Type) -> str:
    if isinstance(t, C.RangeSet):
        return f"{t.name} ({t.lo}..{t.hi})"
    if isinstance(t, C.EnumSet):
        return f"enumeration {t.name}"
    if isinstance(t, C.ProductSet):
        return f"{t.name} (a tuple of {len(t.components)})"
    if isinstance(t, C.TupleType):
        return f"a tuple {t.name}"
    return t.name


