"""Check property declarations against a net and build :class:`~protoverify.props.model.Property`.

Property expressions share the model's expression typing (this checker is a
:class:`~protoverify.dsl.typecheck._Checker` seeded from the Net IR) and add
``count``, ``enabled``, quantifiers, ``P == all``/``P == empty``, ``deadlock``,
references to earlier named predicates, and — in ``ctl``/``ltl`` — temporal
operators and (in ``ltl``) emit-label events.
"""

from __future__ import annotations

from ..diagnostics import Source
from ..errors import ModelError
from ..net import colours as C
from ..net import ir
from ..net.evaluate import EvalFailure, eval_const
from ..props import formula as T
from ..props.model import (Atom, CountE, DeadE, EnabledE, FairnessItem, PlaceIsE, Property, QuantE,
                           compile_predicate)
from . import ast as A
from .props_parser import EventAtom, PropsFile, Quant, Special, Temporal
from .typecheck import _Abort, _Checker, _describe

__all__ = ["check_props"]

_CTL = {"EX", "AX", "EF", "AF", "EG", "AG", "EU", "AU"}
_LTL = {"X", "F", "G", "U", "R"}


def check_props(files: list[PropsFile], net: ir.Net) -> list[Property]:
    """Type-check every property of ``files`` against ``net``; errors are raised together."""
    out: list[Property] = []
    diags = []
    predicates: dict[str, ir.Expr] = {}
    seen: dict[str, int] = {}
    for pf in files:
        checker = _PropChecker(pf.source, net, predicates)
        if pf.model_path is not None:
            wanted = pf.model_path.replace("\\", "/").rsplit("/", 1)[-1]
            actual = net.file.replace("\\", "/").rsplit("/", 1)[-1]
            if wanted != actual:
                diags.append(pf.source.diagnostic(
                    "PV323", 1, 1, expected=wanted, actual=actual,
                    hint=f"check the right model, or fix the header `properties for \"...{actual}\"`"))
                continue
        for decl in pf.props:
            try:
                prop = checker.prop(decl, seen)
            except _Abort:
                continue
            finally:
                diags.extend(checker.diags)
                checker.diags = []
            if prop is not None:
                out.append(prop)
    if diags:
        raise ModelError(diags)
    return out


class _PropChecker(_Checker):
    def __init__(self, source: Source, net: ir.Net, predicates: dict[str, ir.Expr]):
        super().__init__(source, dict(net.params))
        self.net = net
        self.predicates = predicates
        self.colsets.update(net.colsets)
        fake = A.Ident("", A.Pos(1, 1))
        for name in net.params:
            self.declared[name] = ("parameter", fake)
        for name, cs in net.colsets.items():
            self.declared.setdefault(name, ("colour set", fake))
            if isinstance(cs, C.EnumSet):
                for i, c in enumerate(cs.constants):
                    self.constants[c] = (cs, i)
                    self.declared.setdefault(c, ("constant", fake))
        self.functions.update(net.functions)
        self._fun_sigs = {n: (f.params, f.result) for n, f in net.functions.items()}
        for name in net.functions:
            self.declared[name] = ("function", fake)
        self.places = {p.name: p for p in net.places}
        for name in self.places:
            self.declared[name] = ("place", fake)
        self.transitions = {t.name: t for t in net.transitions}
        for name in self.transitions:
            self.declared[name] = ("transition", fake)
        self.labels: dict[str, list[ir.Transition]] = {}
        for t in net.transitions:
            if t.emit is not None:
                self.labels.setdefault(t.emit.label, []).append(t)
        self.nslots = 1
        self.uses_enabled = False
        self.mode = "predicate"
        self.atoms: list[Atom] = []

    # ------------------------------------------------------------ declarations
    def prop(self, d, seen: dict[str, int]) -> Property | None:
        self.nslots, self.uses_enabled, self.atoms = 1, False, []
        name = d.name.name if d.name is not None else "deadlock"
        if d.name is not None and d.kind not in ("live",):
            if name in seen:
                self.error("PV322", d.name.pos, name=name, first=seen[name])
            seen[name] = d.name.pos.line
        loc = self.loc(d.pos)
        text = self.src.line_text(d.pos.line).strip()
        if d.kind in ("invariant", "reachable", "final", "home"):
            self.mode = "predicate"
            e = self.predicate(d.expr, f"the {d.kind} `{name}`")
            self.predicates[name] = e
            return Property(name, d.kind, loc, text, predicate=compile_predicate(e, self.nslots), expr=e,
                            uses_enabled=self.uses_enabled)
        if d.kind == "deadlock":
            return Property("deadlock", "deadlock", loc, text, only_final=True)
        if d.kind == "bound":
            place = self.place_ref(d.name)
            limit = self.const_int(d.expr, f"the bound of `{place.name}`")
            return Property(place.name, "bound", loc, text, place=place, limit=limit)
        if d.kind == "live":
            t = self.transition_ref(d.name)
            slot = None
            label = t.name
            if d.live_for is not None:
                var, cs_name = d.live_for
                names = [v for v, _ in t.variables]
                if var.name not in names:
                    self.error("PV201", var.pos, what=f"variable of `{t.name}`", name=var.name,
                               hint=self.suggest(var.name, names) or
                               f"`{t.name}` binds: {', '.join(names) or 'no variable'}")
                slot = names.index(var.name)
                cs = self.colset_ref(cs_name)
                if cs is not t.variables[slot][1]:
                    self.error("PV301", cs_name.pos, context=f"`live {t.name} for {var.name} in ...`",
                               expected=_describe(t.variables[slot][1]), found=_describe(cs))
                label = f"{t.name} for {var.name} in {cs_name.name}"
            return Property(label, "live", loc, text, transition=t, live_slot=slot, uses_enabled=True)
        # ctl / ltl
        self.mode = d.kind
        f = self.formula(d.expr)
        fairness = ()
        if d.kind == "ltl":
            items = []
            for kind, names in d.fairness:
                if names is None:
                    idx = tuple(t.index for t in self.net.transitions)
                else:
                    idx = tuple(self.transition_ref(n).index for n in names)
                items.append(FairnessItem(kind, idx))
            fairness = tuple(items)
        return Property(name, d.kind, loc, text, formula=f, atoms=list(self.atoms), fairness=fairness,
                        uses_enabled=self.uses_enabled)

    def place_ref(self, ident: A.Ident) -> ir.Place:
        p = self.places.get(ident.name)
        if p is None:
            kind = self.kind_of(ident.name)
            if kind is not None:
                self.error("PV203", ident.pos, name=ident.name, actual=kind, expected="place")
            self.error("PV201", ident.pos, what="place", name=ident.name,
                       hint=self.suggest(ident.name, list(self.places)))
        return p

    def transition_ref(self, ident: A.Ident) -> ir.Transition:
        t = self.transitions.get(ident.name)
        if t is None:
            kind = self.kind_of(ident.name)
            if kind is not None:
                self.error("PV203", ident.pos, name=ident.name, actual=kind, expected="transition")
            self.error("PV201", ident.pos, what="transition", name=ident.name,
                       hint=self.suggest(ident.name, list(self.transitions)))
        return t

    def predicate(self, e: A.Expr, context: str) -> ir.Expr:
        typed = self.expr(e, {}, context)
        if not isinstance(typed.type, C.BoolType):
            self.error("PV301", e.pos, context=context, expected="a condition (bool)", found=_describe(typed.type))
        return typed

    # ---------------------------------------------------------- formulas
    def formula(self, e: A.Expr) -> T.Formula:
        if isinstance(e, Temporal):
            op = e.op
            if op == "->":
                return T.Implies(self.formula(e.args[0]), self.formula(e.args[1]))
            if op in _CTL and self.mode != "ctl":
                self.error("PV320", e.pos, op=op, why="is a CTL operator; it may appear only in `ctl` properties",
                           hint="LTL writes `G`, `F`, `X`, `U`, `R`")
            if op in _LTL and self.mode != "ltl":
                self.error("PV320", e.pos, op=op, why="is an LTL operator; it may appear only in `ltl` properties",
                           hint="CTL puts a path quantifier first: `AG`, `EF`, `A[p U q]`, ...")
            args = [self.formula(a) for a in e.args]
            return {"X": T.X, "F": T.F, "G": T.G, "U": T.U, "R": T.R, "EX": T.EX, "AX": T.AX, "EF": T.EF,
                    "AF": T.AF, "EG": T.EG, "AG": T.AG, "EU": T.EU, "AU": T.AU}[op](*args)
        if isinstance(e, A.BinOp) and e.op in ("and", "or"):
            a, b = self.formula(e.left), self.formula(e.right)
            return T.And(a, b) if e.op == "and" else T.Or(a, b)
        if isinstance(e, A.Not):
            return T.Not(self.formula(e.operand))
        if isinstance(e, A.BoolLit):
            return T.TrueF() if e.value else T.FalseF()
        if isinstance(e, EventAtom) or (self.mode == "ltl" and self._is_label(e)):
            return self.event_atom(e)
        typed = self.predicate(e, f"an atomic proposition of `{self.mode}`")
        text = self.src.line_text(e.pos.line)[e.pos.column - 1: e.pos.column - 1 + e.pos.width].strip() \
            or f"p{len(self.atoms)}"
        self.atoms.append(Atom("state", text, predicate=compile_predicate(typed, self.nslots)))
        return T.Atom(len(self.atoms) - 1)

    def _is_label(self, e: A.Expr) -> bool:
        """A bare `label` or `label()` in LTL is an event (a transition may share the label's name)."""
        if isinstance(e, A.Call) and e.args:
            return False
        if not isinstance(e, (A.Name, A.Call)):
            return False
        return e.name in self.labels and e.name not in self.predicates and \
            self.kind_of(e.name) in (None, "transition") and e.name not in self.functions

    def event_atom(self, e) -> T.Formula:
        if self.mode != "ltl":
            self.error("PV320", e.pos, op=getattr(e, "label", getattr(e, "name", "?")),
                       why="is an event; events may appear only in `ltl` properties",
                       hint="in CTL, use `enabled(t)` or a condition on the marking")
        label = e.label if isinstance(e, EventAtom) else e.name  # A.Name or a field-less A.Call
        if label not in self.labels:
            self.error("PV201", e.pos, what="event label", name=label,
                       hint=self.suggest(label, list(self.labels)) or "labels come from `emit` in the model")
        ts = self.labels[label]
        constraints = []
        fields_of = [dict((n, i) for i, (n, _) in enumerate(t.emit.fields)) for t in ts]
        for ident, value in (e.fields if isinstance(e, EventAtom) else ()):
            if not any(ident.name in f for f in fields_of):
                known = sorted({n for f in fields_of for n in f})
                self.error("PV201", ident.pos, what=f"field of event `{label}`", name=ident.name,
                           hint=self.suggest(ident.name, known) or f"its fields: {', '.join(known) or 'none'}")
            typed = self.expr(value, {}, f"field `{ident.name}`")
            try:
                v = eval_const(typed)
            except (EvalFailure, IndexError, TypeError):
                self.error("PV305", value.pos, context=f"field `{ident.name}`", name=ident.name,
                           why="must be a constant here", hint="compare with a constant or a parameter")
            constraints.append((ident.name, v))
        text = label if not constraints else f"{label}(" + ", ".join(f"{k} = {v}" for k, v in constraints) + ")"
        self.atoms.append(Atom("event", text, label=label, transitions=tuple(t.index for t in ts),
                               fields=tuple(constraints)))
        return T.Atom(len(self.atoms) - 1)

    # ---------------------------------------------------------- expressions
    def expr(self, e: A.Expr, scope, context: str, for_init: bool = False, expected=None) -> ir.Expr:
        if isinstance(e, Temporal):
            if e.op == "->":
                a = self.expr(e.args[0], scope, context)
                b = self.expr(e.args[1], scope, context)
                self.want_bool(a, e.args[0].pos, "`->`")
                self.want_bool(b, e.args[1].pos, "`->`")
                return ir.BinE(C.BOOL, "or", ir.NotE(C.BOOL, a), b, self.loc(e.pos))
            where = "`ctl` and `ltl` properties" if self.mode == "predicate" else "temporal formulas"
            self.error("PV320", e.pos, op=e.op, why=f"is a temporal operator; it may appear only in {where}, "
                       "outside of comparisons and arithmetic")
        if isinstance(e, EventAtom):
            self.error("PV320", e.pos, op=e.label, why="is an event; events may appear only in `ltl` properties")
        if isinstance(e, Special):
            if e.kind == "deadlock":
                self.uses_enabled = True
                return DeadE(C.BOOL)
            self.error("PV301", e.pos, context=f"`{e.kind}`", expected="a comparison with a place",
                       found=f"`{e.kind}` alone", hint=f"write `SomePlace == {e.kind}`")
        if isinstance(e, Quant):
            cs = self.colset_ref(e.colset)
            slot = self.nslots
            self.nslots += 1
            inner = dict(scope)
            inner[e.var.name] = (slot, cs)
            body = self.expr(e.body, inner, context)
            self.want_bool(body, e.body.pos, f"`{e.kind}`")
            return QuantE(C.BOOL, e.kind, slot, cs, body)
        if isinstance(e, A.BinOp) and e.op in ("==", "!=") and \
                (isinstance(e.right, Special) and e.right.kind in ("all", "empty")):
            place = self._place_operand(e.left)
            node = PlaceIsE(C.BOOL, place, e.right.kind)
            return node if e.op == "==" else ir.NotE(C.BOOL, node)
        if isinstance(e, A.Name) and e.name not in scope:
            if e.name in self.predicates:
                return self.predicates[e.name]
            if e.name in self.places:
                self.error("PV321", e.pos, name=e.name, what="count its tokens with `count(...)`",
                           hint=f"`count({e.name}) > 0`, `count({e.name}, x)`, or `{e.name} == empty`")
            if e.name in self.transitions:
                self.error("PV203", e.pos, name=e.name, actual="transition", expected="value",
                           hint=f"`enabled({e.name})` says whether it can fire")
            if e.name not in self.params and e.name not in self.constants:
                candidates = list(scope) + list(self.params) + list(self.constants) + list(self.predicates) \
                    + list(self.places) + (list(self.labels) if self.mode == "ltl" else [])
                self.error("PV201", e.pos, what="name", name=e.name, hint=self.suggest(e.name, candidates))
        if isinstance(e, A.Call) and e.name == "count" and "count" not in self.functions:
            if not 1 <= len(e.args) <= 2:
                self.error("PV304", e.pos, name="count", expected="1 or 2", found=len(e.args))
            place = self._place_operand(e.args[0])
            pattern = None
            if len(e.args) == 2:
                pattern = self._pattern(e.args[1], place.colset, scope, context)
            return CountE(C.INT, place, pattern)
        if isinstance(e, A.Call) and e.name == "enabled" and "enabled" not in self.functions:
            if len(e.args) != 1 or not isinstance(e.args[0], A.Name):
                self.error("PV304", e.pos, name="enabled", expected="1 (a transition name)", found=len(e.args))
            self.uses_enabled = True
            return EnabledE(C.BOOL, self.transition_ref(A.Ident(e.args[0].name, e.args[0].pos)))
        return super().expr(e, scope, context, for_init, expected)

    def _place_operand(self, e: A.Expr) -> ir.Place:
        if not isinstance(e, A.Name):
            self.error("PV301", e.pos, context="this comparison", expected="a place name", found="an expression")
        return self.place_ref(A.Ident(e.name, e.pos))

    def _pattern(self, e: A.Expr, t: C.Type, scope, context: str):
        if isinstance(e, A.Name) and e.name == "_":
            return ("any",)
        if isinstance(e, A.TupleExpr):
            comps = t.components if isinstance(t, C.ProductSet) else None
            if comps is None or len(comps) != len(e.items):
                self.error("PV301", e.pos, context=f"a pattern of `count`", expected=_describe(t),
                           found=f"a tuple of {len(e.items)}")
            return ("tuple", [self._pattern(i, c, scope, context) for i, c in zip(e.items, comps)])
        typed = self.expr(e, scope, context)
        typed = self.coerce(typed, t, e.pos, "a pattern of `count`")
        if isinstance(typed, ir.Var):
            return ("var", typed.slot)
        if isinstance(typed, ir.Const):
            return ("const", typed.value)
        return ("expr", typed)
