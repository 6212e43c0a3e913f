"""LTL to generalized Büchi automata.

Construction
------------
The tableau of Gerth, Peled, Vardi and Wolper, "Simple on-the-fly automatic
verification of linear temporal logic" (PSTV 1995), GPVW for short.  It was
chosen because it is short, well documented, easy to check against the paper,
and yields *generalized* acceptance directly: one acceptance set per Until
subformula ``a U b`` of the negation normal form, namely the nodes that either
do not promise ``a U b`` or already fulfil it with ``b``.  Automata for the
small formulas of protocol properties stay small (see the table in the test
module); nothing here aims at LTL2BA-grade minimality.

Input formulas are first put in negation normal form (:func:`nnf`), with
constants folded, ``->`` eliminated, ``F a`` read as ``true U a`` and ``G a``
as ``false R a``.

The automaton (:class:`Buchi`)
------------------------------
*Letters on edges.*  A letter is the set of atom indices true at one position
of the word.  A run over ``w0 w1 w2 ...`` is ``s0 --w0--> s1 --w1--> s2 ...``
with ``s0`` initial and each step matching an edge ``(guard, target)`` of the
state it leaves; the first letter is read on the edge leaving the initial
state.  A guard ``(pos, neg)`` matches a letter ``w`` iff ``pos <= w`` and
``neg`` is disjoint from ``w``.

Internally a GPVW node carries the literals that must hold at the position it
stands for; here it becomes a state entered by edges guarded with those
literals, and a fresh start state (never accepting, visited once) precedes
them.  So the state reached after reading ``w_i`` is the node for position
``i``.

*Generalized acceptance, not degeneralized.*  ``accepting`` is a list of
state sets; a run is accepting iff it visits each set infinitely often (an
empty list: every infinite run is accepting).  :meth:`Buchi.degeneralize`
gives the equivalent automaton with at most one set when a plain Büchi
condition is needed (e.g. for a nested DFS).

After the tableau, states that cannot be reached or cannot lead to an
accepting cycle are dropped, bisimilar states (same acceptance sets, same
guarded successors) are merged, and the states are numbered in breadth-first
order from the initial ones.  Everything is deterministic: no iteration order
depends on hashing.

>>> from protoverify.props.formula import Atom, G, F
>>> b = translate(G(F(Atom(0))))
>>> len(b.states), len(b.accepting)
(2, 1)
>>> b.accepts_lasso([], [frozenset({0}), frozenset()])
True
>>> b.accepts_lasso([frozenset({0})], [frozenset()])
False
>>> translate(FalseF()).accepts_lasso([], [frozenset()])
False
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import networkx as nx

from .formula import (
    And, Atom, F, FalseF, Formula, G, Implies, Not, Or, R, TrueF, U, X, show,
)

__all__ = ["Guard", "Buchi", "nnf", "translate"]

Guard = tuple[frozenset[int], frozenset[int]]
"""``(pos, neg)``: atoms that must be true / false when the edge is taken."""


# ---------------------------------------------------------------------------
# Negation normal form

def _and(a: Formula, b: Formula) -> Formula:
    if isinstance(a, FalseF) or isinstance(b, FalseF):
        return FalseF()
    if isinstance(a, TrueF):
        return b
    if isinstance(b, TrueF) or a == b:
        return a
    return And(a, b)


def _or(a: Formula, b: Formula) -> Formula:
    if isinstance(a, TrueF) or isinstance(b, TrueF):
        return TrueF()
    if isinstance(a, FalseF):
        return b
    if isinstance(b, FalseF) or a == b:
        return a
    return Or(a, b)


def _x(a: Formula) -> Formula:
    return a if isinstance(a, (TrueF, FalseF)) else X(a)


def _u(a: Formula, b: Formula) -> Formula:
    # a U true = true, a U false = false, false U b = b
    if isinstance(b, (TrueF, FalseF)) or isinstance(a, FalseF) or a == b:
        return b
    return U(a, b)


def _r(a: Formula, b: Formula) -> Formula:
    # a R true = true, a R false = false, true R b = b
    if isinstance(b, (TrueF, FalseF)) or isinstance(a, TrueF) or a == b:
        return b
    return R(a, b)


def nnf(f: Formula) -> Formula:
    """Negation normal form over ``true false Atom Not(Atom) And Or X U R``.

    ``->`` is expanded, ``F a`` becomes ``true U a``, ``G a`` becomes
    ``false R a``, constants are folded.  Raises ``ValueError`` on CTL
    operators.

    >>> from protoverify.props.formula import Atom, G, F, Implies
    >>> show(nnf(Not(G(Implies(Atom(0), F(Atom(1)))))))
    'true U (p0 and (false R not p1))'
    """
    return _nnf(f, False)


def _nnf(f: Formula, neg: bool) -> Formula:
    if isinstance(f, TrueF):
        return FalseF() if neg else TrueF()
    if isinstance(f, FalseF):
        return TrueF() if neg else FalseF()
    if isinstance(f, Atom):
        return Not(f) if neg else f
    if isinstance(f, Not):
        return _nnf(f.f, not neg)
    if isinstance(f, And):
        return (_or if neg else _and)(_nnf(f.a, neg), _nnf(f.b, neg))
    if isinstance(f, Or):
        return (_and if neg else _or)(_nnf(f.a, neg), _nnf(f.b, neg))
    if isinstance(f, Implies):
        if neg:
            return _and(_nnf(f.a, False), _nnf(f.b, True))
        return _or(_nnf(f.a, True), _nnf(f.b, False))
    if isinstance(f, X):
        return _x(_nnf(f.f, neg))
    if isinstance(f, F):
        return _r(FalseF(), _nnf(f.f, True)) if neg else _u(TrueF(), _nnf(f.f, False))
    if isinstance(f, G):
        return _u(TrueF(), _nnf(f.f, True)) if neg else _r(FalseF(), _nnf(f.f, False))
    if isinstance(f, U):
        if neg:
            return _r(_nnf(f.a, True), _nnf(f.b, True))
        return _u(_nnf(f.a, False), _nnf(f.b, False))
    if isinstance(f, R):
        if neg:
            return _u(_nnf(f.a, True), _nnf(f.b, True))
        return _r(_nnf(f.a, False), _nnf(f.b, False))
    raise ValueError(f"not an LTL formula: {show(f)}")


# ---------------------------------------------------------------------------
# The automaton

def _matches(guard: Guard, letter: frozenset[int]) -> bool:
    pos, neg = guard
    return pos <= letter and not (neg & letter)


def _guard_key(guard: Guard) -> tuple:
    return (tuple(sorted(guard[0])), tuple(sorted(guard[1])))


@dataclass
class Buchi:
    """A generalized Büchi automaton with letters on edges (module docstring)."""

    states: list[int]
    initial: list[int]
    edges: list[list[tuple[Guard, int]]]
    accepting: list[frozenset[int]] = field(default_factory=list)

    def successors(self, q: int, letter: frozenset[int]) -> list[int]:
        """The states reached from ``q`` on reading ``letter``."""
        return [t for g, t in self.edges[q] if _matches(g, letter)]

    def accepts_lasso(self, stem: list[frozenset[int]], cycle: list[frozenset[int]]) -> bool:
        """Whether the word ``stem · cycle^ω`` is accepted (``cycle`` non-empty).

        Product of the automaton with the lasso's positions ``0 .. k+m-1``
        (``k = len(stem)``, ``m = len(cycle)``, the successor of the last one
        is ``k``); the word is accepted iff a reachable non-trivial strongly
        connected component of the product meets every acceptance set.
        """
        if not cycle:
            raise ValueError("the cycle of a lasso word must be non-empty")
        word = [frozenset(w) for w in stem] + [frozenset(w) for w in cycle]
        k, n = len(stem), len(stem) + len(cycle)
        g = nx.DiGraph()
        todo = [(q, 0) for q in self.initial]
        seen = set(todo)
        g.add_nodes_from(todo)
        while todo:
            q, i = todo.pop()
            j = i + 1 if i + 1 < n else k
            for t in self.successors(q, word[i]):
                g.add_edge((q, i), (t, j))
                if (t, j) not in seen:
                    seen.add((t, j))
                    todo.append((t, j))
        for comp in nx.strongly_connected_components(g):
            if len(comp) == 1:
                (v,) = comp
                if not g.has_edge(v, v):
                    continue
            qs = {q for q, _ in comp}
            if all(qs & acc for acc in self.accepting):
                return True
        return False

    def degeneralize(self) -> "Buchi":
        """An equivalent automaton with at most one acceptance set.

        Counter construction: state ``(q, i)`` waits for acceptance set ``i``;
        leaving a state of set ``i`` moves the counter to ``i+1 mod n``.
        The acceptance set is ``{(q, 0) : q in accepting[0]}``.
        """
        n = len(self.accepting)
        if n <= 1:
            return Buchi(list(self.states), list(self.initial),
                         [list(e) for e in self.edges], list(self.accepting))
        index: dict[tuple[int, int], int] = {}
        order: list[tuple[int, int]] = []

        def num(p: tuple[int, int]) -> int:
            if p not in index:
                index[p] = len(order)
                order.append(p)
            return index[p]

        initial = [num((q, 0)) for q in self.initial]
        edges: list[list[tuple[Guard, int]]] = []
        i = 0
        while i < len(order):
            q, c = order[i]
            c2 = (c + 1) % n if q in self.accepting[c] else c
            edges.append([(g, num((t, c2))) for g, t in self.edges[q]])
            i += 1
        acc = frozenset(index[p] for p in order if p[1] == 0 and p[0] in self.accepting[0])
        return Buchi(list(range(len(order))), initial, edges, [acc])

    def size(self) -> tuple[int, int]:
        """``(number of states, number of edges)``."""
        return len(self.states), sum(len(e) for e in self.edges)

    def dump(self, names=None) -> str:
        """A readable listing, one line per edge."""
        def lit(g: Guard) -> str:
            def nm(a: int) -> str:
                return names[a] if names else f"p{a}"
            parts = [nm(a) for a in sorted(g[0])] + ["!" + nm(a) for a in sorted(g[1])]
            return " & ".join(parts) or "true"

        lines = [f"initial: {self.initial}"]
        for i, acc in enumerate(self.accepting):
            lines.append(f"accepting[{i}]: {sorted(acc)}")
        for q in self.states:
            for g, t in self.edges[q]:
                lines.append(f"{q} --[{lit(g)}]--> {t}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# GPVW tableau

@dataclass
class _Node:
    name: int
    incoming: set[int]           # names of predecessor nodes (0 = start)
    new: list[Formula]           # still to process (ordered, deterministic)
    old: set[Formula]            # processed
    next: set[Formula]           # obligations for the next position


_START = 0


def _neg_literal(f: Formula) -> Formula:
    return f.f if isinstance(f, Not) else Not(f)


def _key(f: Formula) -> str:
    return repr(f)


def _tableau(phi: Formula) -> list[_Node]:
    counter = [_START]

    def fresh() -> int:
        counter[0] += 1
        return counter[0]

    done: list[_Node] = []
    by_key: dict[tuple[frozenset, frozenset], _Node] = {}
    stack = [_Node(fresh(), {_START}, [phi], set(), set())]

    def add(node: _Node, fs: list[Formula]) -> None:
        for f in fs:
            if f not in node.old and f not in node.new:
                node.new.append(f)

    while stack:
        node = stack.pop()
        if not node.new:
            key = (frozenset(node.old), frozenset(node.next))
            other = by_key.get(key)
            if other is not None:
                other.incoming |= node.incoming
                continue
            by_key[key] = node
            done.append(node)
            stack.append(_Node(fresh(), {node.name},
                               sorted(node.next, key=_key), set(), set()))
            continue
        eta = node.new.pop(0)
        if isinstance(eta, FalseF):
            continue
        if isinstance(eta, TrueF):
            stack.append(node)
            continue
        if isinstance(eta, (Atom, Not)):
            if _neg_literal(eta) in node.old:
                continue
            node.old.add(eta)
            stack.append(node)
            continue
        if isinstance(eta, And):
            node.old.add(eta)
            add(node, [eta.a, eta.b])
            stack.append(node)
            continue
        if isinstance(eta, X):
            node.old.add(eta)
            node.next.add(eta.f)
            stack.append(node)
            continue
        if isinstance(eta, (Or, U, R)):
            if isinstance(eta, Or):
                first, first_next, second = [eta.a], [], [eta.b]
            elif isinstance(eta, U):
                first, first_next, second = [eta.a], [eta], [eta.b]
            else:
                first, first_next, second = [eta.b], [eta], [eta.a, eta.b]
            old = node.old | {eta}
            n1 = _Node(fresh(), set(node.incoming), list(node.new), set(old),
                       node.next | set(first_next))
            add(n1, first)
            n2 = _Node(fresh(), set(node.incoming), list(node.new), set(old), set(node.next))
            add(n2, second)
            # process n1 first (stack: last pushed is popped first)
            stack.append(n2)
            stack.append(n1)
            continue
        raise ValueError(f"not in negation normal form: {show(eta)}")
    return done


def _untils(phi: Formula) -> list[U]:
    out: dict[str, U] = {}
    stack = [phi]
    while stack:
        f = stack.pop()
        if isinstance(f, U):
            out[_key(f)] = f
        if isinstance(f, (And, Or, U, R)):
            stack += [f.a, f.b]
        elif isinstance(f, (Not, X)):
            stack.append(f.f)
    return [out[k] for k in sorted(out)]


def translate(f: Formula) -> Buchi:
    """The generalized Büchi automaton accepting the words satisfying ``f``.

    Letters on edges, generalized acceptance (one set per Until of
    ``nnf(f)``); see the module docstring.

    >>> from protoverify.props.formula import Atom, U
    >>> b = translate(U(Atom(0), Atom(1)))
    >>> b.accepts_lasso([frozenset({0}), frozenset({0, 1})], [frozenset()])
    True
    >>> b.accepts_lasso([frozenset({0})], [frozenset({0})])
    False
    """
    phi = nnf(f)
    nodes = _tableau(phi)
    # states: 0 = start, then the nodes in creation order
    idx = {_START: 0}
    for n in nodes:
        idx[n.name] = len(idx)
    n_states = len(idx)
    edges: list[list[tuple[Guard, int]]] = [[] for _ in range(n_states)]
    for n in nodes:
        pos = frozenset(a.index for a in n.old if isinstance(a, Atom))
        neg = frozenset(a.f.index for a in n.old if isinstance(a, Not))
        for p in sorted(n.incoming):
            edges[idx[p]].append(((pos, neg), idx[n.name]))
    accepting = []
    for u in _untils(phi):
        accepting.append(frozenset(
            idx[n.name] for n in nodes if u not in n.old or u.b in n.old))
    return _simplify(Buchi(list(range(n_states)), [0], edges, accepting))


# ---------------------------------------------------------------------------
# Clean-up: prune useless states, merge bisimilar ones, renumber

def _live_states(b: Buchi) -> set[int]:
    """States reachable from an initial one and from which an accepting run exists."""
    g = nx.DiGraph()
    g.add_nodes_from(b.states)
    for q in b.states:
        for _, t in b.edges[q]:
            g.add_edge(q, t)
    reach: set[int] = set()
    for q in b.initial:
        reach |= nx.descendants(g, q) | {q}
    good: set[int] = set()
    for comp in nx.strongly_connected_components(g):
        if len(comp) == 1:
            (v,) = comp
            if not g.has_edge(v, v):
                continue
        if all(comp & acc for acc in b.accepting):
            good |= comp
    live = set(good)
    for v in good:
        live |= nx.ancestors(g, v)
    return live & reach


def _prune_edges(edges: list[tuple[Guard, int]]) -> list[tuple[Guard, int]]:
    """Drop duplicate edges and edges implied by a weaker guard to the same target."""
    uniq: dict[tuple, tuple[Guard, int]] = {}
    for g, t in edges:
        uniq.setdefault((t, _guard_key(g)), (g, t))
    kept = []
    for k in sorted(uniq):
        g, t = uniq[k]
        if any(t2 == t and g2 != g and g2[0] <= g[0] and g2[1] <= g[1]
               for g2, t2 in uniq.values()):
            continue
        kept.append((g, t))
    return kept


def _simplify(b: Buchi) -> Buchi:
    live = _live_states(b)
    states = sorted(live)
    edges = {q: _prune_edges([(g, t) for g, t in b.edges[q] if t in live]) for q in states}
    # bisimulation quotient, starting from the acceptance-membership partition
    block = {q: tuple(q in acc for acc in b.accepting) for q in states}
    while True:
        sig = {q: (block[q], tuple(sorted({(_guard_key(g), block[t]) for g, t in edges[q]})))
               for q in states}
        names = {s: i for i, s in enumerate(sorted(set(sig.values())))}
        new_block = {q: names[sig[q]] for q in states}
        if len(set(new_block.values())) == len(set(block.values())):
            block = new_block
            break
        block = new_block
    # one representative per block; number blocks breadth-first
    rep: dict[int, int] = {}
    for q in states:
        rep.setdefault(block[q], q)
    number: dict[int, int] = {}
    queue: deque[int] = deque()
    initial: list[int] = []
    for q in b.initial:
        if q in live:
            bl = block[q]
            if bl not in number:
                number[bl] = len(number)
                queue.append(bl)
            if number[bl] not in initial:
                initial.append(number[bl])
    out_edges: list[list[tuple[Guard, int]]] = []
    while queue:
        bl = queue.popleft()
        q = rep[bl]
        renamed = []
        for g, t in sorted(edges[q], key=lambda e: (_guard_key(e[0]), block[e[1]])):
            tb = block[t]
            if tb not in number:
                number[tb] = len(number)
                queue.append(tb)
            renamed.append((g, number[tb]))
        out_edges.append(_prune_edges(renamed))
    accepting: list[frozenset[int]] = []
    for acc in b.accepting:
        a = frozenset(number[block[q]] for q in states if q in acc and block[q] in number)
        # a set holding every state constrains nothing; keep one copy of duplicates
        if len(a) < len(number) and a not in accepting:
            accepting.append(a)
    return Buchi(list(range(len(number))), sorted(initial), out_edges, accepting)
