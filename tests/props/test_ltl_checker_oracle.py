"""LTL model checking (``protoverify.props.ltl_check``) against lasso enumeration.

Oracle: ``evaluate`` of ``test_ltl_translation.py`` (the textbook semantics
of LTL on an ultimately periodic word, no automata), fed with words this file
computes itself:

* a letter is read on each step (a dead marking stutters forever on a step
  that fires nothing): the marking predicates true in the marking the step
  leaves — evaluated here on ``space.markings`` by this file's own code —
  plus the event atoms the step matches: its transition emits the label, and
  the emitted field, computed here from the binding, has the wanted value;
* fairness is judged on the cycle by this file's own code, enabledness read
  off ``space.successors``: ``weak(t)``, t enabled in every marking of the
  cycle, must fire on it; ``strong(t)``, t enabled in some marking of it,
  must fire on it.

Two directions:

1. **Soundness of the evidence**: every ``fails`` comes with a lasso that
   replays on the successor lists from the initial marking (stutter steps
   only at dead markings), whose cycle is non-empty, closes, is fair, and
   whose word violates the formula.
2. **Completeness** on nets of at most 12 markings: every lasso of the state
   graph with stem <= 4 and cycle <= 4 steps is enumerated; if one is fair and
   violates the formula, the verdict must be ``fails``.

Hypothesis draws nets of two families: the coloured nets of
``tests/test_random_nets_oracle.py`` (guards, read and inhibitor arcs,
tuples; many end in a dead marking), and small "communicating machines"
(a unit token on places ``A0..`` with, often, a ring ``A0 -> A1 -> ... -> A0``,
an integer token on places ``B0..``, moves reading or inhibiting the other
component: cycles on which enabledness changes, so fairness matters).  It
puts ``emit e1()`` / ``emit e2(v = ...)`` on some transitions and draws an
LTL formula of depth <= 3 over 2-3 atoms (``count(P) >= k``,
``count(P) <= k``, ``count(P, v) >= 1``, ``P == empty``, ``P != empty``,
``e1``, ``e2``, ``e2(v = k)``) with optional fairness (``weak(all)``,
``weak(t..)``, ``strong(t..)``, ``strong(all)``, ``weak(all), strong(t..)``).
A third test draws the fairness among the transitions that leave a cycle's
strongly connected component (preferably ones whose enabling markings a
sub-cycle avoids): ``strong(...)``, the case the Emerson-Lei refinement
exists for, or ``weak(...)``, where a fair cycle must detour through a
marking that disables them.  The
formula is rendered fully parenthesised; the verdict is judged against the
formula tree drawn, not the one parsed.

Hand-written classics follow: processes that starve unless fairness (per
process transition) saves them, weak fairness being too weak for a lock,
``G F p`` on a ring, ``F G p`` on a flip-flop, event atoms with field
constraints, stutter steps carrying no event, a weakly fair cycle that must
detour through a disabling marking, nested components for strong fairness.

Assumption: ``space.markings[s][i]`` is place ``i`` in declaration order, a
sorted tuple of ``(value, count)``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import networkx as nx
import pytest
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))          # tests/props
sys.path.insert(0, str(Path(__file__).parent.parent))   # tests

from test_ltl_translation import evaluate  # noqa: E402
from test_random_nets_oracle import random_nets, term_vars, to_text  # noqa: E402

from protoverify import explore  # noqa: E402
from protoverify.loader import load_checked, load_model_text  # noqa: E402
from protoverify.props import formula as T  # noqa: E402
from protoverify.props.check import check_all  # noqa: E402

MAX_STATES = 200          # exploration cap (larger nets are skipped)
BRUTE_STATES = 12         # completeness is checked up to this many markings
STEM, CYCLE = 4, 4        # lasso bounds of the enumeration

# PV_LTL_EXAMPLES=3000 for a longer hunt
_HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
ORACLE = settings(max_examples=int(os.environ.get("PV_LTL_EXAMPLES", 150)), deadline=None,
                  derandomize=True, suppress_health_check=_HEALTH)


# ------------------------------------------------------------- semantics

@dataclass
class Semantics:
    """What the letters and fairness mean, computed independently of protoverify.props."""

    formula: object                                   # protoverify.props.formula tree, atoms = our indices
    state_atoms: Dict[int, Callable]                  # i -> (marking) -> bool
    event_atoms: Dict[int, Callable]                  # i -> (transition IR, env) -> bool
    weak: frozenset = frozenset()                     # transition names
    strong: frozenset = frozenset()

    def state_letter(self, space, s: int) -> frozenset:
        m = space.markings[s]
        return frozenset(i for i, fn in self.state_atoms.items() if fn(m))

    def step_letter(self, space, s: int, tr, env) -> frozenset:
        base = self.state_letter(space, s)
        if tr is None:          # stutter: no event
            return base
        return base | frozenset(i for i, fn in self.event_atoms.items() if fn(tr, env))


def enabled_names(space, s: int) -> frozenset:
    return frozenset(space.net.transitions[t].name for _, t, _ in space.successors[s])


def cycle_is_fair(space, sem: Semantics, states: List[int], fired: set) -> Tuple[bool, str]:
    """``states``: the markings the cycle's steps leave; ``fired``: names fired on it."""
    en = [enabled_names(space, s) for s in states]
    for t in sorted(sem.weak):
        if all(t in e for e in en) and t not in fired:
            return False, "weak(%s): enabled in every marking of the cycle, never fired" % t
    for t in sorted(sem.strong):
        if any(t in e for e in en) and t not in fired:
            return False, "strong(%s): enabled on the cycle, never fired" % t
    return True, ""


# ------------------------------------------------------ evidence checking

def check_lasso(space, sem: Semantics, result) -> None:
    """The ``fails`` evidence replays, closes, is fair and violates the formula."""
    assert result.cycle, "a failing LTL verdict needs a non-empty cycle"
    letters: List[frozenset] = []
    states: List[int] = []
    fired: List[Optional[str]] = []
    cur = 0
    for k, step in enumerate(list(result.stem) + list(result.cycle)):
        where = "%s step %d" % ("stem" if k < len(result.stem) else "cycle", k)
        if step.transition is None:
            assert space.successors[cur] == [] and cur in space.dead, \
                "%s: a stutter step at marking %d, which is not dead" % (where, cur)
            assert step.target == cur, "%s: a stutter step must stay at %d, goes to %d" % (where, cur, step.target)
            letters.append(sem.step_letter(space, cur, None, ()))
            fired.append(None)
        else:
            t = step.transition.index
            assert (step.target, t, tuple(step.env)) in [(d, tt, tuple(e)) for d, tt, e in space.successors[cur]], \
                "%s: %s%r does not lead from %d to %d" % (where, step.transition.name, step.env, cur, step.target)
            letters.append(sem.step_letter(space, cur, step.transition, step.env))
            fired.append(step.transition.name)
        states.append(cur)
        cur = step.target
    k = len(result.stem)
    start = result.stem[-1].target if result.stem else 0
    assert cur == start, "the cycle starts at %d but ends at %d" % (start, cur)
    if result.state is not None:
        assert result.state == start, "result.state %d is not the cycle's start %d" % (result.state, start)
    ok, why = cycle_is_fair(space, sem, states[k:], {t for t in fired[k:] if t is not None})
    assert ok, "the cycle is unfair: " + why
    assert not evaluate(sem.formula, letters[:k], letters[k:]), \
        "the lasso's word satisfies the formula: stem %s cycle %s" % (_word(letters[:k]), _word(letters[k:]))


def _word(letters) -> str:
    return "[" + ", ".join("{" + ",".join(map(str, sorted(w))) + "}" for w in letters) + "]"


# ------------------------------------------------------ lasso enumeration

def violating_lasso(space, sem: Semantics, max_stem: int = STEM, max_cycle: int = CYCLE):
    """A fair lasso (stem <= max_stem, cycle <= max_cycle steps) whose word violates
    the formula, as (stem, cycle) lists of (state, transition name or None); or None."""
    n = space.states
    edges = []  # per state: (target, name or None, letter), one per distinct (target, name, letter)
    for s in range(n):
        out = {}
        if not space.successors[s]:
            out[(s, None, sem.step_letter(space, s, None, ()))] = None
        for d, t, env in space.successors[s]:
            tr = space.net.transitions[t]
            out[(d, tr.name, sem.step_letter(space, s, tr, env))] = None
        edges.append(list(out))
    # stems: letter sequences reaching each state
    stems: Dict[int, Dict[tuple, list]] = {s: {} for s in range(n)}

    def dfs_stem(s, word, path):
        stems[s].setdefault(word, path)
        if len(word) < max_stem:
            for d, name, w in edges[s]:
                dfs_stem(d, word + (w,), path + [(s, name)])
    dfs_stem(0, (), [])
    # fair cycles through each state
    cycles: Dict[int, Dict[tuple, list]] = {s: {} for s in range(n)}

    def dfs_cycle(start, s, word, path):
        for d, name, w in edges[s]:
            word2, path2 = word + (w,), path + [(s, name)]
            if d == start and word2 not in cycles[start]:
                fair, _ = cycle_is_fair(space, sem, [x for x, _ in path2],
                                        {x for _, x in path2 if x is not None})
                if fair:
                    cycles[start][word2] = path2
            if len(word2) < max_cycle:
                dfs_cycle(start, d, word2, path2)
    for s in range(n):
        if stems[s]:
            dfs_cycle(s, s, (), [])
    for s in range(n):
        for sw, sp in stems[s].items():
            for cw, cp in cycles[s].items():
                if not evaluate(sem.formula, list(sw), list(cw)):
                    return sp, cp
    return None


# ------------------------------------------------------------- atoms

@dataclass
class AtomSpec:
    text: str
    kind: str            # state | event
    fn: Callable         # state: (marking) -> bool; event: (transition IR, env) -> bool


def _count(m, p, value=None) -> int:
    return sum(c for v, c in m[p] if value is None or v == value)


def state_atom(kind: str, p: int, name: str, k: int = 0) -> AtomSpec:
    """``p``: the place's index (declaration order), ``name``: its name."""
    if kind == "ge":
        return AtomSpec("count(%s) >= %d" % (name, k), "state", lambda m: _count(m, p) >= k)
    if kind == "le":
        return AtomSpec("count(%s) <= %d" % (name, k), "state", lambda m: _count(m, p) <= k)
    if kind == "val":
        return AtomSpec("count(%s, %d) >= 1" % (name, k), "state", lambda m: _count(m, p, k) >= 1)
    if kind == "empty":
        return AtomSpec("%s == empty" % name, "state", lambda m: not m[p])
    if kind == "nonempty":
        return AtomSpec("%s != empty" % name, "state", lambda m: bool(m[p]))
    raise ValueError(kind)


def event_atom(label: str, emits: Dict[str, tuple], value: Optional[int] = None) -> AtomSpec:
    """``emits``: transition name -> (label, field), field ("var", name) or ("const", v) or None."""

    def fn(tr, env):
        e = emits.get(tr.name)
        if e is None or e[0] != label:
            return False
        if value is None:
            return True
        kind, x = e[1]
        if kind == "const":
            got = x
        else:
            slot = [name for name, _ in tr.variables].index(x)
            got = env[slot]
        return got == value
    text = label if value is None else "%s(v = %d)" % (label, value)
    return AtomSpec(text, "event", fn)


# ------------------------------------------------------------- formulas

def formulas(n_atoms: int, depth: int = 3):
    leaf = st.sampled_from([T.Atom(i) for i in range(n_atoms)])
    s = leaf
    for _ in range(depth):
        sub = s
        unary = st.builds(lambda op, a: op(a), st.sampled_from([T.Not, T.X, T.F, T.G]), sub)
        binary = st.builds(lambda op, a, b: op(a, b),
                           st.sampled_from([T.And, T.Or, T.Implies, T.U, T.R]), sub, sub)
        s = st.one_of(leaf, unary, binary, binary)
    return s


def render(f, atoms: List[AtomSpec]) -> str:
    """Fully parenthesised property text."""
    if isinstance(f, T.Atom):
        return "(%s)" % atoms[f.index].text
    if isinstance(f, T.Not):
        return "not (%s)" % render(f.f, atoms)
    for cls, op in ((T.X, "X"), (T.F, "F"), (T.G, "G")):
        if isinstance(f, cls):
            return "%s (%s)" % (op, render(f.f, atoms))
    for cls, op in ((T.And, "and"), (T.Or, "or"), (T.Implies, "->"), (T.U, "U"), (T.R, "R")):
        if isinstance(f, cls):
            return "(%s) %s (%s)" % (render(f.a, atoms), op, render(f.b, atoms))
    raise TypeError(f)


# ------------------------------------------------------------- nets

@dataclass
class NetText:
    lines: List[str]            # the model; transition j is declared by the line "transition tJ"
    places: List[Tuple[str, str]]   # (name, colour set) in declaration order
    int_vars: List[List[str]]   # per transition: its bound variables of an integer range


@st.composite
def oracle_nets(draw) -> NetText:
    """The coloured nets of ``tests/test_random_nets_oracle.py``."""
    net = draw(random_nets())
    int_vars = []
    for t in net.trans:
        bound = {}
        for arc in t.ins + t.reads:
            for _, term in arc.terms:
                bound.update(term_vars(term))
        int_vars.append(sorted(v for v, cs in bound.items() if cs in ("R2", "R3")))
    return NetText(to_text(net).splitlines(), [("p%d" % i, cs) for i, cs in enumerate(net.types)],
                   int_vars)


@st.composite
def machine_nets(draw, with_ring: bool = False) -> NetText:
    """Two communicating sequential components: a unit token moving on places A0..,
    an integer token (1 or 2, flipped on some moves) moving on places B0..; moves of
    one component may read or inhibit a place of the other, so enabledness varies
    along cycles and fairness matters.  At most 4 x 4 markings.  ``with_ring``: a ring
    over some but not all A places, so that exits from it are likely."""
    na, nb = draw(st.integers(3 if with_ring else 2, 4)), draw(st.integers(0, 2))
    lines = ["model Machines", "colset R2 = 1..2"]
    places = []
    for i in range(na):
        lines.append("place A%d : Unit%s" % (i, " = unit" if i == 0 else ""))
        places.append(("A%d" % i, "Unit"))
    for i in range(nb):
        lines.append("place B%d : R2%s" % (i, " = %d" % draw(st.integers(1, 2)) if i == 0 else ""))
        places.append(("B%d" % i, "R2"))
    int_vars = []
    # often a backbone cycle A0 -> A1 -> ... -> A0 over some of the A places, so that
    # cycles with exits (to the other A places, or the token vanishing) are common
    ring = draw(st.integers(2, na - 1) if with_ring else st.integers(0, na))
    moves = [(i, (i + 1) % ring) for i in range(ring)] if ring >= 2 else []
    if with_ring:   # and a way out of it
        moves.append((draw(st.integers(0, ring - 1)), draw(st.integers(ring, na - 1))))
    extra = draw(st.integers(1, 4) if moves else st.integers(2, 6))
    for j in range(len(moves) + extra):
        lines.append("transition t%d" % j)
        if j < len(moves):
            lines.append("  in A%d : unit" % moves[j][0])
            lines.append("  out A%d : unit" % moves[j][1])
            int_vars.append([])
            continue
        comp = "B" if nb and draw(st.integers(0, 2)) == 0 else "A"
        n = nb if comp == "B" else na
        src, dst = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        ints = []
        if comp == "A":
            lines.append("  in A%d : unit" % src)
            if draw(st.integers(0, 7)):                       # rarely: the token vanishes
                lines.append("  out A%d : unit" % dst)
            if nb and draw(st.integers(0, 2)) == 0:
                k = draw(st.integers(0, nb - 1))
                how = draw(st.sampled_from(["read", "inhibit", "read1"]))
                if how == "inhibit":
                    lines.append("  inhibit B%d : all" % k)
                else:
                    lines.append("  read B%d : b" % k)
                    ints.append("b")
                    if how == "read1":
                        lines.append("  guard b == %d" % draw(st.integers(1, 2)))
        else:
            lines.append("  in B%d : b" % src)
            ints.append("b")
            lines.append("  out B%d : %s" % (dst, draw(st.sampled_from(["b", "3 - b"]))))
            if draw(st.integers(0, 2)) == 0:
                lines.append("  %s A%d : unit" % (draw(st.sampled_from(["read", "inhibit"])),
                                                    draw(st.integers(0, na - 1))))
        int_vars.append(ints)
    return NetText(lines, places, int_vars)


@dataclass
class Case:
    model: str
    prop: str
    sem: Semantics
    exits: bool = False       # fairness strong/weak(...) for some exit_transitions, drawn in the test


@st.composite
def cases(draw, nets, exits: bool = False) -> Case:
    net = draw(nets)
    lines = list(net.lines)
    emits: Dict[str, tuple] = {}
    for j, ints in enumerate(net.int_vars):
        choice = draw(st.sampled_from([None, None, "e1", "e2", "e2"]))
        if choice is None:
            continue
        if choice == "e1":
            emits["t%d" % j] = ("e1", None)
            line = "  emit e1()"
        else:
            if ints and draw(st.integers(0, 3)) > 0:
                fld = ("var", draw(st.sampled_from(ints)))
                line = "  emit e2(v = %s)" % fld[1]
            else:
                fld = ("const", draw(st.integers(1, 2)))
                line = "  emit e2(v = %d)" % fld[1]
            emits["t%d" % j] = ("e2", fld)
        lines.insert(lines.index("transition t%d" % j) + 1, line)
    model = "\n".join(lines) + "\n"

    pool: List[AtomSpec] = []
    n_atoms = draw(st.integers(2, 3))
    labels = sorted({e[0] for e in emits.values()})
    for _ in range(n_atoms):
        if labels and draw(st.integers(0, 2)) == 0:
            label = draw(st.sampled_from(labels))
            value = draw(st.sampled_from([None, 1, 2])) if label == "e2" else None
            pool.append(event_atom(label, emits, value))
            continue
        p = draw(st.integers(0, len(net.places) - 1))
        name, cs = net.places[p]
        kinds = ["ge", "ge", "le", "empty", "nonempty"] + (["val"] if cs in ("R2", "R3") else [])
        kind = draw(st.sampled_from(kinds))
        k = {"ge": draw(st.integers(1, 2)), "le": draw(st.integers(0, 1)),
             "val": draw(st.integers(1, 2))}.get(kind, 0)
        pool.append(state_atom(kind, p, name, k))
    if exits:   # mostly the liveness shapes that fairness is for
        small = formulas(n_atoms, 1)
        f = draw(st.one_of(formulas(n_atoms), st.builds(T.F, small), st.builds(lambda a: T.G(T.F(a)), small),
                           st.builds(lambda a: T.F(T.G(a)), small),
                           st.builds(lambda a, b: T.G(T.Implies(a, T.F(b))), small, small)))
    else:
        f = draw(formulas(n_atoms))

    tnames = ["t%d" % j for j in range(len(net.int_vars))]
    fair = "strong(exits)" if exits else draw(st.sampled_from(
        ["", "", "weak(all)", "weak", "strong", "strong", "strong(all)", "weak(all), strong"]))
    weak, strong = frozenset(), frozenset()
    fair_text = ""
    if fair and fair != "strong(exits)":
        some = draw(st.lists(st.sampled_from(tnames), min_size=1, max_size=2, unique=True))
        listed = ", ".join(some)
        if fair == "weak(all)":
            weak, fair_text = frozenset(tnames), "weak(all)"
        elif fair == "strong(all)":
            strong, fair_text = frozenset(tnames), "strong(all)"
        elif fair == "strong":
            strong, fair_text = frozenset(some), "strong(%s)" % listed
        elif fair == "weak":
            weak, fair_text = frozenset(some), "weak(%s)" % listed
        else:
            weak, strong, fair_text = frozenset(tnames), frozenset(some), "weak(all), strong(%s)" % listed
    prop = "ltl f: " + render(f, pool) + (" under fairness " + fair_text if fair_text else "")
    sem = Semantics(f, {i: a.fn for i, a in enumerate(pool) if a.kind == "state"},
                    {i: a.fn for i, a in enumerate(pool) if a.kind == "event"}, weak, strong)
    return Case(model, prop, sem, exits=fair == "strong(exits)")


def exit_transitions(space) -> List[str]:
    """Transitions enabled in a cycle's marking that lead out of its strongly connected
    component; first those whose enabling markings can be avoided by a sub-cycle: strong
    fairness for them makes the whole component unfair while the sub-cycle stays fair
    (the case of the Emerson-Lei refinement)."""
    g = nx.DiGraph()
    g.add_nodes_from(range(space.states))
    g.add_edges_from((s, d) for s in range(space.states) for d, _, _ in space.successors[s])

    def cyclic(nodes):
        sub = g.subgraph(nodes)
        return [c for c in nx.strongly_connected_components(sub)
                if len(c) > 1 or any(sub.has_edge(s, s) for s in c)]
    useful, other = set(), set()
    for comp in cyclic(g.nodes):
        for s in comp:
            for d, t, _ in space.successors[s]:
                if d in comp:
                    continue
                name = space.net.transitions[t].name
                rest = [x for x in comp if name not in enabled_names(space, x)]
                (useful if cyclic(rest) else other).add(name)
    return sorted(useful) or sorted(other)


def load_and_check(model: str, prop: str):
    fd, path = tempfile.mkstemp(suffix=".cpn", prefix="ltl_oracle_")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(model + "\nproperties\n" + prop + "\n")
        net, props = load_checked(path)
    finally:
        os.unlink(path)
    space = explore(net, max_states=MAX_STATES, keep_successors=True)
    return space, props


def describe_lasso(stem, cycle) -> str:
    def fmt(path):
        return " ".join("%d-%s->" % (s, name or "stutter") for s, name in path)
    return "stem: %s  cycle: %s" % (fmt(stem) or "(empty)", fmt(cycle))


# ------------------------------------------------------------------ tests

def run_case(case: Case, data) -> None:
    if case.exits:
        space = explore(load_model_text(case.model), max_states=MAX_STATES, keep_successors=True)
        assume(space.complete)
        exits = exit_transitions(space)
        assume(exits)
        chosen = data.draw(st.lists(st.sampled_from(exits), min_size=1, unique=True), label="exits")
        kind = data.draw(st.sampled_from(["strong", "strong", "weak"]), label="kind")
        case.prop += " under fairness %s(%s)" % (kind, ", ".join(chosen))
        if kind == "strong":
            case.sem.strong = frozenset(chosen)
        else:   # a weakly fair cycle avoiding them must pass a marking that disables them
            case.sem.weak = frozenset(chosen)
    note(case.model + "properties\n" + case.prop)
    space, props = load_and_check(case.model, case.prop)
    assume(space.complete)
    (result,) = check_all(space, props)
    note("verdict: %s" % result.verdict)
    assert result.verdict in ("holds", "fails")
    if result.verdict == "fails":
        check_lasso(space, case.sem, result)
    assume(space.states <= BRUTE_STATES)
    event("verdict: %s" % result.verdict)
    if result.verdict == "holds":
        found = violating_lasso(space, case.sem)
        assert found is None, "checker says holds, but a fair lasso violates it: " + describe_lasso(*found)
    elif os.environ.get("PV_LTL_STATS"):
        event("fails: %s within the enumeration bounds"
              % ("witnessed" if violating_lasso(space, case.sem) else "NOT witnessed"))


@ORACLE
@given(cases(oracle_nets()), st.data())
def test_ltl_checker_on_random_coloured_nets(case, data):
    run_case(case, data)


@ORACLE
@given(cases(machine_nets()), st.data())
def test_ltl_checker_on_communicating_machines(case, data):
    run_case(case, data)


@ORACLE
@given(cases(machine_nets(with_ring=True), exits=True), st.data())
def test_ltl_checker_fairness_on_cycle_exits(case, data):
    """``strong(...)`` over transitions leaving a cycle's component: the whole component
    is unfair, a sub-cycle may not be (the Emerson-Lei refinement); ``weak(...)``: a fair
    cycle must pass a marking that disables them."""
    run_case(case, data)


# ------------------------------------------------------------------ classics

def _check(model: str, prop: str, sem: Semantics, expected: str):
    space, props = load_and_check(model, prop)
    assert space.complete
    (result,) = check_all(space, props)
    assert result.verdict == expected, prop
    if result.verdict == "fails":
        check_lasso(space, sem, result)
    if expected == "holds" and space.states <= 40:
        found = violating_lasso(space, sem)
        assert found is None, describe_lasso(*found)
    return space, result


def _places(text: str) -> Dict[str, int]:
    out = {}
    for line in text.splitlines():
        if line.startswith("place "):
            out[line.split()[1]] = len(out)
    return out


def _nonempty(idx: int):
    return lambda m: bool(m[idx])


TWO_PROCS = """model TwoProcs
place Idle1 : Unit = unit
place Busy1 : Unit
place Idle2 : Unit = unit
place Busy2 : Unit
transition start1
  in Idle1 : unit
  out Busy1 : unit
transition stop1
  in Busy1 : unit
  out Idle1 : unit
transition start2
  in Idle2 : unit
  out Busy2 : unit
transition stop2
  in Busy2 : unit
  out Idle2 : unit
"""


ALL4 = frozenset(["start1", "stop1", "start2", "stop2"])


@pytest.mark.parametrize("fairness,weak,strong,expected", [
    ("", (), (), "fails"),                                          # process 2 runs alone forever
    ("under fairness weak(start1, stop1)", ("start1", "stop1"), (), "holds"),  # weak suffices
    ("under fairness weak(all)", ALL4, (), "holds"),
    ("under fairness weak(start2, stop2)", ("start2", "stop2"), (), "fails"),  # the wrong process
    ("under fairness weak(stop1)", ("stop1",), (), "fails"),         # process 1 may stay idle
    ("under fairness strong(start1)", (), ("start1",), "holds"),     # idle forever is unfair
])
def test_independent_processes_starve_without_fairness(fairness, weak, strong, expected):
    P = _places(TWO_PROCS)
    sem = Semantics(T.G(T.F(T.Atom(0))), {0: _nonempty(P["Busy1"])}, {},
                    weak=frozenset(weak), strong=frozenset(strong))
    _check(TWO_PROCS, "ltl starve: G F count(Busy1) > 0 " + fairness, sem, expected)


MUTEX2 = """model Mutex2
place Idle1 : Unit = unit
place Wait1 : Unit
place Crit1 : Unit
place Idle2 : Unit = unit
place Wait2 : Unit
place Crit2 : Unit
place Lock : Unit = unit
transition req1
  in Idle1 : unit
  out Wait1 : unit
transition enter1
  in Wait1 : unit
  in Lock : unit
  out Crit1 : unit
  emit enter(p = 1)
transition leave1
  in Crit1 : unit
  out Idle1 : unit
  out Lock : unit
transition req2
  in Idle2 : unit
  out Wait2 : unit
transition enter2
  in Wait2 : unit
  in Lock : unit
  out Crit2 : unit
  emit enter(p = 2)
transition leave2
  in Crit2 : unit
  out Idle2 : unit
  out Lock : unit
"""


@pytest.mark.parametrize("fairness,expected", [
    ("", "fails"),
    # process 2 keeps taking the lock: enter1 is enabled only now and then
    ("under fairness weak(all)", "fails"),
    ("under fairness weak(all), strong(enter1)", "holds"),
    ("under fairness strong(enter1, leave2)", "holds"),
    ("under fairness strong(enter2)", "fails"),
])
def test_lock_starvation_needs_strong_fairness(fairness, expected):
    P = _places(MUTEX2)
    names = ["req1", "enter1", "leave1", "req2", "enter2", "leave2"]
    weak = frozenset(names) if "weak(all)" in fairness else frozenset()
    strong = frozenset()
    if "strong(" in fairness:
        strong = frozenset(x.strip() for x in fairness.split("strong(")[1].split(")")[0].split(","))
    # G (Wait1 -> F Crit1), written with the event `enter(p = 1)` for the F part
    sem = Semantics(T.G(T.Implies(T.Atom(0), T.F(T.Atom(1)))),
                    {0: _nonempty(P["Wait1"])},
                    {1: lambda tr, env: tr.name == "enter1"}, weak, strong)
    _check(MUTEX2, "ltl no_starve: G (count(Wait1) > 0 -> F enter(p = 1)) " + fairness, sem, expected)


RING = """model Ring
place Pa : Unit = unit
place Pb : Unit
place Pc : Unit
transition ab
  in Pa : unit
  out Pb : unit
transition bc
  in Pb : unit
  out Pc : unit
transition ca
  in Pc : unit
  out Pa : unit
"""


def test_gf_on_a_ring():
    P = _places(RING)
    sem = Semantics(T.G(T.F(T.Atom(0))), {0: _nonempty(P["Pa"])}, {})
    _check(RING, "ltl gf: G F count(Pa) > 0", sem, "holds")
    sem = Semantics(T.G(T.Implies(T.Atom(0), T.X(T.Atom(1)))), {0: _nonempty(P["Pa"]), 1: _nonempty(P["Pb"])}, {})
    _check(RING, "ltl next: G (Pa != empty -> X Pb != empty)", sem, "holds")
    sem = Semantics(T.F(T.G(T.Atom(0))), {0: _nonempty(P["Pa"])}, {})
    _, r = _check(RING, "ltl fg: F G count(Pa) > 0", sem, "fails")
    assert len(r.cycle) % 3 == 0


FLIP_FLOP = """model FlipFlop
place On : Unit
place Off : Unit = unit
transition up
  in Off : unit
  out On : unit
transition down
  in On : unit
  out Off : unit
"""


def test_fg_fails_on_a_flip_flop():
    P = _places(FLIP_FLOP)
    on = _nonempty(P["On"])
    _, r = _check(FLIP_FLOP, "ltl fg: F G On != empty", Semantics(T.F(T.G(T.Atom(0))), {0: on}, {}), "fails")
    assert {s.transition.name for s in r.cycle} == {"up", "down"}
    _check(FLIP_FLOP, "ltl gf: G F On != empty under fairness weak(all)",
           Semantics(T.G(T.F(T.Atom(0))), {0: on}, {}, weak=frozenset(["up", "down"])), "holds")
    # (a) U (b) read step by step: Off now, On next, ...
    _check(FLIP_FLOP, "ltl u: (On == empty) U (On != empty)",
           Semantics(T.U(T.Not(T.Atom(0)), T.Atom(0)), {0: on}, {}), "holds")
    _check(FLIP_FLOP, "ltl xx: X X On != empty",
           Semantics(T.X(T.X(T.Atom(0))), {0: on}, {}), "fails")


SENDER = """model Sender
colset R2 = 1..2
place Out : R2 = 1 ++ 2
transition send
  in Out : x
  out Out : x
  emit send(v = 3 - x)
"""


def _sent(value):
    return lambda tr, env: tr.name == "send" and 3 - env[0] == value


def test_event_field_constraint():
    # G F send(v = 2): a run may send x = 2 (v = 1) forever
    _, r = _check(SENDER, "ltl gf2: G F send(v = 2)",
                  Semantics(T.G(T.F(T.Atom(0))), {}, {0: _sent(2)}), "fails")
    assert all(3 - s.env[0] == 1 for s in r.cycle)
    _, r = _check(SENDER, "ltl gf1: G F send(v = 1) under fairness weak(all)",
                  Semantics(T.G(T.F(T.Atom(0))), {}, {0: _sent(1)}, weak=frozenset(["send"])), "fails")
    assert all(3 - s.env[0] == 2 for s in r.cycle)
    _check(SENDER, "ltl every_step: G (send(v = 1) or send(v = 2))",
           Semantics(T.G(T.Or(T.Atom(0), T.Atom(1))), {}, {0: _sent(1), 1: _sent(2)}), "holds")
    _check(SENDER, "ltl never3: G not send(v = 3)",
           Semantics(T.G(T.Not(T.Atom(0))), {}, {0: _sent(3)}), "holds")


ONE_SHOT = """model OneShot
colset R2 = 1..2
place Out : R2 = 1 ++ 2
place Done : R2
transition send
  in Out : x
  out Done : x
  emit sent(v = x)
"""


def test_event_atoms_are_false_on_stutter_steps():
    sent = lambda v: (lambda tr, env: tr.name == "send" and (v is None or env[0] == v))  # noqa: E731
    _, r = _check(ONE_SHOT, "ltl always: G sent", Semantics(T.G(T.Atom(0)), {}, {0: sent(None)}), "fails")
    assert len(r.cycle) == 1 and r.cycle[0].transition is None
    _check(ONE_SHOT, "ltl quiet: F G not sent", Semantics(T.F(T.G(T.Not(T.Atom(0)))), {}, {0: sent(None)}),
           "holds")
    _check(ONE_SHOT, "ltl both: F sent(v = 1) and F sent(v = 2)",
           Semantics(T.And(T.F(T.Atom(0)), T.F(T.Atom(1))), {}, {0: sent(1), 1: sent(2)}), "holds")
    _check(ONE_SHOT, "ltl first2: sent(v = 2)",
           Semantics(T.Atom(0), {}, {0: sent(2)}), "fails")


DETOUR = """model Detour
place S0 : Unit = unit
place S1 : Unit
place S2 : Unit
place Ready : Unit = unit
place Good : Unit
transition u
  in S0 : unit
  out S1 : unit
transition v
  in S1 : unit
  out S0 : unit
transition w
  in S1 : unit
  out S2 : unit
transition x
  in S2 : unit
  out S0 : unit
transition t
  in Ready : unit
  inhibit S2 : all
  out Good : unit
"""


@pytest.mark.parametrize("fairness,weak,strong,expected", [
    ("", (), (), "fails"),
    # t is enabled in S0 and S1: a weakly fair run avoiding t must detour through S2
    ("under fairness weak(t)", ("t",), (), "fails"),
    ("under fairness weak(all)", ("u", "v", "w", "x", "t"), (), "fails"),
    ("under fairness strong(t)", (), ("t",), "holds"),
])
def test_weak_fairness_cycle_visits_a_disabling_marking(fairness, weak, strong, expected):
    P = _places(DETOUR)
    sem = Semantics(T.F(T.Atom(0)), {0: _nonempty(P["Good"])}, {}, frozenset(weak), frozenset(strong))
    _, r = _check(DETOUR, "ltl good: F Good != empty " + fairness, sem, expected)
    if expected == "fails" and weak:
        assert any(s.transition.name == "w" for s in r.cycle)


NESTED = """model Nested
place S0 : Unit = unit
place S1 : Unit
place S2 : Unit
place Good : Unit
transition a
  in S0 : unit
  out S1 : unit
transition b
  in S1 : unit
  out S0 : unit
transition c
  in S1 : unit
  out S2 : unit
transition d
  in S2 : unit
  out S1 : unit
transition t
  in S2 : unit
  out Good : unit
"""


@pytest.mark.parametrize("fairness,weak,strong,expected", [
    ("", (), (), "fails"),
    ("under fairness weak(t)", ("t",), (), "fails"),
    # the component {S0, S1, S2} is unfair to t; the sub-cycle S0 <-> S1 is fair (Emerson-Lei)
    ("under fairness strong(t)", (), ("t",), "fails"),
    ("under fairness strong(t, a)", (), ("t", "a"), "fails"),
    # ... unless c must fire too, which leads to S2, where t must eventually fire
    ("under fairness strong(t, c)", (), ("t", "c"), "holds"),
    ("under fairness strong(all)", (), ("a", "b", "c", "d", "t"), "holds"),
])
def test_strong_fairness_refines_components(fairness, weak, strong, expected):
    P = _places(NESTED)
    sem = Semantics(T.F(T.Atom(0)), {0: _nonempty(P["Good"])}, {}, frozenset(weak), frozenset(strong))
    _check(NESTED, "ltl good: F Good != empty " + fairness, sem, expected)


def test_bare_label_named_like_its_transition():
    sent = lambda tr, env: tr.name == "send"  # noqa: E731
    _check(SENDER, "ltl always: G send", Semantics(T.G(T.Atom(0)), {}, {0: sent}), "holds")
    _check(SENDER, "ltl never: F not send()", Semantics(T.F(T.Not(T.Atom(0))), {}, {0: sent}), "fails")
