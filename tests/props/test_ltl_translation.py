"""LTL -> Büchi translation (``protoverify.props.ltl``) against a direct evaluator.

Oracle: ``evaluate`` below, the textbook semantics of LTL read off an
ultimately periodic word ``stem · cycle^ω``, written independently of the
translation (no negation normal form, no tableau, no fixpoints): positions
``0 .. k+m-1`` with the successor of the last one folded back to ``k``, and
each temporal operator evaluated by walking forward at most ``k+m`` steps,
which visits every position reachable from the start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import lru_cache

import pytest
from hypothesis import given, settings, strategies as st

from protoverify.props.formula import (
    AG, And, Atom, EF, F, FalseF, G, Implies, Not, Or, R, TrueF, U, X,
)
from protoverify.props.ltl import Buchi, nnf, translate


# ---------------------------------------------------------------------------
# The oracle

def evaluate(f, stem, cycle) -> bool:
    """Whether ``stem · cycle^ω`` satisfies ``f`` at position 0."""
    word = [frozenset(w) for w in stem] + [frozenset(w) for w in cycle]
    k, n = len(stem), len(stem) + len(cycle)
    assert len(cycle) >= 1

    def succ(i: int) -> int:
        return i + 1 if i + 1 < n else k

    def walk(i: int):
        """The positions i, i+1, ... far enough to see every reachable one."""
        for _ in range(n):
            yield i
            i = succ(i)

    @lru_cache(maxsize=None)
    def holds(f, i: int) -> bool:
        if isinstance(f, TrueF):
            return True
        if isinstance(f, FalseF):
            return False
        if isinstance(f, Atom):
            return f.index in word[i]
        if isinstance(f, Not):
            return not holds(f.f, i)
        if isinstance(f, And):
            return holds(f.a, i) and holds(f.b, i)
        if isinstance(f, Or):
            return holds(f.a, i) or holds(f.b, i)
        if isinstance(f, Implies):
            return (not holds(f.a, i)) or holds(f.b, i)
        if isinstance(f, X):
            return holds(f.f, succ(i))
        if isinstance(f, F):
            return any(holds(f.f, j) for j in walk(i))
        if isinstance(f, G):
            return all(holds(f.f, j) for j in walk(i))
        if isinstance(f, U):
            # some j >= i has b, and a holds at every position before it
            for j in walk(i):
                if holds(f.b, j):
                    return True
                if not holds(f.a, j):
                    return False
            return False  # a forever without b: every reachable position seen
        if isinstance(f, R):
            # b holds up to and including the first a, or forever
            for j in walk(i):
                if not holds(f.b, j):
                    return False
                if holds(f.a, j):
                    return True
            return True
        raise TypeError(f)

    return holds(f, 0)


def L(*atoms_):
    return frozenset(atoms_)


def test_oracle_sanity():
    p, q = Atom(0), Atom(1)
    assert evaluate(G(F(p)), [], [L(0), L()])
    assert not evaluate(F(G(p)), [], [L(0), L()])
    assert evaluate(F(G(p)), [L(), L()], [L(0)])
    assert evaluate(U(p, q), [L(0), L(0)], [L(1)])
    assert not evaluate(U(p, q), [], [L(0)])
    assert evaluate(R(p, q), [], [L(1)])
    assert not evaluate(R(p, q), [L(1)], [L()])
    assert evaluate(R(p, q), [L(1), L(0, 1)], [L()])
    assert evaluate(X(X(p)), [L(), L()], [L(0)])
    assert not evaluate(X(X(p)), [L(), L(0)], [L()])


# ---------------------------------------------------------------------------
# Strategies

LEAVES = [TrueF(), FalseF()]
UNARY = [Not, X, F, G]
BINARY = [And, Or, Implies, U, R]


def formulas(n_atoms: int, depth: int = 4):
    """Formulas of depth <= ``depth``, biased towards compound ones."""
    leaf = st.sampled_from(LEAVES + [Atom(i) for i in range(n_atoms)])
    s = leaf
    for _ in range(depth):
        sub = s
        unary = st.builds(lambda op, a: op(a), st.sampled_from(UNARY), sub)
        binary = st.builds(lambda op, a, b: op(a, b), st.sampled_from(BINARY), sub, sub)
        s = st.one_of(leaf, unary, binary, binary)
    return st.one_of(unary, binary)  # the top is compound; leaves are tested below


@st.composite
def cases(draw):
    n = draw(st.integers(2, 3))
    f = draw(formulas(n))
    letter = st.frozensets(st.integers(0, n - 1))
    stem = draw(st.lists(letter, min_size=0, max_size=3))
    cycle = draw(st.lists(letter, min_size=1, max_size=3))
    return f, stem, cycle


# ---------------------------------------------------------------------------
# Random formulas and words

@settings(max_examples=300, deadline=None, derandomize=True)
@given(cases())
def test_translation_matches_evaluator(case):
    f, stem, cycle = case
    expected = evaluate(f, stem, cycle)
    assert translate(f).accepts_lasso(stem, cycle) == expected
    assert translate(Not(f)).accepts_lasso(stem, cycle) == (not expected)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(cases())
def test_nnf_and_degeneralize_preserve_language(case):
    f, stem, cycle = case
    expected = evaluate(f, stem, cycle)
    assert evaluate(nnf(f), stem, cycle) == expected
    assert evaluate(nnf(Not(f)), stem, cycle) == (not expected)
    d = translate(f).degeneralize()
    assert len(d.accepting) <= 1
    assert d.accepts_lasso(stem, cycle) == expected


@settings(max_examples=100, deadline=None, derandomize=True)
@given(cases())
def test_automaton_is_well_formed(case):
    f, _, _ = case
    b = translate(f)
    n = len(b.states)
    assert b.states == list(range(n))
    assert len(b.edges) == n
    assert all(0 <= q < n for q in b.initial)
    for out in b.edges:
        for (pos, neg), t in out:
            assert isinstance(pos, frozenset) and isinstance(neg, frozenset)
            assert not (pos & neg)
            assert 0 <= t < n
    for acc in b.accepting:
        assert isinstance(acc, frozenset) and acc <= set(range(n))
    assert translate(f) == b  # same result twice


# ---------------------------------------------------------------------------
# Classic formulas

p, q = Atom(0), Atom(1)
E = L()

CLASSIC = [
    # (formula, max states, [(stem, cycle, expected)])
    (G(F(p)), 2, [([], [L(0)], True), ([], [L(0), E], True), ([L(0)], [E], False)]),
    (F(G(p)), 2, [([E, E], [L(0)], True), ([], [L(0), E], False), ([L(0)], [E], False)]),
    (U(p, q), 2, [([L(0), L(0)], [L(1)], True), ([], [L(1)], True), ([], [L(0)], False),
                  ([L(0), E], [L(1)], False)]),
    (G(Implies(p, F(q))), 3, [([], [L(0), L(1)], True), ([L(0)], [E], False),
                             ([], [E], True), ([L(1)], [L(0)], False), ([], [L(0, 1)], True)]),
    (X(X(p)), 4, [([E, E], [L(0)], True), ([], [E, E, L(0)], True), ([L(0), L(0)], [E], False)]),
    (FalseF(), 0, [([], [E], False), ([L(0)], [L(0, 1)], False)]),
    (TrueF(), 1, [([], [E], True), ([L(0)], [L(0, 1)], True)]),
    (R(p, q), 2, [([], [L(1)], True), ([L(1), L(0, 1)], [E], True), ([L(1)], [L(0)], False),
                  ([], [E], False)]),
]


@pytest.mark.parametrize("f,max_states,words", CLASSIC)
def test_classic(f, max_states, words):
    b = translate(f)
    assert len(b.states) <= max_states, b.dump()
    for stem, cycle, expected in words:
        assert evaluate(f, stem, cycle) == expected, (stem, cycle)
        assert b.accepts_lasso(stem, cycle) == expected, (stem, cycle, b.dump())
        assert translate(Not(f)).accepts_lasso(stem, cycle) == (not expected)


def test_gfp_shape():
    b = translate(G(F(p)))
    assert len(b.accepting) == 1
    assert b.initial == [0]
    # letters on edges: the first letter is read leaving the initial state
    assert not Buchi([0, 1], [0], [[((L(0), E), 1)], [((E, E), 1)]], []).accepts_lasso([], [E])
    assert Buchi([0, 1], [0], [[((L(0), E), 1)], [((E, E), 1)]], []).accepts_lasso([L(0)], [E])


def _small_words():
    letters = [L(), L(0), L(1), L(0, 1)]
    for stem in [[]] + [[a] for a in letters]:
        for cycle in [[a] for a in letters] + [[a, b] for a in letters for b in letters]:
            yield stem, cycle


@pytest.mark.parametrize("f", [p, Not(p), TrueF(), FalseF(), Not(TrueF())])
def test_leaves_on_all_small_words(f):
    b, nb = translate(f), translate(Not(f))
    for stem, cycle in _small_words():
        expected = evaluate(f, stem, cycle)
        assert b.accepts_lasso(stem, cycle) == expected
        assert nb.accepts_lasso(stem, cycle) == (not expected)


def test_ctl_rejected():
    with pytest.raises(ValueError):
        translate(AG(EF(p)))


def test_empty_cycle_rejected():
    with pytest.raises(ValueError):
        translate(p).accepts_lasso([L(0)], [])


def test_deterministic_across_hash_seeds():
    code = (
        "from protoverify.props.formula import *\n"
        "from protoverify.props.ltl import translate\n"
        "p, q, r = Atom(0), Atom(1), Atom(2)\n"
        "for f in [G(Implies(p, F(q))), Not(U(p, R(q, r))), And(G(F(p)), F(G(Or(q, Not(r)))))]:\n"
        "    print(translate(f).dump())\n"
    )
    outs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                capture_output=True, text=True).stdout)
    assert len(outs) == 1
