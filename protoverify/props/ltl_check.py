"""LTL on an explicit state space: the product with a Büchi automaton of the negation.

A counterexample is a fair accepting lasso of the product of the state graph
(dead markings stutter) with the automaton of ``not f``
(:func:`protoverify.props.ltl.translate`).  The letter read on a step is the
set of state atoms true in the marking the step leaves, plus the event atoms
the step's transition and binding match.

Fairness, per transition of the listed sets:

* ``weak(t)``: a run on which ``t`` is enabled in every marking of the cycle
  must fire ``t`` on the cycle;
* ``strong(t)``: a run on which ``t`` is enabled somewhere on the cycle must
  fire ``t`` on the cycle.

Fair accepting cycles are found by an SCC decomposition refined for strong
fairness (Emerson–Lei style: drop the states enabling an unfair transition and
decompose again).  Among all fair accepting components the one closest to the
initial marking is chosen, so the stem is a shortest one (BFS); the cycle
visits what acceptance and fairness require, by shortest paths inside the
component.
"""

from __future__ import annotations

from collections import deque

import networkx as nx

from ..explore.statespace import StateSpace
from ..net.evaluate import compile_expr
from . import formula as T
from .check import STUTTER, Result, _graph, _step
from .ltl import translate
from .model import Property, StateContext

__all__ = ["check_ltl"]


def check_ltl(space: StateSpace, prop: Property) -> Result:
    g = _graph(space)
    buchi = translate(T.Not(prop.formula))
    net = space.net

    state_atoms = [i for i, a in enumerate(prop.atoms) if a.kind == "state"]
    event_atoms = [(i, a) for i, a in enumerate(prop.atoms) if a.kind == "event"]
    field_fns = {}
    for t in net.transitions:
        if t.emit is not None:
            field_fns[t.index] = {name: compile_expr(e) for name, e in t.emit.fields}
    letters_cache: dict[int, frozenset] = {}

    def state_letter(s: int) -> frozenset:
        got = letters_cache.get(s)
        if got is None:
            ctx = StateContext(space, s)
            got = letters_cache[s] = frozenset(i for i in state_atoms if prop.atoms[i].predicate(ctx))
        return got

    def letter(s: int, t: int, env) -> frozenset:
        base = state_letter(s)
        if t == STUTTER or not event_atoms:
            return base
        extra = []
        for i, a in event_atoms:
            if t in a.transitions:
                fns = field_fns[t]
                if all(name in fns and fns[name](list(env)) == v for name, v in a.fields):
                    extra.append(i)
        return base | frozenset(extra) if extra else base

    # ---- the product, breadth-first from the initial pairs
    index: dict[tuple[int, int], int] = {}
    nodes: list[tuple[int, int]] = []
    parent: list[tuple[int, tuple] | None] = []
    succ: list[list[tuple[int, tuple]]] = []  # (target node, (s, t, env, d))
    queue = deque()
    for q0 in buchi.initial:
        key = (0, q0)
        if key not in index:
            index[key] = len(nodes)
            nodes.append(key)
            parent.append(None)
            queue.append(index[key])
    while queue:
        n = queue.popleft()
        while len(succ) <= n:
            succ.append([])
        s, q = nodes[n]
        for d, t, env in g.succ[s]:
            w = letter(s, t, env)
            for (pos, neg), q2 in buchi.edges[q]:
                if pos <= w and not (neg & w):
                    key = (d, q2)
                    m = index.get(key)
                    if m is None:
                        m = index[key] = len(nodes)
                        nodes.append(key)
                        parent.append((n, (s, t, env, d)))
                        queue.append(m)
                    succ[n].append((m, (s, t, env, d)))
    while len(succ) < len(nodes):
        succ.append([])

    weak = sorted({t for item in prop.fairness if item.kind == "weak" for t in item.transitions})
    strong = sorted({t for item in prop.fairness if item.kind == "strong" for t in item.transitions})
    accepting = [frozenset(a) for a in buchi.accepting]

    def enabled(n: int, t: int) -> bool:
        return space.is_enabled(nodes[n][0], t)

    def fair_components(members: list[int]):
        sub = nx.DiGraph()
        sub.add_nodes_from(members)
        allowed = set(members)
        for n in members:
            for m, _ in succ[n]:
                if m in allowed:
                    sub.add_edge(n, m)
        for comp in nx.strongly_connected_components(sub):
            comp = sorted(comp)
            if len(comp) == 1 and not sub.has_edge(comp[0], comp[0]):
                continue
            cset = set(comp)
            fired = {lab[1] for n in comp for m, lab in succ[n] if m in cset}
            unfair = [t for t in strong if t not in fired and any(enabled(n, t) for n in comp)]
            if unfair:
                rest = [n for n in comp if not any(enabled(n, t) for t in unfair)]
                if rest:
                    yield from fair_components(rest)
                continue
            if any(t not in fired and all(enabled(n, t) for n in comp) for t in weak):
                continue  # t continuously enabled and never fired, in every sub-cycle too
            if all(any(nodes[n][1] in acc for n in comp) for acc in accepting):
                yield comp, fired

    best = None
    for comp, fired in fair_components(list(range(len(nodes)))):
        entry = min(comp)  # node numbers follow BFS order: the smallest is the closest
        if best is None or entry < best[0]:
            best = (entry, comp, fired)
    if best is None:
        return Result(prop, "holds")
    entry, comp, fired = best
    cset = set(comp)

    # ---- stem: BFS tree path to the entry node
    stem_labels = []
    n = entry
    while parent[n] is not None:
        p, lab = parent[n]
        stem_labels.append(lab)
        n = p
    stem_labels.reverse()

    # ---- cycle: visit what acceptance and fairness need, inside the component
    goals = []
    for acc in accepting:
        goals.append(("node", {n for n in comp if nodes[n][1] in acc}))
    for t in strong:
        if any(enabled(n, t) for n in comp):
            goals.append(("edge", t))
    for t in weak:
        if all(enabled(n, t) for n in comp):
            goals.append(("edge", t))
        else:
            goals.append(("node", {n for n in comp if not enabled(n, t)}))
    cycle_labels: list = []
    cur = entry
    for kind, target in goals:
        path = _bfs(succ, cset, cur, kind, target)
        cycle_labels.extend(lab for _, lab in path)
        cur = path[-1][0] if path else cur
    back = _bfs(succ, cset, cur, "node", {entry}, nonempty=not cycle_labels)
    cycle_labels.extend(lab for _, lab in back)

    def steps(labels):
        return [_step(space, s, t, env, d) for s, t, env, d in labels]

    return Result(prop, "fails", steps(stem_labels), steps(cycle_labels), state=nodes[entry][0],
                  note="a run that violates it" + (" (fair)" if prop.fairness else ""))


def _bfs(succ, allowed: set, start: int, kind: str, target, nonempty: bool = False):
    """Shortest path inside ``allowed`` from ``start`` to a node in ``target`` (kind "node")
    or through an edge firing transition ``target`` (kind "edge"): list of (node, label)."""
    if kind == "node" and start in target and not nonempty:
        return []
    prev: dict[int, tuple[int, tuple]] = {}
    queue = deque([start])
    seen = {start} if not nonempty else set()
    while queue:
        n = queue.popleft()
        for m, lab in succ[n]:
            if m not in allowed:
                continue
            hit = (kind == "node" and m in target) or (kind == "edge" and lab[1] == target)
            if hit:
                path = [(m, lab)]
                cur = n
                while cur != start or (nonempty and cur in prev and len(path) == 0):
                    if cur == start:
                        break
                    p, plab = prev[cur]
                    path.append((cur, plab))
                    cur = p
                path.reverse()
                return path
            if m not in seen:
                seen.add(m)
                prev[m] = (n, lab)
                queue.append(m)
    return []  # pragma: no cover - the component is strongly connected
