"""The example models against an independent oracle.

Each case loads ``models/examples/<model>.cpn`` with protoverify, explores
its full state space and compares (states, edges, dead markings) with the
same net built by hand in SNAKES (``tests/snakes_oracle.py``).  Cases whose
SNAKES side takes more than ~2 s are marked ``slow``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "models" / "examples"
sys.path.insert(0, str(Path(__file__).parent))

from snakes_oracle import BUILDERS, DEFAULTS, oracle  # noqa: E402

from protoverify import explore, load_model  # noqa: E402

slow = pytest.mark.slow

# (model, params) -- params are overrides of the .cpn defaults
CASES = [
    ("philosophers", {"N": 2}),
    ("philosophers", {"N": 3}),
    ("philosophers", {"N": 4}),
    ("philosophers", {"N": 5}),
    ("philosophers", {"N": 6}),
    ("philosophers_fixed", {"N": 2}),
    ("philosophers_fixed", {"N": 3}),
    ("philosophers_fixed", {"N": 4}),
    ("philosophers_fixed", {"N": 6}),
    ("philosophers_fixed", {"N": 7}),
    ("producer_consumer", {"CAP": 1, "V": 1}),
    ("producer_consumer", {"CAP": 2, "V": 2}),
    ("producer_consumer", {"CAP": 3, "V": 3}),
    ("producer_consumer", {"CAP": 4, "V": 3}),
    ("mutex", {"N": 1}),
    ("mutex", {"N": 2}),
    ("mutex", {"N": 4}),
    ("mutex", {"N": 6}),
    ("peterson", {}),
    ("token_ring", {"N": 2}),
    ("token_ring", {"N": 3}),
    ("token_ring", {"N": 5}),
    ("token_ring", {"N": 6}),
    ("leader_election", {"N": 2}),
    ("leader_election", {"N": 3}),
    ("leader_election", {"N": 4}),
    pytest.param("leader_election", {"N": 5}, marks=slow),     # 2520 states
    ("read_inhibit", {"R": 1, "W": 1, "V": 2}),
    ("read_inhibit", {"R": 2, "W": 1, "V": 2}),
    ("read_inhibit", {"R": 2, "W": 2, "V": 3}),
    ("read_inhibit", {"R": 4, "W": 3, "V": 3}),
    ("enums_products", {"C": 1}),
    ("enums_products", {"C": 2}),
    ("enums_products", {"C": 3}),
    ("assembly", {"P": 0}),
    ("assembly", {"P": 1}),
    ("assembly", {"P": 2}),
    ("assembly", {"P": 5}),
    ("assembly", {"P": 8}),
]


def _id(case) -> str:
    model, params = case
    return model + "".join("-%s=%s" % kv for kv in sorted(params.items()))


def _case_ids():
    return [_id(c.values if hasattr(c, "values") else c) for c in CASES]


def _counts(model: str, params: dict) -> tuple:
    net = load_model(str(EXAMPLES / (model + ".cpn")), params=dict(params))
    space = explore(net)
    assert space.complete, "%s %s: exploration incomplete" % (model, params)
    return space.states, space.edges, space.dead_markings


@pytest.mark.parametrize("model,params", CASES, ids=_case_ids())
def test_example_matches_snakes(model, params):
    expected = oracle(model, **params)
    got = _counts(model, params)
    assert got == expected, (
        "%s %s: protoverify (states, edges, dead) = %s, SNAKES = %s"
        % (model, params, got, expected))


@pytest.mark.parametrize("model", sorted(BUILDERS))
def test_example_defaults_match_snakes(model):
    """No overrides: also checks the .cpn defaults agree with the builder's."""
    path = EXAMPLES / (model + ".cpn")
    space = explore(load_model(str(path)))
    assert space.complete
    got = (space.states, space.edges, space.dead_markings)
    assert got == oracle(model), "%s with default params %s" % (model, DEFAULTS[model])


def test_every_example_has_an_oracle():
    stems = {p.stem for p in EXAMPLES.glob("*.cpn")}
    assert len(stems) >= 8
    assert stems == set(BUILDERS), "examples without SNAKES builder: %s" % (
        stems - set(BUILDERS))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.cpn")), ids=lambda p: p.name)
def test_example_has_header_comment(path):
    text = path.read_text()
    assert text.lstrip().startswith(("/*", "//")), "%s lacks its header comment" % path.name
    assert "State space" in text and "Params" in text


# ------------------------------------------------------------ published oracle
#
# MCC Philosophers-PT-N: 3^N reachable markings, N=5: 243 states, 945 arcs.

@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_philosophers_mcc_state_count(n):
    space = explore(load_model(str(EXAMPLES / "philosophers.cpn"), params={"N": n}))
    assert space.complete
    assert space.states == 3 ** n
    assert space.dead_markings == 2          # all hold their left / right fork


def test_philosophers_mcc_n5_edges():
    space = explore(load_model(str(EXAMPLES / "philosophers.cpn"), params={"N": 5}))
    assert (space.states, space.edges) == (243, 945)


def test_snakes_oracle_agrees_with_mcc():
    """The oracle itself reproduces the published figures."""
    assert oracle("philosophers", N=5) == (243, 945, 2)
    for n in (2, 3, 4):
        assert oracle("philosophers", N=n)[0] == 3 ** n
