"""Symmetry reduction (``check --symmetry``): orbit counts by brute force, verdicts with and without it.

Cost: about 15 s of CPU (small instances; hypothesis examples capped).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

import protoverify
from protoverify.explore.reduce.explorer import explore_reduced
from protoverify.explore.reduce.run import check_reduced
from protoverify.explore.reduce.symmetry import Canonicaliser
from protoverify.explore.statespace import explore
from protoverify.loader import load_checked
from protoverify.props.check import check_all

sys.path.insert(0, str(Path(__file__).parent))
from reduce_nets import symmetric_nets  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "models" / "examples").glob("*.cpn"))

PAIRS = """
model Pairs
param N = 3
colset Node = 1..N symmetric
colset Pair = Node * Node
place Idle  : Node = all
place Ask   : Pair
place Linked: Pair
place Token : Unit = 2'unit
transition ask
  in Idle : a
  read Idle : b
  guard a != b
  out Ask : (a, b)
transition accept
  in Ask : (a, b)
  in Idle : b
  in Token : unit
  out Linked : (a, b)
transition refuse
  in Ask : (a, b)
  out Idle : a
transition unlink
  in Linked : (a, b)
  out Idle : a ++ b
  out Token : unit
"""


def _orbits(net, space) -> tuple[int, int]:
    """Orbits of the full state space and of its dead markings, by trying every permutation."""
    c = Canonicaliser(net)
    rep = {}
    for m in space.markings:
        if m not in rep:
            orbit = c.orbit(m)
            key = min(orbit)
            for x in orbit:
                rep[x] = key
    dead = {rep[space.markings[s]] for s in space.dead}
    return len(set(rep.values())), len(dead)


CASES = [
    ("mutex.cpn", {"N": 3}), ("mutex.cpn", {"N": 4}), ("read_inhibit.cpn", {"R": 3, "W": 2, "V": 2}),
    ("enums_products.cpn", {"C": 3}), (None, {"N": 3}), (None, {"N": 4}),
]


@pytest.mark.parametrize("name,params", CASES, ids=[f"{n or 'pairs'}-{p}" for n, p in CASES])
def test_reduced_states_are_the_orbits(name, params):
    net = (protoverify.load_model(ROOT / "models" / "examples" / name, params) if name
           else protoverify.load_model_text(PAIRS, params=params))
    full = explore(net, explorer="python")
    orbits, dead_orbits = _orbits(net, full)
    red = explore_reduced(net, symmetry=True, por=False)
    assert red.reductions == ("symmetry",)
    assert (red.states, red.dead_markings) == (orbits, dead_orbits)
    assert red.states < full.states
    assert red.bounds == full.bounds
    assert red.fired == full.fired


def test_fully_symmetric_factor_approaches_n_factorial():
    # mutex: |full| = 2^N + N 2^(N-1); orbits: (N+1) + N = 2N+1
    net = protoverify.load_model(ROOT / "models" / "examples" / "mutex.cpn", {"N": 5})
    red = explore_reduced(net, symmetry=True, por=False)
    assert red.states == 11


@pytest.mark.parametrize("model", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_verdicts_agree_on_every_example(model):
    props_file = ROOT / "properties" / "examples" / (model.stem + ".props")
    net, props = load_checked(model, None, [props_file] if props_file.exists() else [])
    full = explore(net, keep_successors=True, explorer="python")
    expected = [(r.name, r.verdict) for r in check_all(full, props)] if props else None
    for sym, por in ((True, False), (False, True), (True, True)):
        space, results, info, _ = check_reduced(net, props, symmetry=sym, por=por, explorer="python")
        assert space.dead_markings <= full.dead_markings
        assert bool(space.dead) == bool(full.dead)
        if props:
            assert [(r.name, r.verdict) for r in results] == expected, (model.stem, sym, por)
            # every counterexample or witness replays on the real model
            for r in results:
                if r.stem:
                    r_space = getattr(r, "space", None) or space
                    marking = net.initial_marking
                    for step in r.stem:
                        nxt = r_space.markings[step.target]
                        views = [dict(pl) for pl in marking]
                        from protoverify.explore.statespace import _compiled_for
                        t = _compiled_for(net)[step.transition.index]
                        assert any(t.fire(marking, views, env, rem) == nxt
                                   for env, rem in t.enabled(views) if env == step.env)
                        marking = nxt


def test_symmetric_paths_end_at_the_representative():
    net = protoverify.load_model_text(PAIRS, params={"N": 3})
    red = explore_reduced(net, symmetry=True, por=False)
    for s in range(red.states):
        path = red.path_to(s)
        assert (path[-1].target if path else 0) == s


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(symmetric_nets())
def test_generated_nets_dead_orbits(text):
    net = protoverify.load_model_text(text)
    full = explore(net, max_states=3000, explorer="python")
    assume(full.complete)
    orbits, dead_orbits = _orbits(net, full)
    red = explore_reduced(net, symmetry=True, por=False)
    assert (red.states, red.dead_markings) == (orbits, dead_orbits)
    both = explore_reduced(net, symmetry=True, por=True)
    c = Canonicaliser(net)
    assert {c.canonical(both.markings[s])[0] for s in both.dead} == \
        {c.canonical(full.markings[s])[0] for s in full.dead}


def test_unsymmetric_property_is_checked_without_symmetry():
    net, props = load_checked(ROOT / "models" / "examples" / "mutex.cpn", None,
                              [ROOT / "properties" / "examples" / "mutex.props"])
    _, results, info, _ = check_reduced(net, props, symmetry=True, por=False)
    names = {u["name"] for u in info["unreduced_properties"]}
    assert "no_starvation" in names and "mutual_exclusion" not in names
    assert info["applied"] == ["symmetry"] and info["full_states"] == 20 and info["factor"] == round(20 / 7, 2)


def test_canonical_is_orbit_invariant_exhaustively():
    net = protoverify.load_model_text(PAIRS, params={"N": 3})
    full = explore(net, explorer="python")
    c = Canonicaliser(net)
    for m in full.markings[:200]:
        reps = {c.canonical(x)[0] for x in c.orbit(m)}
        assert len(reps) == 1
        rep, perms = c.canonical(m)
        assert c.apply(m, perms) == rep


