"""State counts of the Model Checking Contest nets against published and derived figures.

The nets are the PNML files of ``bench/mcc`` (written by
``bench/mcc/generate.py``, a writer independent of protoverify's exporter) and
smaller instances of the same builders.  Oracles, all independent of the
explorer under test:

* the counts the contest publishes for its instances (``PUBLISHED``);
* closed forms implied by each structure (3^N for Philosophers,
  (N+2)*2^(N-1) for Dekker, 3^N+1 for Referendum) and Ciardo and Tilgner's
  table for Kanban;
* for TokenRing, a direct simulation of Dijkstra's algorithm in plain Python
  (no Petri net at all).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from protoverify import explore
from protoverify.pnml import load_pnml

ROOT = Path(__file__).resolve().parents[2]
MCC = ROOT / "bench" / "mcc"


def _generator():
    spec = importlib.util.spec_from_file_location("mcc_generate", MCC / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["mcc_generate"] = mod
    spec.loader.exec_module(mod)
    return mod


gen = _generator()


def _counts(path: Path):
    space = explore(load_pnml(path))
    assert space.complete
    return space.states, space.edges, space.dead_markings


def _counts_of(net, tmp_path: Path, name: str):
    path = tmp_path / f"{name}.pnml"
    path.write_text(gen.write_pt(net), encoding="utf-8")
    return _counts(path)


# instances cheap enough for the suite (Dekker-PT-010, Referendum-PT-0010 and the
# large ones run in `python -m bench`, which checks them against PUBLISHED too)
@pytest.mark.parametrize("stem", ["Philosophers-PT-000005", "TokenRing-PT-005", "SharedMemory-PT-000005"])
def test_published_states_and_arcs(stem):
    states, arcs, _source = gen.PUBLISHED[stem]
    got_states, got_edges, _ = _counts(MCC / f"{stem}.pnml")
    assert got_states == states
    assert got_edges == arcs


def test_coloured_philosophers_has_the_published_counts_of_the_pt_version():
    # the contest publishes the same counts for the P/T and coloured versions
    states, arcs, _ = gen.PUBLISHED["Philosophers-PT-000005"]
    assert _counts(MCC / "Philosophers-COL-000005.pnml")[:2] == (states, arcs)


def test_kanban_small_instance_matches_ciardo_tilgner():
    assert _counts(MCC / "Kanban-PT-0002.pnml")[0] == 4_600


@pytest.mark.parametrize("model,sizes", [
    ("philosophers", [2, 3, 4, 6]),
    ("dekker", [2, 3, 4, 5, 6]),
    ("referendum", [1, 2, 4, 6]),
    ("kanban", [1]),
])
def test_closed_forms(model, sizes, tmp_path):
    for n in sizes:
        states, _, dead = _counts_of(gen.BUILDERS[model](n), tmp_path, f"{model}{n}")
        assert states == gen.closed_form(model, n), (model, n)
        if model == "philosophers":
            assert dead == 2  # everybody holds his left fork, or everybody his right one
        if model == "referendum":
            assert dead == 2 ** n  # every way the vote can end


def _dijkstra_ring(n: int) -> tuple[int, int]:
    """States and transitions of Dijkstra's K-state ring (N+1 machines, K = N+1) from S(i) = i."""
    k = n + 1
    start = tuple(range(n + 1))
    seen = {start}
    todo = [start]
    edges = 0
    while todo:
        s = todo.pop()
        succ = []
        if s[0] == s[n]:
            succ.append(((s[0] + 1) % k,) + s[1:])
        for i in range(1, n + 1):
            if s[i] != s[i - 1]:
                succ.append(s[:i] + (s[i - 1],) + s[i + 1:])
        for t in succ:
            edges += 1
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return len(seen), edges


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_token_ring_against_a_direct_simulation(n, tmp_path):
    states, edges, dead = _counts_of(gen.token_ring(n), tmp_path, f"ring{n}")
    assert (states, edges) == _dijkstra_ring(n)
    assert dead == 0


def test_the_oracle_simulation_reproduces_the_published_counts():
    # the simulation is the oracle above: it must agree with the contest first
    assert _dijkstra_ring(5) == gen.PUBLISHED["TokenRing-PT-005"][:2]


def test_generated_files_are_up_to_date():
    for name, text in gen.files().items():
        assert (MCC / name).read_text(encoding="utf-8") == text, f"{name}: run python bench/mcc/generate.py"
