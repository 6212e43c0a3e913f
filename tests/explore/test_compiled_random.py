"""Hypothesis nets: the compiled explorer against the Python one.

Two generators.  ``random_nets`` (from ``tests/test_random_nets_oracle.py``,
the SNAKES oracle's generator: patterns, tuples, multiplicities, guards, read
and inhibitor arcs, input expressions) gives well-behaved nets.
``failing_nets`` below gives nets whose expressions can fail at run time
(division and modulo by zero, values leaving their colour set, negative
multiplicities) on input patterns, guards, read, inhibitor and output arcs,
and nets whose token counts grow (counters widened during the search).

Oracle: the Python explorer.  Either both raise the same
``ModelRuntimeError`` (message, transition, binding, marking, location,
rendered text) or both build the same state space (``snapshots.py``), also
when ``max_states`` cuts the search short.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))

from snapshots import same_outcome  # noqa: E402

from protoverify import load_model_text  # noqa: E402

SETTINGS = settings(max_examples=35, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
EXPLORERS = ("python", "compiled", "compiled-py")


# ----------------------------------------------------- the oracle's nets
@pytest.mark.parametrize("limit", [2000, 9])
def test_oracle_generator_nets(limit):
    pytest.importorskip("snakes")
    from test_random_nets_oracle import random_nets, to_text

    @SETTINGS
    @given(random_nets())
    def run(rnet):
        text = to_text(rnet)
        note(text)
        same_outcome(load_model_text(text), EXPLORERS, max_states=limit, keep_successors=True)
    run()


# ---------------------------------------------------- nets that can fail
DECLS = """model Failing
colset C = 0..3
colset D = 1..2
colset CD = C * D
"""
C_EXPRS = ["x", "x + 1", "x - 1", "3 - x", "6 / x", "x % 3", "(x + y) % 4", "y / (x - 1)", "x * y",
           "if x < 3 then x + 1 else 0"]
GUARDS = ["x < 3", "x != y", "6 / x > 1", "x / (y - 1) == 0", "x % (y + 1) == 1", "x + y <= 3"]
COEFS = ["1", "2", "(x - 1)", "(y - x)", "(x % 2)"]


@st.composite
def failing_nets(draw):
    nplaces = draw(st.integers(2, 3))
    lines = [DECLS]
    types = []
    for i in range(nplaces):
        cs = draw(st.sampled_from(["C", "C", "CD"]))
        types.append(cs)
        if cs == "C":
            init = draw(st.sampled_from(["", " = 0", " = 1 ++ 2", " = all", " = 2'3", " = 0 ++ 3"]))
        else:
            init = draw(st.sampled_from(["", " = (0, 1)", " = (1, 2) ++ (3, 1)", " = all"]))
        lines.append(f"place p{i} : {cs}{init}")
    c_places = [i for i, t in enumerate(types) if t == "C"]
    cd_places = [i for i, t in enumerate(types) if t == "CD"]
    if not c_places:
        c_places = [0]
        types[0] = "C"
        lines[1] = "place p0 : C = 0 ++ 1"
    for j in range(draw(st.integers(1, 3))):
        t = [f"transition t{j}"]
        # x always bound by an input (or read) pattern on a C place
        first = draw(st.sampled_from(c_places))
        t.append(f"  {draw(st.sampled_from(['in', 'in', 'read']))} p{first} : x")
        have_y = draw(st.booleans())
        if have_y:
            if cd_places and draw(st.booleans()):
                t.append(f"  in p{draw(st.sampled_from(cd_places))} : (y, {draw(st.sampled_from(['1', '2', 'z']))})")
            else:
                t.append(f"  in p{draw(st.sampled_from(c_places))} : y")
        exprs = [e for e in C_EXPRS if have_y or "y" not in e]
        if draw(st.integers(0, 3)) == 0:   # an input expression (matched once x is bound)
            t.append(f"  in p{draw(st.sampled_from(c_places))} : {draw(st.sampled_from(exprs))}")
        if draw(st.integers(0, 3)) == 0:
            t.append(f"  read p{draw(st.sampled_from(c_places))} : {draw(st.sampled_from(exprs))}")
        if draw(st.integers(0, 3)) == 0:
            t.append(f"  inhibit p{draw(st.sampled_from(c_places))} : {draw(st.sampled_from(exprs))}")
        guards = [g for g in GUARDS if have_y or "y" not in g]
        if draw(st.booleans()):
            t.append(f"  guard {draw(st.sampled_from(guards))}")
        for _ in range(draw(st.integers(0, 3))):
            p = draw(st.integers(0, nplaces - 1))
            coefs = [c for c in COEFS if have_y or "y" not in c]
            coef = draw(st.sampled_from(coefs))
            value = draw(st.sampled_from(exprs))
            if types[p] == "CD":
                value = f"({value}, {draw(st.sampled_from(['1', '2']))})"
            t.append(f"  out p{p} : {coef}'({value})" if coef != "1" else f"  out p{p} : {value}")
        lines.extend(t)
    return "\n".join(lines) + "\n"


PADDING = "place pad : C\n" + "".join(f"transition pad{i} in pad : x out pad : x\n" for i in range(17))


@pytest.mark.parametrize("limit,padded", [(3000, False), (12, False), (3000, True)])
def test_failing_nets(limit, padded):
    """``padded``: 17 transitions that never fire come first (the C core then looks
    only at transitions whose trigger place is marked)."""
    @SETTINGS
    @given(failing_nets())
    def run(text):
        if padded:
            head, sep, rest = text.partition("transition ")
            text = head + PADDING + sep + rest
        note(text)
        try:
            net = load_model_text(text)
        except Exception as err:  # an ill-typed draw (e.g. z unbound): not our subject
            from protoverify.errors import InputError
            if isinstance(err, InputError):
                return
            raise
        same_outcome(net, EXPLORERS, max_states=limit, keep_successors=limit < 100)
    run()


def test_failing_nets_find_errors_and_spaces():
    """The generator is not vacuous: it yields both outcomes."""
    seen = set()

    @settings(max_examples=80, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(failing_nets())
    def run(text):
        from protoverify import ModelRuntimeError, explore
        from protoverify.errors import InputError
        try:
            net = load_model_text(text)
        except InputError:
            return
        try:
            explore(net, explorer="python", max_states=300)
            seen.add("space")
        except ModelRuntimeError:
            seen.add("error")
    run()
    assert seen == {"space", "error"}
