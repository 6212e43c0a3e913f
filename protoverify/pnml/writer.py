"""Net IR to PNML, and the loader for PNML files.

Three ways out:

* a net whose places are all of colour set ``Unit`` is written as a P/T net
  (``ptnet``), exactly;
* a coloured net is written as a symmetric net (``symmetricnet``) when every
  construct it uses has a symmetric-net counterpart: ranges, enumerations,
  products, variables, tuples, constants, ``==``/``!=``/orderings, ``and``,
  ``or``, ``not``, constant multiplicities and ``all``.  Functions,
  arithmetic, ``if``, variable multiplicities and inhibitor arcs have none:
  the error names the first such construct and where it is;
* ``unfold=True`` writes any net as the equivalent P/T net: one place per
  (place, colour) and one transition per (transition, binding) whose guard
  holds.  Read arcs become a consume-and-produce loop (the same enabling and
  the same effect); inhibitor arcs use the widespread PNML extension
  ``<type value="inhibitor"/>``.  The unfolded net has the same reachable
  markings, edges and dead markings as the coloured one.

Output is deterministic: the same net gives the same bytes.

>>> from protoverify import load_model_text
>>> net = load_model_text("model M place P : Unit = 2'unit  transition t in P : unit")
>>> print(export_pnml(net))  # doctest: +ELLIPSIS
<?xml version="1.0" encoding="utf-8"?>
<pnml xmlns="http://www.pnml.org/version-2009/grammar/pnml">
  <net id="M" type="http://www.pnml.org/version-2009/grammar/ptnet">
    <name><text>M</text></name>
    <page id="page0">
      <place id="P"><name><text>P</text></name><initialMarking><text>2</text></initialMarking></place>
      <transition id="t"><name><text>t</text></name></transition>
      <arc id="a1" source="P" target="t"><inscription><text>1</text></inscription></arc>
    </page>
  </net>
</pnml>
<BLANKLINE>
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ..diagnostics import Source, make
from ..dsl.parser import parse_model
from ..dsl.typecheck import check_model
from ..errors import ModelError
from ..net import colours as C
from ..net import ir
from ..net.evaluate import EvalFailure, compile_expr, compile_ms
from .reader import ModelText, pnml_to_model_text, read_pnml_bytes, remap_error

__all__ = ["export_pnml", "load_pnml", "pnml_model_text", "MAX_UNFOLDED"]

NS = "http://www.pnml.org/version-2009/grammar/pnml"
PTNET = "http://www.pnml.org/version-2009/grammar/ptnet"
SYMNET = "http://www.pnml.org/version-2009/grammar/symmetricnet"
MAX_UNFOLDED = 2_000_000  # bindings examined when unfolding, over all transitions


# ------------------------------------------------------------------ loading
def pnml_model_text(path: str | Path) -> ModelText:
    """The model text made from the PNML file at ``path`` (what ``protoverify import`` prints)."""
    return pnml_to_model_text(read_pnml_bytes(path), str(path))


def load_pnml(path: str | Path, params: dict[str, object] | None = None) -> ir.Net:
    """Read the PNML file at ``path`` and return its checked Net IR.

    Raises :class:`~protoverify.errors.ModelError` located in the PNML file.
    """
    name = str(path)
    data = read_pnml_bytes(path)
    mt = pnml_to_model_text(data, name)
    source = Source(name, mt.text)
    try:
        return check_model(parse_model(source), source, params)
    except ModelError as err:
        lines = data.decode("utf-8", errors="replace").split("\n")
        raise remap_error(err, mt, name, lines) from None


# ------------------------------------------------------------------ XML text
class _El:
    __slots__ = ("tag", "attrs", "children", "text")

    def __init__(self, tag: str, attrs: dict | None = None, children=None, text: str | None = None):
        self.tag = tag
        self.attrs = attrs or {}
        self.children = list(children or [])
        self.text = text

    def add(self, child: "_El") -> "_El":
        self.children.append(child)
        return child

    def inline(self) -> str:
        a = "".join(f" {k}={quoteattr(str(v))}" for k, v in self.attrs.items())
        if self.text is not None:
            return f"<{self.tag}{a}>{escape(self.text)}</{self.tag}>"
        if not self.children:
            return f"<{self.tag}{a}/>"
        return f"<{self.tag}{a}>" + "".join(c.inline() for c in self.children) + f"</{self.tag}>"

    def write(self, out: list[str], depth: int, inline_tags: frozenset) -> None:
        pad = "  " * depth
        if self.tag in inline_tags or self.text is not None or not self.children:
            out.append(pad + self.inline())
            return
        a = "".join(f" {k}={quoteattr(str(v))}" for k, v in self.attrs.items())
        out.append(f"{pad}<{self.tag}{a}>")
        for c in self.children:
            c.write(out, depth + 1, inline_tags)
        out.append(f"{pad}</{self.tag}>")


def _name(text: str) -> _El:
    return _El("name", children=[_El("text", text=text)])


def _document(net_el: _El, inline_tags) -> str:
    root = _El("pnml", {"xmlns": NS}, [net_el])
    out = ['<?xml version="1.0" encoding="utf-8"?>']
    root.write(out, 0, inline_tags)
    return "\n".join(out) + "\n"


class _Ids:
    """XML ids: unique in the document, readable (the model's names where possible)."""

    def __init__(self):
        self.used: set[str] = set()

    def make(self, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", wanted) or "x"
        if not (base[0].isalpha() or base[0] == "_"):
            base = "_" + base
        name, n = base, 2
        while name in self.used:
            name = f"{base}_{n}"
            n += 1
        self.used.add(name)
        return name


class _NotExpressible(Exception):
    def __init__(self, what: str, loc: ir.Loc | None, why: str):
        super().__init__(what)
        self.what, self.loc, self.why = what, loc, why


def _error(net: ir.Net, what: str, loc: ir.Loc | None, target: str, why: str, hint: str) -> ModelError:
    file, line, col = (loc.file, loc.line, loc.column) if loc is not None else (net.file, 1, 1)
    source_line = ""
    try:
        source_line = Path(file).read_text(encoding="utf-8").split("\n")[line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        pass
    return ModelError(make("PV808", file, line, col, source_line=source_line, what=what, target=target,
                           why=why, hint=hint))


# ------------------------------------------------------------------ export
def export_pnml(net: ir.Net, *, unfold: bool = False, warnings: list[str] | None = None) -> str:
    """The PNML text of ``net``: P/T if every place is ``Unit`` or ``unfold``, else a symmetric net.

    Raises :class:`~protoverify.errors.ModelError` (PV808) naming the first
    construct a symmetric net cannot express, or when unfolding would need
    more than :data:`MAX_UNFOLDED` bindings.  Bindings whose evaluation
    fails (a value outside its colour set) are left out of an unfolded net;
    ``warnings``, if given, receives a message saying how many.
    """
    if unfold or all(p.colset is C.UNIT for p in net.places):
        writer = _PtWriter(net)
        text = writer.run()
        if writer.dropped and warnings is not None:
            warnings.append(
                f"{writer.dropped:,} binding(s) left out of the unfolded net because evaluating them fails, "
                f"e.g. {writer.first_drop}; exploring the model stops with that error if such a binding is ever "
                "enabled, so the unfolded net is equivalent whenever the model explores without a run-time error")
        return text
    try:
        return _SymWriter(net).run()
    except _NotExpressible as err:
        raise _error(net, err.what, err.loc, "a symmetric net", err.why,
                     "export with --unfold to write the equivalent P/T net") from None


def _value_text(cs: C.ColourSet, v) -> str:
    if isinstance(cs, C.ProductSet):
        return "_".join(_value_text(c, x) for c, x in zip(cs.components, v))
    if isinstance(cs, C.EnumSet):
        return cs.constants[v]
    return str(v) if v >= 0 else f"m{-v}"


class _PtWriter:
    def __init__(self, net: ir.Net):
        self.net = net
        self.ids = _Ids()
        self.dropped = 0
        self.first_drop: str | None = None

    def run(self) -> str:
        net = self.net
        pre_post = []  # (transition name, pre{(p, v): n}, post, inhibit set)
        budget = MAX_UNFOLDED
        for t in net.transitions:
            domains = [cs.values for _, cs in t.variables]
            total = 1
            for d in domains:
                total *= len(d)
            budget -= total
            if budget < 0:
                raise _error(net, f"transition `{t.name}`", t.loc, "a P/T net",
                             f"unfolding needs more than {MAX_UNFOLDED:,} bindings", "reduce the parameters")
            guards = [compile_expr(g) for g in t.guard]
            arcs = [(a, compile_ms(a.inscription)) for a in t.arcs]
            for combo in itertools.product(*domains):
                env = list(combo)
                try:
                    if not all(g(env) for g in guards):
                        continue
                    pre: dict = {}
                    post: dict = {}
                    inhibit: set = set()
                    for a, f in arcs:
                        for v, n in f(env):
                            if n <= 0:
                                continue
                            if not a.place.colset.contains(v):
                                raise EvalFailure(f"value {v!r} is not in colour set {a.place.colset.describe()} "
                                                  f"of place `{a.place.name}`", a.loc)
                            key = (a.place.index, v)
                            if a.kind in ("in", "read"):
                                pre[key] = pre.get(key, 0) + n
                            if a.kind in ("out", "read"):
                                post[key] = post.get(key, 0) + n
                            if a.kind == "inhibit":
                                inhibit.add(key)
                except EvalFailure as err:
                    # the explorer stops with this error if the binding is ever
                    # enabled; a model that explores cleanly never enables it
                    self.dropped += 1
                    if self.first_drop is None:
                        binding = ", ".join(f"{name} = {cs.show(x)}" for (name, cs), x in zip(t.variables, combo))
                        where = f"{err.loc}: " if err.loc else ""
                        self.first_drop = f"{where}transition `{t.name}` with {binding}: {err.message}"
                    continue
                label = t.name if not t.variables else t.name + "_" + "_".join(
                    _value_text(cs, x) for (_, cs), x in zip(t.variables, combo))
                pre_post.append((label, pre, post, inhibit))
        # places: every (place, colour) that is marked initially or on some arc
        used = set()
        for p in net.places:
            for v, _ in p.initial:
                used.add((p.index, v))
        for _, pre, post, inh in pre_post:
            used.update(pre, post, inh)
        place_ids = {}
        page = _El("page", {"id": "page0"})
        net_id = self.ids.make(net.name)
        page.attrs["id"] = self.ids.make("page0")
        for p in net.places:
            colours = p.colset.values if p.colset is not C.UNIT else (0,)
            initial = dict(p.initial)
            for v in sorted(v for v in colours if (p.index, v) in used) if p.colset is not C.UNIT else colours:
                label = p.name if p.colset is C.UNIT else f"{p.name}_{_value_text(p.colset, v)}"
                pid = self.ids.make(label)
                place_ids[(p.index, v)] = pid
                el = page.add(_El("place", {"id": pid}, [_name(pid)]))
                n = initial.get(v, 0)
                if n:
                    el.add(_El("initialMarking", children=[_El("text", text=str(n))]))
        arcs = []
        for label, pre, post, inh in pre_post:
            tid = self.ids.make(label)
            page.add(_El("transition", {"id": tid}, [_name(tid)]))
            for key in sorted(pre, key=_key_order):
                arcs.append((place_ids[key], tid, pre[key], False))
            for key in sorted(inh, key=_key_order):
                arcs.append((place_ids[key], tid, 1, True))
            for key in sorted(post, key=_key_order):
                arcs.append((tid, place_ids[key], post[key], False))
        for i, (src, dst, n, inhibitor) in enumerate(arcs, 1):
            el = page.add(_El("arc", {"id": self.ids.make(f"a{i}"), "source": src, "target": dst}))
            el.add(_El("inscription", children=[_El("text", text=str(n))]))
            if inhibitor:
                el.add(_El("type", {"value": "inhibitor"}))
        net_el = _El("net", {"id": net_id, "type": PTNET}, [_name(net.name), page])
        return _document(net_el, frozenset({"place", "transition", "arc", "name"}))


def _key_order(key):
    p, v = key
    return (p, repr(type(v)), v)


class _SymWriter:
    def __init__(self, net: ir.Net):
        self.net = net
        self.ids = _Ids()
        self.sort_ids: dict[int, str] = {}  # id(colour set) -> namedsort id
        self.enum_bodies: dict[int, _El] = {}
        self.decls: list[_El] = []

    # sorts ------------------------------------------------------------
    def declare_sorts(self):
        net = self.net
        for cs in net.colsets.values():
            if isinstance(cs, C.EnumSet) and cs is not C.UNIT:
                for c in cs.constants:
                    self.ids.used.add(c)
        self.unit_id = None
        for name, cs in net.colsets.items():
            if cs is C.UNIT:
                continue
            sid = self.ids.make(name)
            self.sort_ids[id(cs)] = sid
        for name, cs in net.colsets.items():
            if cs is C.UNIT:
                continue
            body = self.sort_body(cs, top=True)
            self.decls.append(_El("namedsort", {"id": self.sort_ids[id(cs)], "name": name}, [body]))

    def unit(self) -> str:
        if self.unit_id is None:
            self.unit_id = self.ids.make("dot")
            self.decls.insert(0, _El("namedsort", {"id": self.unit_id, "name": "Dot"}, [_El("dot")]))
        return self.unit_id

    def sort_body(self, cs: C.ColourSet, top: bool = False) -> _El:
        if isinstance(cs, C.RangeSet):
            return _El("finiteintrange", {"start": cs.lo, "end": cs.hi})
        if isinstance(cs, C.EnumSet):
            el = _El("finiteenumeration", children=[_El("feconstant", {"id": c, "name": c}) for c in cs.constants])
            self.enum_bodies[id(cs)] = el  # becomes a cyclicenumeration if successor is used on it
            return el
        if isinstance(cs, C.ProductSet):
            return _El("productsort", children=[self.sort_ref(c) for c in cs.components])
        raise _NotExpressible(f"colour set `{cs.name}`", None, "unknown kind")  # pragma: no cover

    def sort_ref(self, cs: C.ColourSet) -> _El:
        if cs is C.UNIT:
            return _El("usersort", {"declaration": self.unit()})
        sid = self.sort_ids.get(id(cs))
        if sid is not None:
            return _El("usersort", {"declaration": sid})
        return self.sort_body(cs)  # an unnamed product (a place typed `A * B`)

    def unary_kind(self, fun: ir.Function) -> str | None:
        """``identity``, ``successor`` or ``predecessor`` if ``fun`` computes one of them, else None.

        Decided by evaluating the function on every value of its parameter's
        colour set: the model's `fun next(x: E): E = if x == a then b else ...`
        is a successor on enumeration ``E`` whatever way it is written.
        """
        if len(fun.params) != 1 or fun.body is None:
            return None
        cs = fun.params[0][1]
        if not isinstance(cs, C.ColourSet) or cs.size > 10_000:
            return None
        body = compile_expr(fun.body)
        values = cs.values
        try:
            image = [body([v]) for v in values]
        except EvalFailure:
            return None
        if image == list(values) and fun.result is cs:
            return "identity"
        if not isinstance(cs, C.EnumSet) or fun.result is not cs or cs is C.UNIT:
            return None
        n = len(values)
        if image == [values[(i + 1) % n] for i in range(n)]:
            return "successor"
        if image == [values[(i - 1) % n] for i in range(n)]:
            return "predecessor"
        return None

    # terms ------------------------------------------------------------
    def value(self, cs: C.ColourSet, v) -> _El:
        if cs is C.UNIT:
            return _El("dotconstant")
        if isinstance(cs, C.EnumSet):
            return _El("useroperator", {"declaration": cs.constants[v]})
        if isinstance(cs, C.RangeSet):
            return _El("finiteintrangeconstant", {"value": v}, [_El("finiteintrange", {"start": cs.lo, "end": cs.hi})])
        if isinstance(cs, C.ProductSet):
            return _El("tuple", children=[_sub(self.value(c, x)) for c, x in zip(cs.components, v)])
        raise _NotExpressible(f"a value of `{cs.name}`", None, "unknown colour set")  # pragma: no cover

    def term(self, e: ir.Expr, hint, where: ir.Loc) -> _El:
        if isinstance(e, ir.CheckE):
            return self.term(e.operand, e.type, where)
        if isinstance(e, ir.Var):
            return _El("variable", {"refvariable": self.var_ids[e.slot]})
        if isinstance(e, ir.Const):
            cs = e.type if isinstance(e.type, C.ColourSet) else hint
            if isinstance(e.type, C.IntType) and isinstance(hint, C.RangeSet):
                cs = hint
            if not isinstance(cs, C.ColourSet) or (isinstance(cs, C.RangeSet) and not cs.contains(e.value)):
                raise _NotExpressible(f"the integer {e.value}", where,
                                      "a symmetric net has no integers outside finite ranges")
            return self.value(cs, e.value)
        if isinstance(e, ir.TupleE):
            comps = hint.components if isinstance(hint, C.ProductSet) else [None] * len(e.items)
            return _El("tuple", children=[_sub(self.term(i, h, where)) for i, h in zip(e.items, comps)])
        if isinstance(e, ir.CallE):
            kind = self.unary_kind(e.function)
            if kind is None:
                raise _NotExpressible(f"the call of function `{e.function.name}`", e.loc,
                                      "symmetric nets have no user functions (only successor and predecessor "
                                      "on enumerations, and the identity, are recognised)")
            arg = self.term(e.args[0], e.function.params[0][1], where)
            if kind == "identity":
                return arg
            self.enum_bodies[id(e.function.params[0][1])].tag = "cyclicenumeration"
            return _El(kind, children=[_sub(arg)])
        if isinstance(e, ir.BinE):
            raise _NotExpressible(f"the operator `{e.op}`", e.loc,
                                  "symmetric nets have no arithmetic on colours" if e.op in "+-*/%"
                                  else "a comparison is not a colour")
        if isinstance(e, ir.IfE):
            raise _NotExpressible("an `if` expression", where, "symmetric nets have no conditional terms")
        if isinstance(e, ir.NegE):
            raise _NotExpressible("a negation `-`", where, "symmetric nets have no arithmetic on colours")
        raise _NotExpressible(f"the expression {type(e).__name__}", where, "it has no symmetric-net counterpart")

    _CMP = {"==": "equality", "!=": "inequality", "<": "lessthan", "<=": "lessthanorequal",
            ">": "greaterthan", ">=": "greaterthanorequal"}

    def cond(self, e: ir.Expr, where: ir.Loc) -> _El:
        if isinstance(e, ir.BinE) and e.op in ("and", "or"):
            return _El(e.op, children=[_sub(self.cond(e.left, e.loc)), _sub(self.cond(e.right, e.loc))])
        if isinstance(e, ir.NotE):
            return _El("not", children=[_sub(self.cond(e.operand, where))])
        if isinstance(e, ir.Const) and isinstance(e.type, C.BoolType):
            return _El("booleanconstant", {"value": "true" if e.value else "false"})
        if isinstance(e, ir.BinE) and e.op in self._CMP:
            lt, rt = e.left.type, e.right.type
            lh = rt if isinstance(rt, C.ColourSet) else lt
            rh = lt if isinstance(lt, C.ColourSet) else rt
            return _El(self._CMP[e.op], children=[_sub(self.term(e.left, lh, e.loc)),
                                                   _sub(self.term(e.right, rh, e.loc))])
        if isinstance(e, ir.CallE):
            raise _NotExpressible(f"the call of function `{e.function.name}`", e.loc,
                                  "symmetric nets have no user functions")
        raise _NotExpressible("this guard", where, "it is not built from comparisons, and, or, not")

    def ms(self, terms, cs: C.ColourSet, where: ir.Loc) -> list[_El]:
        out = []
        for t in terms:
            if isinstance(t, ir.MsAll):
                out.append(_El("all", children=[self.sort_ref(cs)]))
            elif isinstance(t, ir.MsIf):
                raise _NotExpressible("an `if` multiset", where, "symmetric nets have no conditional multisets")
            else:
                n = 1
                if t.coef is not None:
                    if not isinstance(t.coef, ir.Const):
                        raise _NotExpressible("a computed multiplicity", where,
                                              "multiplicities in symmetric nets are constants")
                    n = t.coef.value
                if n == 0:
                    continue
                out.append(_numberof(n, self.term(t.value, cs, where)))
        return out

    # the net ------------------------------------------------------------
    def run(self) -> str:
        net = self.net
        for t in net.transitions:
            for a in t.arcs:
                if a.kind == "inhibit":
                    raise _NotExpressible(f"the inhibitor arc on place `{a.place.name}` of transition `{t.name}`",
                                          a.loc, "symmetric nets have no inhibitor arcs")
        self.declare_sorts()
        net_id = self.ids.make(net.name)
        page_id = self.ids.make("page0")
        place_ids = {p.index: self.ids.make(p.name) for p in net.places}
        trans_ids = {t.index: self.ids.make(t.name) for t in net.transitions}
        variables = []
        page = _El("page", {"id": page_id})
        for p in net.places:
            el = page.add(_El("place", {"id": place_ids[p.index]}, [_name(p.name)]))
            el.add(_El("type", children=[_El("structure", children=[self.sort_ref(p.colset)])]))
            if p.initial:
                if len(p.initial) == p.colset.size and all(n == 1 for _, n in p.initial) and p.colset.size > 1:
                    body = _El("all", children=[self.sort_ref(p.colset)])
                else:
                    parts = [_numberof(n, self.value(p.colset, v)) for v, n in p.initial]
                    body = parts[0] if len(parts) == 1 else _El("add", children=[_sub(x) for x in parts])
                el.add(_El("hlinitialMarking", children=[_El("structure", children=[body])]))
        arcs = []
        for t in net.transitions:
            tid = trans_ids[t.index]
            self.var_ids = []
            for name, cs in t.variables:
                vid = self.ids.make(f"{t.name}_{name}")
                self.var_ids.append(vid)
                variables.append(_El("variabledecl", {"id": vid, "name": name}, [self.sort_ref(cs)]))
            el = page.add(_El("transition", {"id": tid}, [_name(t.name)]))
            if t.guard:
                conds = [self.cond(g, t.loc) for g in t.guard]
                body = conds[0]
                for c in conds[1:]:
                    body = _El("and", children=[_sub(body), _sub(c)])
                el.add(_El("condition", children=[_El("structure", children=[body])]))
            ins: dict[int, list] = {}
            outs: dict[int, list] = {}
            for a in t.arcs:
                terms = self.ms(a.inscription, a.place.colset, a.loc)
                if a.kind in ("in", "read"):
                    ins.setdefault(a.place.index, []).extend(terms)
                if a.kind in ("out", "read"):
                    outs.setdefault(a.place.index, []).extend(
                        self.ms(a.inscription, a.place.colset, a.loc) if a.kind == "read" else terms)
            for p, terms in ins.items():
                if terms:
                    arcs.append((place_ids[p], tid, terms))
            for p, terms in outs.items():
                if terms:
                    arcs.append((tid, place_ids[p], terms))
        for i, (src, dst, terms) in enumerate(arcs, 1):
            body = terms[0] if len(terms) == 1 else _El("add", children=[_sub(x) for x in terms])
            page.add(_El("arc", {"id": self.ids.make(f"a{i}"), "source": src, "target": dst},
                         [_El("hlinscription", children=[_El("structure", children=[body])])]))
        decl = _El("declaration", children=[_El("structure", children=[
            _El("declarations", children=self.decls + variables)])])
        net_el = _El("net", {"id": net_id, "type": SYMNET}, [_name(net.name), decl, page])
        return _document(net_el, frozenset({"name", "namedsort", "variabledecl", "type", "hlinitialMarking",
                                            "condition", "hlinscription"}))


def _sub(el: _El) -> _El:
    return _El("subterm", children=[el])


def _numberof(n: int, term: _El) -> _El:
    return _El("numberof", children=[_sub(_El("numberconstant", {"value": n}, [_El("positive")])), _sub(term)])
