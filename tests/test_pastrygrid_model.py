"""The PastryGrid model (models/pastrygrid.cpn) and its mutants, through the real CLI.

* The fixed model, checked against properties/pastrygrid.props as a user
  would (``protoverify check models/pastrygrid.cpn --json -q``), holds every
  property P1-P7 at its defaults and at other parameters (the chain DAG; no
  node meeting the requirements, where every run must end failed).
* Each mutant in models/mutants/pastrygrid_*.cpn (one protocol mistake, named
  in its header) exits 1 with its expected property failing, and the
  counterexample replays: from the initial marking every step names a
  transition of the mutant and is enabled, with exactly that binding, in the
  marking reached so far (fired with protoverify's firing rules, not looked up
  in the explorer's graph); the last marking violates the property, judged
  here by hand from the marking.

Cost: about two and a half minutes of CPU, most of it the fixed model at its
defaults (232,720 markings, every property).  The mutants are checked at
their defaults less the crashes their mistake does not need (the racy and
early launches need none, the FTC's forgetting needs a worker crash, the
missing replica an RDV crash): 19,321, 6,206, 11,263 and 7,790 markings.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from protoverify import load_model_text
from protoverify.explore.firing import compile_net
from protoverify.net.show import binding_to_json, marking_to_json

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
MODEL = "models/pastrygrid.cpn"

# One property at least per point of PROTOCOLS.md 2.6, by name prefix.
NUMBERS = ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]

# The diamond (DAG = 1, the default): task -> its predecessors.
DIAMOND = {1: [], 2: [1], 3: [1], 4: [2, 3]}


@functools.lru_cache(maxsize=None)
def check(model: str, *defines: str) -> tuple[int, dict, str]:
    args = [a for d in defines for a in ("-D", d)]
    proc = subprocess.run([sys.executable, "-m", "protoverify", "check", model, *args, "--json", "-q"],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert "Traceback" not in proc.stderr, proc.stderr
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = {}
    return proc.returncode, report, proc.stderr


def verdicts(report: dict) -> dict[str, str]:
    return {p["name"]: p["verdict"] for p in report.get("properties", [])}


# ------------------------------------------------------------------ the fixed model
def test_fixed_model_holds_everything_at_its_defaults():
    code, report, stderr = check(MODEL)
    v = verdicts(report)
    assert code == 0, f"exit {code}; not holding: {[n for n, x in v.items() if x != 'holds']}\n{stderr}"
    assert report["complete"] is True
    assert report["params"] == {"N": 3, "DAG": 1, "WCRASH": 1, "RCRASH": 1, "UNFIT": 1, "RETRY": 1}
    assert set(v.values()) == {"holds"}
    for number in NUMBERS:
        assert any(name.startswith(number + "_") for name in v), f"no property for {number}"
    assert "deadlock" in v  # `deadlock only final`: every dead marking is done or failed
    # every transition fires somewhere: crashes, takeover, re-issue, rejection and failure are all exercised
    assert report["dead_transitions"] == []
    # both ends are reachable at the defaults (a run can lose both workers)
    ends = {tuple(map(tuple, d["marking"]["App"])) for d in report["deadlocks"]}
    assert ends == {(("done", 1),), (("failed", 1),)}
    # see the model's header: 232,720 markings, most of them interleavings of the messages that end a
    # supervision (`unsupervise`) and carry a grant to its worker (`assigned`) with everything else
    assert 100_000 < report["states"] < 400_000


def test_fixed_model_chain_dag():
    code, report, stderr = check(MODEL, "DAG=2")
    assert code == 0, stderr
    assert set(verdicts(report).values()) == {"holds"}
    # a chain has no shared task: the RDV never has to claim one
    assert {"claim_shared", "query_refused", "query_early"} <= set(report["dead_transitions"])


def test_fixed_model_no_node_meets_the_requirements():
    code, report, stderr = check(MODEL, "UNFIT=3")
    assert code == 0, stderr
    assert set(verdicts(report).values()) == {"holds"}
    assert {"take", "assigned", "unsupervise"} <= set(report["dead_transitions"])
    # P7: no hang -- every run stops with the application reported failed, the FTC having forgotten it
    assert report["deadlocks"]
    for dead in report["deadlocks"]:
        assert dead["marking"]["App"] == [["failed", 1]]
        assert "FtcApp" not in dead["marking"]
        events = [s.get("event", {}).get("event") for s in dead["path"]]
        assert events.count("app_finished") == 1


# ------------------------------------------------------------------------ mutants
def _tokens(marking: dict, place: str) -> Counter:
    return Counter({json.dumps(v): n for v, n in marking.get(place, [])})


def _values(marking: dict, place: str) -> list:
    return [v for v, n in marking.get(place, []) for _ in range(n)]


def _p2_single_launch_violated(m: dict) -> bool:
    per_task = Counter(t for t, _ in _values(m, "Search")) + Counter(t for _, t in _values(m, "Running"))
    return any(n > 1 for n in per_task.values())


def _p1_precedence_violated(m: dict) -> bool:
    out = set(_values(m, "Out"))
    started = {t for t, _ in _values(m, "Search")} | {t for _, t in _values(m, "Running")}
    return any(p not in out for u in started for p in DIAMOND[u])


def _p4_no_orphan_violated(m: dict) -> bool:
    if ["running", 1] not in m.get("App", []):
        return False
    out = set(_values(m, "Out"))
    carried = ({t for t, _ in _values(m, "Search")} | {t for _, t in _values(m, "Running")}
               | {t for t, _ in _values(m, "OutMsg")} | {t for t, _ in _values(m, "Sup")}
               | {t for t, _ in _values(m, "Pair")})
    for u, preds in DIAMOND.items():
        if u in out:
            continue
        if len(preds) == 0:
            launched = "FtcApp" in m
        elif len(preds) == 1:
            launched = preds[0] in out
        else:
            launched = u in _values(m, "Launched")
        if launched and u not in carried:
            return True
    return False


def _p6_one_root_violated(m: dict) -> bool:
    keys = [k for (k, _) in _values(m, "Root") + _values(m, "Seek")]
    return keys.count("kapp") != 1 or keys.count("kftc") != 1


MUTANTS = {
    # stem: (the property that must fail, a hand check that the last marking violates it, the parameters
    # checked: the defaults without the crashes the mistake does not need, to keep the state spaces small)
    "pastrygrid_racy_shared_launch": ("P2_single_launch", _p2_single_launch_violated, ("WCRASH=0", "RCRASH=0")),
    "pastrygrid_early_shared_launch": ("P1_precedence", _p1_precedence_violated, ("WCRASH=0", "RCRASH=0")),
    "pastrygrid_ftc_forgets": ("P4_no_orphan", _p4_no_orphan_violated, ("RCRASH=0",)),
    "pastrygrid_rdv_no_replica": ("P6_one_root", _p6_one_root_violated, ("WCRASH=0",)),
}


def test_every_pastrygrid_mutant_is_listed():
    present = {p.stem for p in (ROOT / "models" / "mutants").glob("pastrygrid_*.cpn")}
    assert present == set(MUTANTS)


def _replay(path: Path, steps: list[dict], defines: tuple[str, ...] = ()) -> dict:
    """Fire ``steps`` from the initial marking with protoverify's firing rules; the last marking (JSON)."""
    # load_model_text: the model alone (a mutant's `properties from` file is the CLI's business)
    params = {k: int(v) for k, v in (d.split("=") for d in defines)}
    net = load_model_text(path.read_text(), str(path), params)
    compiled = {t.name: t for t in compile_net(net)}
    marking = net.initial_marking
    for k, step in enumerate(steps, 1):
        assert not step.get("stutter"), f"step {k}: an invariant's counterexample has no stutter step"
        t = compiled.get(step["transition"])
        assert t is not None, f"step {k}: `{step['transition']}` is not a transition of {path.name}"
        views = [dict(pl) for pl in marking]
        firings = [(env, removed) for env, removed in t.enabled(views)
                   if binding_to_json(t.ir, env) == step["binding"]]
        assert len(firings) == 1, (f"step {k}: {step['transition']}{step['binding']} is not enabled in "
                                   f"{marking_to_json(net, marking)}")
        env, removed = firings[0]
        marking = t.fire(marking, views, env, removed)
    return marking_to_json(net, marking)


@pytest.mark.parametrize("stem", sorted(MUTANTS))
def test_mutant_fails_its_property_with_a_replayable_counterexample(stem):
    path = ROOT / "models" / "mutants" / f"{stem}.cpn"
    expected, violated, defines = MUTANTS[stem]
    code, report, stderr = check(str(path.relative_to(ROOT)), *defines)
    assert code == 1, f"{path.name}: exit {code}, expected 1\n{stderr}"
    results = {r["name"]: r for r in report["properties"]}
    failing = [n for n, r in results.items() if r["verdict"] == "fails"]
    assert results[expected]["verdict"] == "fails", f"{expected} is {results[expected]['verdict']}; failing: {failing}"
    cex = results[expected]["counterexample"]
    assert cex["stem"], "an invariant's counterexample leads somewhere: a non-empty stem"
    assert cex["cycle"] == []
    last = _replay(path, cex["stem"], defines)
    assert violated(last), f"the replayed counterexample ends in a marking that does not violate {expected}: {last}"
    # shortest: the marking before the last step still satisfies the invariant
    assert not violated(_replay(path, cex["stem"][:-1], defines))


def test_racy_counterexample_is_the_published_race():
    """Both friends' outputs are stored, then both questions are acknowledged: D claimed twice."""
    path = ROOT / "models" / "mutants" / "pastrygrid_racy_shared_launch.cpn"
    _, report, _ = check(str(path.relative_to(ROOT)), *MUTANTS["pastrygrid_racy_shared_launch"][2])
    stem = next(r for r in report["properties"] if r["name"] == "P2_single_launch")["counterexample"]["stem"]
    claims = [s for s in stem if s["transition"] == "claim_shared"]
    assert [c["binding"]["u"] for c in claims] == [4, 4]
    assert sorted(c["binding"]["t"] for c in claims) == [2, 3]
    stored = [i for i, s in enumerate(stem) if s["transition"].startswith("store_output")]
    first_claim = stem.index(claims[0])
    assert len([i for i in stored if i < first_claim]) == 3  # A, B and C are all in before either answer
