"""PNML round trips: the state space survives export and import.

* every example model: export as a symmetric net where expressible (and the
  others are refused, naming the construct), and unfolded to a P/T net
  always; import the file and compare states, edges and dead markings with
  the original model's;
* the MCC nets of ``bench/mcc``: import, export, import again: same counts,
  and the second export is byte-identical to the first (a fixpoint);
* export is deterministic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from protoverify import explore, load_model
from protoverify.errors import ModelError
from protoverify.pnml import export_pnml, load_pnml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "models" / "examples").glob("*.cpn"))
SYMMETRIC = {"assembly", "mutex", "producer_consumer"}  # the examples without functions, arithmetic, inhibitors


def _counts(net):
    s = explore(net)
    assert s.complete
    return s.states, s.edges, s.dead_markings


def _reimport(text: str, tmp_path: Path, name: str = "net"):
    path = tmp_path / f"{name}.pnml"
    path.write_text(text, encoding="utf-8")
    return load_pnml(path)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_round_trip(path, tmp_path):
    net = load_model(path)
    want = _counts(net)
    unfolded = export_pnml(net, unfold=True)
    assert 'type="http://www.pnml.org/version-2009/grammar/ptnet"' in unfolded
    assert _counts(_reimport(unfolded, tmp_path, "unfolded")) == want
    if path.stem in SYMMETRIC:
        text = export_pnml(net)
        assert "symmetricnet" in text
        assert _counts(_reimport(text, tmp_path, "sym")) == want
    else:
        with pytest.raises(ModelError) as info:
            export_pnml(net)
        d = info.value.first
        assert d.code == "PV808"
        assert d.file == str(path) and d.line > 1
        assert "cannot be written as a symmetric net" in d.message
        assert "--unfold" in d.hint


def test_examples_with_other_parameters_round_trip(tmp_path):
    for name, params in (("philosophers", {"N": 3}), ("token_ring", {"N": 3}), ("mutex", {"N": 4}),
                         ("leader_election", {"N": 4})):
        net = load_model(ROOT / "models" / "examples" / f"{name}.cpn", params)
        assert _counts(_reimport(export_pnml(net, unfold=True), tmp_path, name)) == _counts(net), name


MCC_FILES = ["Philosophers-PT-000005", "TokenRing-PT-005", "SharedMemory-PT-000005", "Kanban-PT-0002",
             "Philosophers-COL-000005"]


@pytest.mark.parametrize("stem", MCC_FILES)
def test_mcc_import_export_import(stem, tmp_path):
    first = load_pnml(ROOT / "bench" / "mcc" / f"{stem}.pnml")
    text = export_pnml(first)
    assert ("symmetricnet" in text) == ("COL" in stem)
    second = _reimport(text, tmp_path, "second")
    assert _counts(second) == _counts(first)
    assert export_pnml(second) == text  # export . import is the identity on exported files


def test_successor_functions_become_successor(tmp_path):
    text = export_pnml(load_pnml(ROOT / "bench" / "mcc" / "Philosophers-COL-000005.pnml"))
    assert "<cyclicenumeration>" in text and "<successor>" in text


def test_export_is_deterministic():
    net = load_model(ROOT / "models" / "examples" / "enums_products.cpn")
    assert export_pnml(net, unfold=True) == export_pnml(load_model(ROOT / "models" / "examples" /
                                                                    "enums_products.cpn"), unfold=True)


def test_unfolding_leaves_out_bindings_that_cannot_be_evaluated(tmp_path):
    # `n + 1` leaves Lvl at n = 2: that binding is never enabled (the guard of the
    # model is what keeps it unreachable), so the unfolded net is still equivalent
    text = """model Counter
colset Lvl = 0..2
place C : Lvl = 0
place Stop : Unit
transition inc
  in C : n
  out C : n + 1
transition halt
  in C : n
  guard n == 2
  out Stop : unit
"""
    p = tmp_path / "counter.cpn"
    p.write_text(text)
    from protoverify.errors import ModelRuntimeError
    with pytest.raises(ModelRuntimeError):
        explore(load_model(p))  # the model itself is wrong when inc fires at 2
    warnings: list[str] = []
    export_pnml(load_model(p), unfold=True, warnings=warnings)
    assert len(warnings) == 1 and "1 binding(s)" in warnings[0] and "inc" in warnings[0]
