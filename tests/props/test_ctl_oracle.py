"""CTL model checking (``protoverify.props.check``) against a naive evaluator.

Oracle: ``naive_ctl`` below, the textbook fixed-point characterisation of CTL
run on a networkx ``DiGraph`` built from ``space.successors`` (a self-loop
added on every dead marking: a run that stops stutters forever):

* ``EX S``   = states with a successor in S;
* ``E[a U b]`` = least fixpoint of ``Z = b | (a & EX Z)``, iterated from {} ;
* ``EG a``   = greatest fixpoint of ``Z = a & EX Z``, iterated from all states;
* ``EF``, ``AX``, ``AF``, ``AG``, ``A[a U b]`` by the usual dualities.

Atoms are evaluated by this file's own code on the raw markings (token
counts, ``P == empty``/``all``, quantifiers over the colour set) and on the
successor lists (``enabled(t)``, ``deadlock``); nothing from
``protoverify.props`` is used for the expected answer.

Hypothesis draws a small bounded coloured net (2-3 places over Unit, 1..2,
1..3, an enumeration or a product; 1-3 transitions with variable, constant
and tuple patterns, multiplicities, guards, read and inhibitor arcs; never
more tokens out than in) and a CTL formula of depth <= 3 (half of the time
topped by AG/EF/AF/EG) over 1-4 atoms -- ``count(P) OP k``, ``count(P, v)``,
``count(P, (v, _))``, sums, ``/`` and ``%``, ``if``, ``P == empty``/``all``,
``exists``/``forall``, ``enabled(t)``, ``deadlock``, ``true`` -- renders the formula as
property text (either fully parenthesised or with the fewest parentheses the
grammar allows) and compares, for the production checker:

* the parsed formula with the one drawn (same tree, atoms numbered left to right);
* the verdict of ``check_all`` with the oracle on the initial state;
* the whole label set of ``label_ctl`` with the oracle's;
* the evidence of top-level ``AG`` (fails), ``EF`` (holds), ``AF`` (fails)
  and ``EG`` (holds): it replays on the successor lists from state 0 and
  ends where (or loops through states where) the body says it should; the
  ``AG``/``EF`` paths are shortest.

The generator and the atom machinery are reused by
``test_liveness_home_oracle.py``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Callable, List

import networkx as nx
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from protoverify import explore
from protoverify.loader import load_checked
from protoverify.props import formula as T
from protoverify.props.check import check_all, label_ctl

MAX_STATES = 3000

# PV_ORACLE_EXAMPLES=5000 for a longer hunt
ORACLE_SETTINGS = settings(max_examples=int(os.environ.get("PV_ORACLE_EXAMPLES", 100)), deadline=None,
                           derandomize=True,
                           suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                  HealthCheck.data_too_large])

# ------------------------------------------------------------- colour sets

DECLS = "colset R2 = 1..2\ncolset R3 = 1..3\ncolset Col = { red, green }\ncolset Pair = R2 * Col\n"
COLSETS = ["Unit", "R2", "R3", "Col", "Pair"]
# each colour set's values as written in the language, and as stored in markings
TEXTS = {"Unit": ["unit"], "R2": ["1", "2"], "R3": ["1", "2", "3"], "Col": ["red", "green"],
         "Pair": ["(1, red)", "(1, green)", "(2, red)", "(2, green)"]}
VALUE = {"unit": 0, "red": 0, "green": 1, "1": 1, "2": 2, "3": 3,
         "(1, red)": (1, 0), "(1, green)": (1, 1), "(2, red)": (2, 0), "(2, green)": (2, 1)}
VARS = {"Unit": ["u"], "R2": ["a", "b"], "R3": ["c", "d"], "Col": ["k", "m"], "Pair": ["q", "r"]}


@dataclass
class NetSpec:
    text: str                 # the model (without properties)
    types: List[str]          # colour set of each place p0, p1, ...
    ntrans: int               # transitions t0, t1, ...


def _pattern(draw, cs: str, used: dict) -> str:
    """An input pattern: a variable (fresh ones preferred) or, less often, a constant."""
    if draw(st.integers(0, 3)) == 3:
        return draw(st.sampled_from(TEXTS[cs]))
    if cs == "Pair" and draw(st.booleans()):
        return "(%s, %s)" % (_pattern(draw, "R2", used), _pattern(draw, "Col", used))
    fresh = [v for v in VARS[cs] if v not in used]
    v = fresh[0] if fresh and draw(st.integers(0, 3)) < 3 else draw(st.sampled_from(VARS[cs]))
    used[v] = cs
    return v


def _value(draw, cs: str, used: dict) -> str:
    """An output value of colour set cs from bound variables and constants."""
    same = sorted(v for v, t in used.items() if t == cs)
    options = (["var", "fun", "var"] if same else []) + ["const"]
    choice = draw(st.sampled_from(options))
    if choice == "const":
        return draw(st.sampled_from(TEXTS[cs]))
    if cs == "Pair" and draw(st.booleans()):
        return "(%s, %s)" % (_value(draw, "R2", used), _value(draw, "Col", used))
    v = draw(st.sampled_from(same))
    if choice == "var" or cs in ("Unit", "Pair"):
        return v
    if cs == "R2":
        return "3 - %s" % v
    if cs == "R3":
        return "%s %% 3 + 1" % v
    return "(if %s == red then green else red)" % v


@st.composite
def small_nets(draw) -> NetSpec:
    """A bounded net: no transition puts out more tokens than it takes."""
    np_ = draw(st.integers(2, 3))
    types = [draw(st.sampled_from(COLSETS)) for _ in range(np_)]
    lines = ["model Random", DECLS]
    live = []  # places that may hold tokens: marked, or fed by an earlier transition
    for i, cs in enumerate(types):
        k = draw(st.integers(1, 3)) if i == 0 else draw(st.sampled_from([0, 1, 2, 0]))
        if k and draw(st.integers(0, 4)) == 4:
            lines.append("place p%d : %s = all" % (i, cs))
            live.append(i)
            continue
        toks = [draw(st.sampled_from(TEXTS[cs])) for _ in range(k)]
        if toks:
            live.append(i)
            lines.append("place p%d : %s = %s" % (i, cs, " ++ ".join(toks)))
        else:
            lines.append("place p%d : %s" % (i, cs))
    ntrans = draw(st.integers(1, 3))
    for j in range(ntrans):
        lines.append("transition t%d" % j)
        used: dict = {}
        consumed = 0
        no_input = j > 0 and draw(st.integers(0, 11)) == 11
        # t0 takes one token of p0 (which is marked): most nets get going
        ins = [0] if j == 0 else [] if no_input else draw(
            st.lists(st.sampled_from(live * 3 + list(range(np_))), min_size=1, max_size=2, unique=True))
        for p in ins:
            terms = []
            for _ in range(1 if j == 0 else draw(st.sampled_from([1, 1, 1, 2]))):
                mult = 1 if j == 0 else draw(st.sampled_from([1, 1, 1, 1, 1, 2]))
                pat = _pattern(draw, types[p], used)
                terms.append(pat if mult == 1 else "%d'%s" % (mult, pat))
                consumed += mult
            lines.append("  in p%d : %s" % (p, " ++ ".join(terms)))
        if j > 0 and draw(st.integers(0, 3)) == 3:
            p = draw(st.integers(0, np_ - 1))
            lines.append("  read p%d : %s" % (p, _pattern(draw, types[p], used)))
        if j > 0 and draw(st.integers(0, 4)) == 4:
            p = draw(st.integers(0, np_ - 1))
            what = "all" if draw(st.booleans()) else _value(draw, types[p], used)
            lines.append("  inhibit p%d : %s" % (p, what))
        ints = sorted(v for v, cs in used.items() if cs in ("R2", "R3"))
        enums = sorted(v for v, cs in used.items() if cs == "Col")
        if (ints or enums) and draw(st.integers(0, 2)) == 2:
            if ints and (not enums or draw(st.booleans())):
                x = draw(st.sampled_from(ints))
                others = [v for v in ints if v != x and used[v] == used[x]]
                if others and draw(st.booleans()):
                    g = "%s %s %s" % (x, draw(st.sampled_from(["!=", "==", "<"])), draw(st.sampled_from(others)))
                else:
                    g = "%s %s %d" % (x, draw(st.sampled_from(["==", "!=", ">="])), draw(st.integers(1, 2)))
            else:
                g = "%s %s %s" % (draw(st.sampled_from(enums)), draw(st.sampled_from(["==", "!="])),
                                  draw(st.sampled_from(["red", "green"])))
            lines.append("  guard %s" % g)
        # never more tokens out than in: the state space stays finite; mostly
        # as many (the net keeps running), mostly into other places
        budget = consumed if draw(st.integers(0, 3)) < 3 else draw(st.integers(0, consumed))
        elsewhere = [p for p in range(np_) if p not in ins] or list(range(np_))
        outs: dict = {}
        for _ in range(budget):
            p = draw(st.sampled_from(elsewhere * 2 + list(range(np_))))
            outs.setdefault(p, []).append(_value(draw, types[p], used))
        for p, vals in sorted(outs.items()):
            lines.append("  out p%d : %s" % (p, " ++ ".join(vals)))
            if p not in live:
                live.append(p)
    return NetSpec("\n".join(lines) + "\n", types, ntrans)


# ------------------------------------------------------------------- atoms

# precedence levels of the property grammar (higher binds tighter)
L_TOP, L_IMP, L_OR, L_AND, L_UNTIL, L_PREFIX, L_CMP, L_ATOM = 0, 1, 2, 3, 4, 5, 6, 7

_CMP = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y,
        "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}


@dataclass
class AtomSpec:
    text: str
    level: int
    holds: Callable  # (space, state) -> bool, computed by this file's code


def _tokens(space, s, p, value=None) -> int:
    return sum(n for v, n in space.markings[s][p] if value is None or v == value)


def _tokens_where(space, s, p, test) -> int:
    return sum(n for v, n in space.markings[s][p] if test(v))


def _enabled(space, s, t) -> bool:
    return any(ti == t for _, ti, _ in space.successors[s])


@st.composite
def atoms(draw, net: NetSpec) -> AtomSpec:
    np_ = len(net.types)
    p = draw(st.integers(0, np_ - 1))
    cs = net.types[p]
    kind = draw(st.sampled_from(["count", "count", "value", "value", "any", "empty", "all", "enabled",
                                 "enabled", "deadlock", "sum", "exists", "forall", "bool", "arith", "if"]
                                + ["proj", "proj", "projq"] * (cs == "Pair")))
    op = draw(st.sampled_from(sorted(_CMP)))
    k = draw(st.integers(0, 3))
    cmp = _CMP[op]
    if kind == "count":
        return AtomSpec("count(p%d) %s %d" % (p, op, k), L_CMP,
                        lambda sp, s: cmp(_tokens(sp, s, p), k))
    if kind == "any":
        return AtomSpec("count(p%d, _) %s %d" % (p, op, k), L_CMP,
                        lambda sp, s: cmp(_tokens(sp, s, p), k))
    if kind == "value":
        vt = draw(st.sampled_from(TEXTS[cs]))
        v = VALUE[vt]
        return AtomSpec("count(p%d, %s) %s %d" % (p, vt, op, k), L_CMP,
                        lambda sp, s: cmp(_tokens(sp, s, p, v), k))
    if kind == "empty":
        neg = draw(st.booleans())
        return AtomSpec("p%d %s empty" % (p, "!=" if neg else "=="), L_CMP,
                        lambda sp, s: (_tokens(sp, s, p) == 0) != neg)
    if kind == "all":
        full = {VALUE[x]: 1 for x in TEXTS[cs]}
        return AtomSpec("p%d == all" % p, L_CMP,
                        lambda sp, s: {v: n for v, n in sp.markings[s][p] if n} == full)
    if kind == "enabled":
        t = draw(st.integers(0, net.ntrans - 1))
        return AtomSpec("enabled(t%d)" % t, L_ATOM, lambda sp, s: _enabled(sp, s, t))
    if kind == "deadlock":
        return AtomSpec("deadlock", L_ATOM, lambda sp, s: not sp.successors[s])
    if kind == "sum":
        q = draw(st.integers(0, np_ - 1))
        return AtomSpec("count(p%d) + count(p%d) %s %d" % (p, q, op, k + 1), L_CMP,
                        lambda sp, s: cmp(_tokens(sp, s, p) + _tokens(sp, s, q), k + 1))
    if kind in ("exists", "forall"):
        vals = [VALUE[x] for x in TEXTS[cs]]
        q = any if kind == "exists" else all
        return AtomSpec("%s x : %s . count(p%d, x) %s %d" % (kind, cs, p, op, k), L_TOP,
                        lambda sp, s: q(cmp(_tokens(sp, s, p, v), k) for v in vals))
    if kind == "arith":  # integer division and remainder round toward minus infinity
        q = draw(st.integers(0, np_ - 1))
        d = draw(st.integers(2, 3))
        if draw(st.booleans()):
            return AtomSpec("(count(p%d) - count(p%d) - 1) / %d %s %d" % (p, q, d, op, k - 1), L_CMP,
                            lambda sp, s: cmp((_tokens(sp, s, p) - _tokens(sp, s, q) - 1) // d, k - 1))
        return AtomSpec("(count(p%d) - 2 * count(p%d)) %% %d %s %d" % (p, q, d, op, k), L_CMP,
                        lambda sp, s: cmp((_tokens(sp, s, p) - 2 * _tokens(sp, s, q)) % d, k))
    if kind == "if":
        q = draw(st.integers(0, np_ - 1))
        return AtomSpec("(if count(p%d) > 1 then count(p%d) else 3) %s %d" % (p, q, op, k), L_CMP,
                        lambda sp, s: cmp(_tokens(sp, s, q) if _tokens(sp, s, p) > 1 else 3, k))
    if kind == "proj":  # Pair = R2 * Col: count(p, (1, _)), count(p, (_, red)), count(p, (_, _))
        side = draw(st.sampled_from([0, 1, None]))
        if side is None:
            pat, test = "(_, _)", (lambda v: True)
        else:
            vt = draw(st.sampled_from(TEXTS[["R2", "Col"][side]]))
            v = VALUE[vt]
            pat = "(%s, _)" % vt if side == 0 else "(_, %s)" % vt
            test = (lambda w: w[0] == v) if side == 0 else (lambda w: w[1] == v)
        return AtomSpec("count(p%d, %s) %s %d" % (p, pat, op, k), L_CMP,
                        lambda sp, s: cmp(_tokens_where(sp, s, p, test), k))
    if kind == "projq":
        side = draw(st.integers(0, 1))
        comp = ["R2", "Col"][side]
        vals = [VALUE[x] for x in TEXTS[comp]]
        pat = "(y, _)" if side == 0 else "(_, y)"
        q = any if draw(st.booleans()) else all
        return AtomSpec("%s y : %s . count(p%d, %s) %s %d" % ("exists" if q is any else "forall", comp, p, pat,
                                                             op, k), L_TOP,
                        lambda sp, s: q(cmp(_tokens_where(sp, s, p, lambda w, v=v: w[side] == v), k)
                                        for v in vals))
    b = draw(st.booleans())
    return AtomSpec("true" if b else "false", L_ATOM, lambda sp, s: b)


# ---------------------------------------------------------------- formulas
#
# A formula is a tuple: ("atom", i), (OP, f) for a unary OP in UNARY, or
# (OP, f, g) for OP in BINARY.

UNARY = ["not", "EX", "AX", "EF", "AF", "EG", "AG"]
BINARY = ["and", "or", "->", "EU", "AU"]


@st.composite
def ctl_formulas(draw, natoms: int, depth: int = 3, top: bool = True, ops=tuple(UNARY + BINARY)):
    """A formula of depth <= ``depth``; the top is never a bare atom."""
    if depth == 0 or (not top and draw(st.integers(0, 4)) == 4):
        return ("atom", draw(st.integers(0, natoms - 1)))
    op = draw(st.sampled_from(ops))
    args = [draw(ctl_formulas(natoms, depth - 1, False)) for _ in range(1 if op in UNARY else 2)]
    return (op, *args)


def _level(f, atom_specs) -> int:
    op = f[0]
    if op == "atom":
        return atom_specs[f[1]].level
    if op in UNARY:
        return L_PREFIX
    if op in ("EU", "AU"):
        return L_ATOM
    return {"and": L_AND, "or": L_OR, "->": L_IMP}[op]


def render(f, atom_specs, minimal: bool, need: int = L_TOP) -> str:
    """Property text for f: fully parenthesised, or with the fewest parentheses."""
    op = f[0]
    if op == "atom":
        s = atom_specs[f[1]].text
    elif op in UNARY:
        s = "%s %s" % (op, render(f[1], atom_specs, minimal, L_PREFIX))
    elif op in ("EU", "AU"):
        s = "%s[ %s U %s ]" % (op[0], render(f[1], atom_specs, minimal, L_PREFIX),
                               render(f[2], atom_specs, minimal, L_PREFIX))
    else:
        left, right = {"and": (L_AND, L_UNTIL), "or": (L_OR, L_AND), "->": (L_OR, L_IMP)}[op]
        s = "%s %s %s" % (render(f[1], atom_specs, minimal, left), op,
                          render(f[2], atom_specs, minimal, right))
    if need > L_TOP and (not minimal or _level(f, atom_specs) < need):
        s = "(%s)" % s
    return s


_T_UNARY = {"not": T.Not, "EX": T.EX, "AX": T.AX, "EF": T.EF, "AF": T.AF, "EG": T.EG, "AG": T.AG}
_T_BINARY = {"and": T.And, "or": T.Or, "->": T.Implies, "EU": T.EU, "AU": T.AU}


def to_formula(f, atom_specs):
    """The formula the checker should build: atoms numbered left to right."""
    counter = [0]

    def go(f):
        op = f[0]
        if op == "atom":
            text = atom_specs[f[1]].text
            if text in ("true", "false"):
                return T.TrueF() if text == "true" else T.FalseF()
            counter[0] += 1
            return T.Atom(counter[0] - 1)
        if op in UNARY:
            return _T_UNARY[op](go(f[1]))
        a = go(f[1])
        return _T_BINARY[op](a, go(f[2]))
    return go(f)


def show(f, atom_specs) -> str:
    return render(f, atom_specs, minimal=False)


# ------------------------------------------------------------ the oracle


def state_graph(space) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(space.states))
    for s in range(space.states):
        out = space.successors[s]
        if not out:
            g.add_edge(s, s)
        for d, _, _ in out:
            g.add_edge(s, d)
    return g


def naive_ctl(g: nx.DiGraph, f, atom_sets) -> frozenset:
    """The states of g satisfying f, by fixed-point iteration."""
    every = frozenset(g.nodes)

    def ex(z):
        return frozenset(s for s in g.nodes if any(d in z for d in g.successors(s)))

    def eu(a, b):
        z = frozenset()
        while True:
            z2 = b | (a & ex(z))
            if z2 == z:
                return z
            z = z2

    def eg(a):
        z = every
        while True:
            z2 = a & ex(z)
            if z2 == z:
                return z
            z = z2

    def sat(f):
        op = f[0]
        if op == "atom":
            return atom_sets[f[1]]
        if op == "not":
            return every - sat(f[1])
        if op == "and":
            return sat(f[1]) & sat(f[2])
        if op == "or":
            return sat(f[1]) | sat(f[2])
        if op == "->":
            return (every - sat(f[1])) | sat(f[2])
        if op == "EX":
            return ex(sat(f[1]))
        if op == "AX":
            return every - ex(every - sat(f[1]))
        if op == "EF":
            return eu(every, sat(f[1]))
        if op == "AF":
            return every - eg(every - sat(f[1]))
        if op == "EG":
            return eg(sat(f[1]))
        if op == "AG":
            return every - eu(every, every - sat(f[1]))
        if op == "EU":
            return eu(sat(f[1]), sat(f[2]))
        if op == "AU":
            a, b = sat(f[1]), sat(f[2])
            nb = every - b
            return every - (eu(nb, (every - a) & nb) | eg(nb))
        raise ValueError(op)

    return sat(f)


# ------------------------------------------------------------- utilities


def load_with_props(model_text: str, props_text: str):
    """``load_checked`` on a temporary model file carrying the properties inline."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.cpn")
        with open(path, "w") as fh:
            fh.write(model_text.rstrip("\n") + "\nproperties\n" + props_text.rstrip("\n") + "\n")
        return load_checked(path)


def replay(space, steps, start: int = 0) -> list:
    """Check that ``steps`` is a path of the state graph from ``start``; the states visited."""
    states = [start]
    s = start
    for i, step in enumerate(steps):
        if step.transition is None:
            assert not space.successors[s], "step %d: a stutter step at the live state %d" % (i, s)
            assert step.target == s, "step %d: a stutter step moves from %d to %d" % (i, s, step.target)
        else:
            edge = (step.target, step.transition.index, tuple(step.env))
            got = [(d, t, tuple(e)) for d, t, e in space.successors[s]]
            assert edge in got, "step %d: %s%s from state %d to %d is not an edge (successors: %s)" % (
                i, step.transition.name, step.env, s, step.target, got)
        s = step.target
        states.append(s)
    return states


def nearest(g: nx.DiGraph, states) -> int:
    """BFS depth from 0 of the nearest state among ``states``."""
    dist = nx.single_source_shortest_path_length(g, 0)
    return min(dist[s] for s in states)


def explore_complete(net):
    space = explore(net, keep_successors=True, max_states=MAX_STATES)
    assume(space.complete)
    return space


# ------------------------------------------------------------------ tests


@st.composite
def ctl_cases(draw):
    net = draw(small_nets())
    specs = draw(st.lists(atoms(net), min_size=1, max_size=4))
    # half of the time, a shape whose evidence the checker gives
    evidence = draw(st.booleans())
    f = draw(ctl_formulas(len(specs), 3, ops=("AG", "EF", "AF", "EG") if evidence else tuple(UNARY + BINARY)))
    minimal = draw(st.booleans())
    return net, specs, f, minimal


@ORACLE_SETTINGS
@given(ctl_cases())
def test_ctl_matches_naive_fixpoints(case):
    net, specs, f, minimal = case
    text = render(f, specs, minimal)
    note(net.text + "properties\nctl c: " + text)
    model, props = load_with_props(net.text, "ctl c: " + text)
    (prop,) = props
    expected_formula = to_formula(f, specs)
    assert prop.formula == expected_formula, "parsed as %s, meant %s" % (
        T.show(prop.formula), T.show(expected_formula))

    space = explore_complete(model)
    g = state_graph(space)
    atom_sets = [frozenset(s for s in range(space.states) if a.holds(space, s)) for a in specs]
    want = naive_ctl(g, f, atom_sets)

    got = label_ctl(space, prop.formula, prop.atoms)
    got_set = frozenset(s for s in range(space.states) if got[s])
    assert got_set == want, "label_ctl %s, oracle %s for %s" % (sorted(got_set), sorted(want), text)

    (result,) = check_all(space, props)
    event("states: %s" % ("1" if space.states == 1 else "2-5" if space.states <= 5 else
                          "6-20" if space.states <= 20 else ">20"))
    event("dead markings: %s" % bool(space.dead))
    event("top: %s %s" % (f[0], "holds" if 0 in want else "fails"))
    event("label set: %s" % ("empty" if not want else "all" if len(want) == space.states else "mixed"))
    assert result.verdict == ("holds" if 0 in want else "fails"), text

    # evidence for the shapes the checker explains
    op = f[0]
    if op in ("AG", "EF", "AF", "EG"):
        body = naive_ctl(g, f[1], atom_sets)
    if op == "AG" and 0 not in want or op == "EF" and 0 in want:
        good = op == "EF"
        states = replay(space, result.stem)
        assert result.state == states[-1]
        assert (states[-1] in body) == good, "the %s path ends in state %d" % (op, states[-1])
        targets = body if good else set(g.nodes) - body
        assert len(result.stem) == nearest(g, targets), "the %s path is not a shortest one" % op
    if op == "AF" and 0 not in want or op == "EG" and 0 in want:
        good = op == "EG"
        assert result.cycle, "no cycle in the %s lasso" % op
        states = replay(space, list(result.stem) + list(result.cycle))
        loop_start = states[len(result.stem)]
        assert states[-1] == loop_start, "the cycle does not return to state %d" % loop_start
        for s in states:
            assert (s in body) == good, "state %d on the %s lasso" % (s, op)
        if op == "AF":  # `state`: "the marking ... the cycle starts at"
            assert result.state == loop_start, "Result.state is %s, the cycle starts at %d" % (
                result.state, loop_start)


# A few fixed cases of the stutter semantics (a dead marking loops on itself).

STOP = """model Stop
place P : Unit = unit
place Q : Unit
transition t in P : u out Q : u
"""


def _verdicts(model_text, props_text):
    model, props = load_with_props(model_text, props_text)
    space = explore(model, keep_successors=True)
    return {r.name: r.verdict for r in check_all(space, props)}, space


def test_dead_marking_stutters():
    got, space = _verdicts(STOP, "\n".join([
        "ctl a: AF deadlock",
        "ctl b: EG true",
        "ctl c: AX AX (Q != empty)",
        "ctl d: AG EX true",
        "ctl e: EF AG (count(Q) == 1)",
        "ctl f: A[ (P != empty) U (deadlock) ]",
        "ctl g: EX EX EX deadlock",
        "ctl h: AF EG deadlock",
        "ctl i: EG (P != empty)",
    ]))
    assert space.dead == [1]
    assert got == {"a": "holds", "b": "holds", "c": "holds", "d": "holds", "e": "holds", "f": "holds",
                   "g": "holds", "h": "holds", "i": "fails"}


# AF fails on the cycle t0 t1 through the initial marking; `Result.state` is
# documented as "the marking ... the cycle starts at".
LOOP = """model Loop
colset R2 = 1..2
place p0 : R2 = 1
place p1 : R2
transition t0 in p0 : a out p1 : a
transition t1 in p1 : 1 out p0 : 1
transition t2 in p0 : a
"""


def test_af_lasso_state_is_where_the_cycle_starts():
    model, props = load_with_props(LOOP, "ctl c: AF deadlock")
    space = explore(model, keep_successors=True)
    (res,) = check_all(space, props)
    assert res.verdict == "fails"
    states = replay(space, list(res.stem) + list(res.cycle))
    start = states[len(res.stem)]
    assert res.cycle and states[-1] == start
    assert res.state == start, "Result.state %s, the cycle starts at %d (stem %s, cycle %s)" % (
        res.state, start, [s.target for s in res.stem], [s.target for s in res.cycle])
