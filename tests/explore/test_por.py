"""Partial-order reduction (``check --por``): dead markings and safety verdicts with and without it.

Cost: about 15 s of CPU (hypothesis examples capped, small nets).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import protoverify
from protoverify.explore.reduce.explorer import explore_reduced
from protoverify.explore.reduce.run import check_reduced
from protoverify.explore.statespace import explore
from protoverify.loader import load_checked
from protoverify.props.check import check_all

sys.path.insert(0, str(Path(__file__).parent))
from reduce_nets import symmetric_nets  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PHILOSOPHERS = ROOT / "models" / "examples" / "philosophers.cpn"


def _dead(space) -> set:
    return {space.markings[s] for s in space.dead}


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_philosophers_dead_markings(n):
    net = protoverify.load_model(PHILOSOPHERS, {"N": n})
    full = explore(net, explorer="python")
    red = explore_reduced(net, symmetry=False, por=True)
    assert red.reductions == ("por",)
    assert _dead(red) == _dead(full)
    assert set(red.markings) <= set(full.markings)
    if n >= 4:
        assert red.states < full.states


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(symmetric_nets(symmetric=False))
def test_generated_nets_same_dead_markings(text):
    net = protoverify.load_model_text(text)
    full = explore(net, max_states=3000, explorer="python")
    assume(full.complete)
    red = explore_reduced(net, symmetry=False, por=True)
    assert _dead(red) == _dead(full)
    assert set(red.markings) <= set(full.markings)
    for s in red.dead[:3]:  # the paths are real firings
        marking = net.initial_marking
        for step in red.path_to(s):
            marking = red.markings[step.target]
        assert marking == red.markings[s]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(symmetric_nets(symmetric=False), st.integers(0, 3), st.integers(0, 2), st.booleans())
def test_generated_nets_same_safety_verdicts(tmp_path_factory, text, place, bound, reach):
    net = protoverify.load_model_text(text)
    assume(place < len(net.places))
    full = explore(net, max_states=3000, explorer="python", keep_successors=True)
    assume(full.complete)
    d = tmp_path_factory.mktemp("por")
    (d / "m.cpn").write_text(text)
    name = net.places[place].name
    kind = "reachable" if reach else "invariant"
    (d / "m.props").write_text(f'properties for "m.cpn"\n{kind} p: count({name}) <= {bound}\n'
                               f"bound {name} <= {bound + 1}\n")
    net, props = load_checked(d / "m.cpn", None, [d / "m.props"])
    full = explore(net, max_states=3000, explorer="python", keep_successors=True)
    expected = [(r.name, r.verdict) for r in check_all(full, props)]
    for sym in (False, True):
        _, results, info, _ = check_reduced(net, props, symmetry=sym, por=True, explorer="python")
        assert [(r.name, r.verdict) for r in results] == expected
        assert info["unreduced_properties"] == []


def test_not_preserved_properties_fall_back():
    net, props = load_checked(ROOT / "models" / "examples" / "mutex.cpn", None,
                              [ROOT / "properties" / "examples" / "mutex.props"])
    space, results, info, full = check_reduced(net, props, symmetry=False, por=True)
    fallback = {u["name"] for u in info["unreduced_properties"]}
    assert fallback == {"at_rest", "enter for p in Proc", "no_starvation", "released", "p1_served"}
    assert info["por_mode"] == "safety" and full is not None
    assert all("checked without reductions (--por" in r.note for r in results if r.name in fallback)


def test_cli_reports_the_reductions(tmp_path):
    from click.testing import CliRunner

    from protoverify.cli import main
    res = CliRunner().invoke(main, ["check", str(ROOT / "models" / "examples" / "mutex.cpn"), "--symmetry",
                                    "--por", "--json", "-q"])
    assert res.exit_code == 0, res.output
    import json
    report = json.loads(res.output)
    assert report["reductions"]["applied"] == ["symmetry", "por"]
    assert report["dead_markings"] == 0
    res = CliRunner().invoke(main, ["check", str(PHILOSOPHERS), "--por", "-q"])
    assert res.exit_code == 1 and "reductions: partial order" in res.output
    res = CliRunner().invoke(main, ["check", str(PHILOSOPHERS), "--symmetry", "-q"])
    assert "reductions: none applied" in res.output and "no `symmetric` colour set" in res.output
    res = CliRunner().invoke(main, ["check", str(PHILOSOPHERS), "--por", "--compact", "-q"])
    assert res.exit_code == 2


def test_reduced_reports_are_deterministic():
    import json
    import os
    import subprocess
    outs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run([sys.executable, "-m", "protoverify", "check", "-q", "--json", "--symmetry", "--por",
                              str(ROOT / "models" / "examples" / "mutex.cpn"), "-D", "N=4", "--props",
                              str(ROOT / "properties" / "examples" / "mutex.props")],
                             capture_output=True, text=True, env=env)
        report = json.loads(res.stdout)
        report.pop("stats")
        outs.append(report)
    assert outs[0] == outs[1]
    assert outs[0]["reductions"]["factor"] == round(48 / 9, 2)
