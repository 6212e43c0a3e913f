"""The benchmark's translation of a net into SNAKES builds the same state space.

``python -m bench`` runs SNAKES' StateGraph on nets translated from
protoverify's IR (the protocol and MCC nets); its speed ratios only mean
something if SNAKES explores the same net.  Checked here against
protoverify's explorer on nets using every construct the translation
handles: patterns, computed input terms, guards, read and inhibitor arcs,
computed multiplicities and `all` on input arcs.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from protoverify import explore, load_model, load_model_text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
snakes_oracle = pytest.importorskip("snakes_oracle")
BENCH = runpy.run_path(str(ROOT / "bench" / "__main__.py"), run_name="bench_under_test")


def _both(net):
    ours = explore(net)
    theirs = snakes_oracle.state_space(BENCH["_to_snakes"](net))
    return (ours.states, ours.edges, ours.dead_markings), theirs


@pytest.mark.parametrize("name", ["token_ring", "enums_products", "read_inhibit", "leader_election", "peterson",
                                  "assembly"])
def test_examples(name):
    ours, theirs = _both(load_model(ROOT / "models" / "examples" / f"{name}.cpn"))
    assert ours == theirs


def test_computed_multiplicities_and_all_on_input_arcs():
    net = load_model_text("""
model Needs
colset K = 0..2
place Count : K = 0
place Pool : K = all ++ 1 ++ 2
place Seen : K
place Done : Unit
transition step
  in Count : k
  in Pool : (k)'1
  guard k < 2
  out Count : k + 1
  out Seen : k
transition finish
  read Pool : all
  in Count : k
  out Done : unit
""")
    ours, theirs = _both(net)
    assert ours == theirs
    assert ours[0] >= 5  # step and finish both fire (no dead transition)


def test_mcc_pt_net():
    from protoverify.pnml import load_pnml
    ours, theirs = _both(load_pnml(ROOT / "bench" / "mcc" / "Philosophers-PT-000005.pnml"))
    assert ours == theirs == (243, 945, 2)
