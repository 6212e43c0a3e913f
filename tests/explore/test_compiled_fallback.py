"""When the compiled explorer cannot (or must not) do the work, and its edge cases.

- nets it cannot unfold (a place of type ``int``, colour sets too large) are
  explored by the Python explorer, which says why in ``space.fallback``;
- a build without the extension (``PROTOVERIFY_NO_EXT=1``) explores in Python
  and prints the same report;
- run-time errors at every stage of a firing are reported exactly as the
  Python explorer reports them;
- token counts that outgrow their packed counters (widening);
- hash compaction gives the same state space as exact storage on nets small
  enough to check, with the probability of a miss reported.

Oracle: the Python explorer, and a few counts worked out by hand.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from snapshots import same_outcome, snapshot  # noqa: E402

from protoverify import ModelRuntimeError, explore, load_model, load_model_text  # noqa: E402
from protoverify.explore.compiled import extension_available, missed_state_probability  # noqa: E402
from protoverify.net import ir  # noqa: E402
from protoverify.net.colours import INT  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
needs_ext = pytest.mark.skipif(not extension_available(), reason="the compiled extension is not built")


def _with_int_place(net: ir.Net, name: str) -> ir.Net:
    """The same net with place ``name`` retyped ``int`` (the language forbids it; the IR does not)."""
    old = net.place(name)
    new = dataclasses.replace(old, colset=INT)
    places = tuple(new if p is old else p for p in net.places)
    transitions = tuple(
        dataclasses.replace(t, arcs=tuple(dataclasses.replace(a, place=new) if a.place is old else a
                                          for a in t.arcs))
        for t in net.transitions)
    return dataclasses.replace(net, places=places, transitions=transitions)


COUNTER = """
model Counter
colset C = 0..5
place P : C = 0
place Done : C
transition inc in P : k out P : k + 1 guard k < 5
transition stop in P : k out Done : k guard k == 5
"""


def test_int_place_falls_back_to_python():
    net = _with_int_place(load_model_text(COUNTER), "P")
    spaces = same_outcome(net, ("python", "compiled"))
    space = spaces["compiled"]
    assert space.explorer == "python"
    assert "`P` is not of a finite colour set" in space.fallback or not extension_available()
    assert (space.states, space.edges, space.dead_markings) == (7, 6, 1)


def test_too_many_counters_fall_back():
    net = load_model_text("""
        model Big
        colset C = 0..2000000
        place P : C = 0
        transition inc in P : k out P : k + 1 guard k < 2000000
    """)
    space = explore(net, explorer="compiled", max_states=30)
    assert space.explorer == "python" and space.fallback
    assert space.states == 30 and not space.complete
    # auto does not even try the compiled explorer on a net this wide
    space = explore(net, max_states=30)
    assert space.explorer == "python"


def test_unknown_explorer_is_refused():
    with pytest.raises(ValueError, match="unknown explorer"):
        explore(load_model_text(COUNTER), explorer="fast")


def test_without_the_extension_same_report(tmp_path):
    """PROTOVERIFY_NO_EXT=1: auto and compiled explore in Python, the report is unchanged."""
    model = str(ROOT / "models" / "examples" / "philosophers.cpn")
    outs = {}
    for env_extra in ({}, {"PROTOVERIFY_NO_EXT": "1"}):
        env = dict(os.environ, **env_extra)
        for explorer in ("auto", "compiled"):
            proc = subprocess.run([sys.executable, "-m", "protoverify", "check", model, "-D", "N=4", "--json",
                                   "--explorer", explorer], capture_output=True, text=True, env=env, cwd=tmp_path)
            assert proc.returncode == 1, proc.stderr      # philosophers deadlock
            report = json.loads(proc.stdout)
            stats = report.pop("stats")
            outs[(bool(env_extra), explorer)] = (report, stats)
    reports = {json.dumps(r, sort_keys=True) for r, _ in outs.values()}
    assert len(reports) == 1
    assert outs[(True, "auto")][1]["explorer"] == "python"
    assert outs[(True, "compiled")][1]["fallback"] == "the compiled extension is not built"
    if extension_available():
        assert outs[(False, "auto")][1]["explorer"] == "compiled"


# --------------------------------------------------------- run-time errors
ERRORS = {
    "output leaves its colour set": """
        model E colset C = 0..3 place P : C = 0
        transition inc in P : k out P : k + 1""",
    "division by zero in an output, after a few states": """
        model E colset C = 0..3 place P : C = 3 place Q : C
        transition dec in P : k out P : k - 1 guard k > 0
        transition div in P : k out Q : 3 / k""",
    "division by zero in a guard": """
        model E colset C = 0..3 place P : C = 2
        transition dec in P : k out P : k - 1 guard k > 0
        transition g in P : k out P : k guard 6 / k > 100""",
    "a guard without variables": """
        model E param Z = 0 colset C = 0..3 place P : C = 2
        transition g in P : k out P : k guard 1 / Z == 0""",
    "an input expression": """
        model E colset C = 0..3 place P : C = 2 place Q : C = all
        transition dec in P : k out P : k - 1 guard k > 0
        transition t in P : k in Q : 3 / k out Q : k""",
    "a read arc": """
        model E colset C = 0..3 place P : C = 2 place Q : C = all
        transition dec in P : k out P : k - 1 guard k > 0
        transition t in P : k read Q : if 3 / k > 0 then 1 else 2 out P : k""",
    "an inhibitor arc": """
        model E colset C = 0..3 place P : C = 2 place Q : C
        transition dec in P : k out P : k - 1 guard k > 0
        transition t in P : k inhibit Q : 3 % k out P : k""",
    "a negative multiplicity": """
        model E colset C = 0..3 place P : C = 2 place Q : C
        transition dec in P : k out P : k - 1 guard k > 0
        transition t in P : k out Q : (k - 1)'k out P : k""",
    "an error never reached (the guard protects it)": """
        model E colset C = 0..3 place P : C = 0
        transition inc in P : k out P : k + 1 guard k < 3""",
    "an error never reached (no such token)": """
        model E colset C = 0..3 place P : C = 1 place Q : C
        transition t in P : k in Q : j out P : 3 / j""",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_run_time_errors_are_reported_identically(name):
    net = load_model_text(ERRORS[name])
    for limit in (None, 2, 3):
        same_outcome(net, ("python", "compiled", "compiled-py"), max_states=limit)
        same_outcome(net, ("python", "compiled"), max_states=limit, keep_successors=True)


def test_run_time_error_fields():
    net = load_model_text(ERRORS["division by zero in an output, after a few states"])
    with pytest.raises(ModelRuntimeError) as info:
        explore(net, explorer="compiled")
    err = info.value
    assert "division by zero" in err.message
    assert err.transition == "div" and err.binding == {"k": "0"}
    assert err.marking == "P: 0"


# --------------------------------------------------------- wide counters
def test_counts_outgrowing_their_counters():
    """Counts up to 9,000 in one place: the packed counters are widened several times."""
    net = load_model_text("""
        model Grow
        colset C = 1..3
        place Src : Unit = unit
        place Heap : C = 1
        transition make in Src : unit out Src : unit out Heap : 3'1 ++ 2
        transition take in Heap : 2'x inhibit Heap : 3 out Heap : 3
    """)
    spaces = same_outcome(net, ("python", "compiled", "compiled-py"), max_states=3000, keep_successors=True)
    if extension_available():
        core = spaces["compiled"].core
        assert max(core.widths) >= 12
        assert core.stats()["widenings"] >= 3
    assert spaces["python"].bound_of("Heap") > 4000


# --------------------------------------------------------- hash compaction
@needs_ext
@pytest.mark.parametrize("path,params", [
    ("models/examples/philosophers.cpn", {"N": 6}),
    ("models/examples/leader_election.cpn", {"N": 4}),
    ("models/bonjourgrid.cpn", {}),
])
def test_compaction_finds_the_same_state_space(path, params):
    net = load_model(str(ROOT / path), params)
    exact = explore(net, explorer="compiled")
    compact = explore(net, explorer="compiled", compact=True)
    assert compact.compact and not exact.compact
    a, b = snapshot(exact), snapshot(compact)
    assert a == b
    p = compact.missed_state_probability
    assert 0 < p < 1e-9
    assert p == missed_state_probability(compact.states)


@needs_ext
def test_compaction_replays_markings_behind_the_frontier():
    """Past the frontier a compacted state's marking is rebuilt by replaying its path."""
    net = load_model(str(ROOT / "models" / "examples" / "philosophers.cpn"), {"N": 11})
    exact = explore(net, explorer="compiled")
    compact = explore(net, explorer="compiled", compact=True)
    assert compact.core.stats()["records_kept"] < compact.states    # chunks behind the frontier dropped
    for s in list(range(0, exact.states, 997)) + exact.dead:
        assert compact.markings[s] == exact.markings[s]
    assert [(st.transition.name, st.env) for st in compact.path_to(exact.dead[1])] == \
        [(st.transition.name, st.env) for st in exact.path_to(exact.dead[1])]
    assert compact.bytes_per_state() < 48


def test_compaction_keeps_no_graph():
    with pytest.raises(ValueError, match="does not keep the state graph"):
        explore(load_model_text(COUNTER), compact=True, keep_successors=True)


def test_missed_state_probability_is_the_birthday_bound():
    assert missed_state_probability(1) == 0
    assert missed_state_probability(2 ** 32) == pytest.approx(1 - 2.718281828 ** -0.5, rel=1e-6)
    assert missed_state_probability(10 ** 8) == pytest.approx(10 ** 16 / 2 ** 65, rel=1e-3)
