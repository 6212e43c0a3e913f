"""Non-temporal property kinds against naive graph computations.

Oracle, on a networkx ``DiGraph`` built from ``space.successors``:

* ``invariant`` / ``reachable``: every / some state satisfies the predicate;
* ``bound P <= k``: no state holds more than k tokens in P;
* ``home NAME: EXPR``: from every state, ``{s} | descendants(s)`` meets EXPR;
* ``live T`` (L4): from every state, ``{s} | descendants(s)`` holds a state
  where T is enabled (T appears in its successor list); ``live T for x in X``:
  the same for each value v of X, with an enabled binding giving x = v;
* ``deadlock only final``: every dead marking satisfies some ``final``.

Predicates are boolean combinations of the atoms of ``test_ctl_oracle``
(evaluated by that file's own code).  Evidence is checked too: the stem of a
failing invariant / bound / deadlock check and of a holding reachable check
replays from state 0 on the successor lists, ends at a violating / witness
state, and is as long as the BFS depth of the nearest such state; the stem of
a failing live / home check replays and ends at a state from which no
T-enabled / EXPR state is reachable (and is, again, a shortest such path).
"""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
from hypothesis import event, given, note
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from test_ctl_oracle import (  # noqa: E402
    ORACLE_SETTINGS, atoms, explore_complete, load_with_props, render, replay, small_nets,
    state_graph,
)

from protoverify import load_model_text  # noqa: E402
from protoverify.props.check import check_all  # noqa: E402

BOOL_UNARY = ["not"]
BOOL_BINARY = ["and", "or", "->"]


@st.composite
def predicates(draw, natoms: int, depth: int = 2):
    """A boolean combination of atoms (the formula tuples of test_ctl_oracle)."""
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return ("atom", draw(st.integers(0, natoms - 1)))
    op = draw(st.sampled_from(BOOL_UNARY + BOOL_BINARY))
    args = [draw(predicates(natoms, depth - 1)) for _ in range(1 if op in BOOL_UNARY else 2)]
    return (op, *args)


def holds(f, specs, space, s) -> bool:
    op = f[0]
    if op == "atom":
        return specs[f[1]].holds(space, s)
    if op == "not":
        return not holds(f[1], specs, space, s)
    a = holds(f[1], specs, space, s)
    b = holds(f[2], specs, space, s)
    return {"and": a and b, "or": a or b, "->": (not a) or b}[op]


@st.composite
def cases(draw):
    net = draw(small_nets())
    specs = draw(st.lists(atoms(net), min_size=1, max_size=4))
    preds = {k: draw(predicates(len(specs))) for k in ("inv", "reach", "home", "fin")}
    minimal = draw(st.booleans())
    bounds = draw(st.lists(st.tuples(st.integers(0, len(net.types) - 1), st.integers(0, 4)),
                           max_size=2, unique_by=lambda x: x[0]))
    return net, specs, preds, bounds, minimal


def _tokens(space, s, p) -> int:
    return sum(n for _, n in space.markings[s][p])


def _reach(g: nx.DiGraph, s: int) -> set:
    return {s} | nx.descendants(g, s)


def _depths(g):
    return nx.single_source_shortest_path_length(g, 0)


def _check_shortest_to(space, g, result, targets, what):
    """The stem replays from 0, ends at ``result.state``, in ``targets``, at the least BFS depth."""
    states = replay(space, result.stem)
    assert result.state == states[-1], "%s: Result.state %s, the stem ends at %d" % (
        what, result.state, states[-1])
    assert states[-1] in targets, "%s: the stem ends at state %d, not one of %s" % (
        what, states[-1], sorted(targets))
    d = _depths(g)
    assert len(result.stem) == min(d[s] for s in targets), "%s: the stem is not a shortest path" % what


@ORACLE_SETTINGS
@given(cases())
def test_state_properties_match_graph_oracle(case):
    net, specs, preds, bounds, minimal = case
    lines = ["invariant inv: " + render(preds["inv"], specs, minimal),
             "reachable reach: " + render(preds["reach"], specs, minimal),
             "home hm: " + render(preds["home"], specs, minimal)]
    lines += ["bound p%d <= %d" % (p, k) for p, k in bounds]
    lines += ["live t%d" % j for j in range(net.ntrans)]
    lines += ["final fin: " + render(preds["fin"], specs, minimal), "deadlock only final"]
    props_text = "\n".join(lines)
    # `live T for x in X` for every variable of every transition
    extra = ["live %s for %s in %s" % (t.name, v, cs.name) for t in load_model_text(net.text).transitions
             for v, cs in t.variables]
    props_text = "\n".join([props_text] + extra)
    note(net.text + "properties\n" + props_text)
    model, props = load_with_props(net.text, props_text)
    space = explore_complete(model)
    g = state_graph(space)
    n = space.states
    everything = set(range(n))
    results = check_all(space, props)
    assert {r.prop.name for r in results} >= {p.name for p in props if p.kind != "final"}
    event("states: %s" % ("1" if n == 1 else "2-5" if n <= 5 else "6-20" if n <= 20 else ">20"))

    by_kind: dict = {}
    for r in results:
        by_kind.setdefault(r.kind, []).append(r)

    # invariant
    (r,) = by_kind["invariant"]
    bad = {s for s in everything if not holds(preds["inv"], specs, space, s)}
    assert r.verdict == ("fails" if bad else "holds"), r.prop.text
    if bad:
        _check_shortest_to(space, g, r, bad, "invariant")
    event("invariant %s" % r.verdict)

    # reachable
    (r,) = by_kind["reachable"]
    good = {s for s in everything if holds(preds["reach"], specs, space, s)}
    assert r.verdict == ("holds" if good else "fails"), r.prop.text
    if good:
        _check_shortest_to(space, g, r, good, "reachable")
    event("reachable %s" % r.verdict)

    # home
    (r,) = by_kind["home"]
    good = {s for s in everything if holds(preds["home"], specs, space, s)}
    stuck = {s for s in everything if not (_reach(g, s) & good)}
    assert r.verdict == ("fails" if stuck else "holds"), r.prop.text
    if stuck:
        _check_shortest_to(space, g, r, stuck, "home")
        assert not (_reach(g, r.state) & good)
    event("home %s" % r.verdict)

    # bound
    for r, (p, k) in zip(by_kind.get("bound", []), bounds):
        over = {s for s in everything if _tokens(space, s, p) > k}
        assert r.verdict == ("fails" if over else "holds"), r.prop.text
        if over:
            _check_shortest_to(space, g, r, over, "bound")
        event("bound %s" % r.verdict)

    # deadlock only final
    (r,) = by_kind["deadlock"]
    dead = {s for s in everything if not space.successors[s]}
    unfinished = {s for s in dead if not holds(preds["fin"], specs, space, s)}
    assert r.verdict == ("fails" if unfinished else "holds"), r.prop.text
    if unfinished:
        _check_shortest_to(space, g, r, unfinished, "deadlock only final")
    event("deadlock only final %s" % r.verdict)

    # live
    lives = by_kind["live"]
    for j, r in enumerate(lives[:net.ntrans]):
        enabled = {s for s in everything if any(t == j for _, t, _ in space.successors[s])}
        stuck = {s for s in everything if not (_reach(g, s) & enabled)}
        assert r.verdict == ("fails" if stuck else "holds"), "live t%d" % j
        if stuck:
            _check_shortest_to(space, g, r, stuck, "live t%d" % j)
            assert not (_reach(g, r.state) & enabled)
        event("live %s" % r.verdict)
    rest = lives[net.ntrans:]
    assert len(rest) == len(extra)
    specs_for = [(t, slot, cs) for t in model.transitions for slot, (_, cs) in enumerate(t.variables)]
    for r, (t, slot, cs), text in zip(rest, specs_for, extra):
        stuck = set()
        for v in cs.values:
            enabled = {s for s in everything
                       if any(tt == t.index and env[slot] == v for _, tt, env in space.successors[s])}
            stuck |= {s for s in everything if not (_reach(g, s) & enabled)}
        assert r.verdict == ("fails" if stuck else "holds"), text
        if stuck:
            states = replay(space, r.stem)
            assert states[-1] in stuck, "%s: the stem ends at %d, which can still fire it for every value" % (
                text, states[-1])
        event("live for %s" % r.verdict)
