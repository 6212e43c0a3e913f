"""Mutants of the protocol models must be rejected, with counterexamples that replay.

Every ``models/mutants/*.cpn`` is a copy of a protocol model (BonjourGrid,
PastryGrid) with one deliberate protocol mistake; its header comment says what
is wrong and which property catches it.  For each mutant listed in
``EXPECTED``, ``protoverify check FILE --json -q`` (run as a user would, at the
mutant's own default parameters, or without crashes where ``DEFINES`` says
so) must

* exit 1,
* report the expected property as failing, with a counterexample,
* and that counterexample must replay on the mutant's state space, built with
  protoverify's API: every step names a transition of the model, and from the
  initial marking each step (transition name + binding) is one of the current
  marking's successors.  A lasso's cycle must come back to where it started;
  an invariant's counterexample must end in a marking that violates it; a
  deadlock counterexample must end in a dead marking.

A mutant file without an entry in ``EXPECTED`` is skipped with a message, so
that a mutant can land before its expectation.  The unmutated model must
check clean (exit 0).  The PastryGrid mutants are held to more (a replay with
the firing rules and a hand-written judge of the last marking) in
``tests/test_pastrygrid_model.py``; this file only checks that they are
covered there.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from protoverify import explore
from protoverify.loader import load_checked
from protoverify.net.show import binding_to_json
from protoverify.props.model import StateContext

pytestmark = pytest.mark.slow  # a few seconds per model

ROOT = Path(__file__).resolve().parent.parent
MUTANTS_DIR = ROOT / "models" / "mutants"

# file stem -> the property its counterexample is checked for (each header says why)
EXPECTED = {
    "bonjourgrid_second_request": "B2_exclusive",  # a reserved worker accepts again: Worker and Replica at once
    "bonjourgrid_unconfirmed_count": "B3_confirmed_only",  # counted at request time, before confirmation
    "bonjourgrid_no_status_flag": "deadlock",  # B4: after a crash the replica goes home, nobody reports the app
    "bonjourgrid_double_takeover": "B7_one_coordinator",  # two replicas take over (defaults K = 2)
}

# mutants whose bug needs no fault are checked without crashes (-D): the same
# rejection, a state space tens of times smaller (the test suite's budget)
DEFINES = {
    "bonjourgrid_second_request": ("CRASH=0",),
    "bonjourgrid_unconfirmed_count": ("CRASH=0",),
}

CLEAN_MODELS = ["models/bonjourgrid.cpn"]

# models whose mutants another test file owns (with stronger, model-specific checks)
OWNED_ELSEWHERE = {"pastrygrid_": "tests/test_pastrygrid_model.py"}

MUTANT_FILES = sorted(p for p in MUTANTS_DIR.glob("*.cpn") if not p.stem.startswith(tuple(OWNED_ELSEWHERE)))


def _run_check(path: Path) -> subprocess.CompletedProcess:
    defines = [a for d in DEFINES.get(path.stem, ()) for a in ("-D", d)]
    return subprocess.run([sys.executable, "-m", "protoverify", "check", str(path), *defines, "--json", "-q"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


@functools.lru_cache(maxsize=None)
def _checked(path: Path) -> tuple[int, dict, str]:
    proc = _run_check(path)
    assert "Traceback" not in proc.stderr, proc.stderr
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = {}
    return proc.returncode, report, proc.stderr


def _expected(path: Path) -> str:
    name = EXPECTED.get(path.stem)
    if name is None:
        pytest.skip(f"{path.relative_to(ROOT)}: no expected failing property for mutant `{path.stem}`; "
                    f"add it to EXPECTED in tests/test_mutants.py")
    return name


def _failing(path: Path) -> dict:
    """The expected property's result in the mutant's JSON report, after checking it failed."""
    expected = _expected(path)
    code, report, stderr = _checked(path)
    assert code == 1, f"{path.name}: exit {code}, expected 1 (rejected)\n{stderr}"
    results = {r["name"]: r for r in report["properties"]}
    assert expected in results, f"{path.name}: no property `{expected}`; the properties are {sorted(results)}"
    failing = sorted(n for n, r in results.items() if r["verdict"] == "fails")
    assert results[expected]["verdict"] == "fails", \
        f"{path.name}: `{expected}` is {results[expected]['verdict']}; failing: {failing}"
    assert "counterexample" in results[expected], f"{path.name}: `{expected}` fails without a counterexample"
    return results[expected]


def test_every_expectation_has_its_mutant():
    present = {p.stem for p in MUTANT_FILES}
    missing = sorted(set(EXPECTED) - present)
    assert not missing, f"EXPECTED names mutants that are not in models/mutants/: {missing}"


def test_mutants_owned_elsewhere_are_tested_there():
    for prefix, owner in OWNED_ELSEWHERE.items():
        text = (ROOT / owner).read_text()
        for path in sorted(MUTANTS_DIR.glob(prefix + "*.cpn")):
            assert f'"{path.stem}"' in text, f"{path.name} is not tested in {owner}"


@pytest.mark.parametrize("path", MUTANT_FILES, ids=[p.stem for p in MUTANT_FILES])
def test_mutant_is_rejected(path):
    result = _failing(path)
    assert result["counterexample"]["stem"] or result["counterexample"]["cycle"]


@pytest.mark.parametrize("path", MUTANT_FILES, ids=[p.stem for p in MUTANT_FILES])
def test_counterexample_replays(path):
    result = _failing(path)
    _, report, _ = _checked(path)
    net, props = load_checked(path, report["params"])
    names = {t.name for t in net.transitions}
    stem, cycle = result["counterexample"]["stem"], result["counterexample"]["cycle"]
    for k, step in enumerate(stem + cycle, 1):
        if step.get("stutter"):
            continue
        assert step["transition"] in names, f"step {k}: `{step['transition']}` is not a transition of {path.name}"

    space = explore(net, keep_successors=True)
    assert space.complete, f"{path.name}: the state space did not fit in the default limit"

    def walk(state: int, steps: list[dict], first: int) -> int:
        for k, step in enumerate(steps, first):
            outs = space.successors[state]
            if step.get("stutter"):  # a dead marking repeating: nothing fires
                assert not outs, f"step {k}: a stutter step from a marking that enables {len(outs)} firing(s)"
                continue
            nxt = [target for target, ti, env in outs
                   if net.transitions[ti].name == step["transition"]
                   and binding_to_json(net.transitions[ti], env) == step["binding"]]
            assert nxt, (f"step {k}: {step['transition']} with binding {step['binding']} cannot fire in "
                         f"marking {state}; what can fire there: "
                         f"{sorted({net.transitions[ti].name for _, ti, _ in outs})}")
            assert len(set(nxt)) == 1, f"step {k}: one binding, several targets {nxt}"
            state = nxt[0]
        return state

    end = walk(0, stem, 1)
    if cycle:
        back = walk(end, cycle, len(stem) + 1)
        assert back == end, f"the cycle does not close: it starts in marking {end} and ends in {back}"

    prop = next(p for p in props if p.name == result["name"])
    if prop.kind == "invariant":
        assert not prop.predicate(StateContext(space, end)), \
            f"the counterexample's last marking satisfies `{prop.name}`"
    elif prop.kind == "deadlock":
        assert not space.successors[end], "the deadlock counterexample does not end in a dead marking"
        finals = [p for p in props if p.kind == "final"]
        assert not any(f.predicate(StateContext(space, end)) for f in finals), \
            "the dead marking satisfies a `final` predicate"


@pytest.mark.parametrize("model", CLEAN_MODELS)
def test_unmutated_model_checks_clean(model):
    code, report, stderr = _checked(ROOT / model)
    failing = [r["name"] for r in report.get("properties", []) if r["verdict"] != "holds"]
    assert code == 0, f"{model}: exit {code}, not holding: {failing}\n{stderr}"
    assert report["complete"] is True
