"""The property files of the example models, checked through the real CLI.

For every ``properties/examples/NAME.props`` we run

    python -m protoverify check models/examples/NAME.cpn --props properties/examples/NAME.props --json -q

at the model's default parameters and at one other parameter set, and
compare each property's verdict with the verdict derived BY HAND from the
model (each property's comment in the .props file says why it holds or
fails).  The expectations below were written from reading the models, not
copied from the tool's output.

Property names in the JSON: `deadlock only final` (or, without it, the
implicit "no dead marking at all") is "deadlock"; `live T` is "T";
`live T for x in C` is "T for x in C"; `bound P <= K` is "P".

Failing properties must come with usable evidence: a safety counterexample
(invariant, bound, deadlock) has a non-empty stem of transitions of the
model; a failing `ltl` or top-level `AF` has a non-empty cycle.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models" / "examples"
PROPS = ROOT / "properties" / "examples"

H, F = "holds", "fails"

# Verdicts at the default parameters, derived from the models.
EXPECTED: dict[str, dict[str, str]] = {
    "assembly": {  # P = 4
        "parts_conserved": H,
        "all_mixed": H,
        "deadlock": H,          # with `deadlock only final`: every dead marking is `done`
        "Parts": F,             # bound Parts <= 2: paint three times before packing
        "no_mixed_box": F,      # home: pack_mixed is irreversible
        "paint": F,             # live: a terminating net has no live transition
        "terminates": H,        # ctl AF deadlock
        "some_red": F,          # fairness is per transition, not per binding
    },
    "enums_products": {  # C = 2
        "client_state": H,
        "server_exclusive": H,
        "someone_rejected": H,
        "deadlock": H,          # only final dead markings: everybody Done
        "server_free": H,
        "must_finish": F,       # AF: client 2 rejected forever while 1 sits in Serving
        "answered": F,          # the same starvation lasso, no fairness
        "answered_fair": H,     # weak fairness forces serve_ok/finish
    },
    "leader_election": {  # N = 3
        "one_leader": H,
        "leader_is_max": H,
        "early_leader": H,
        "quiet_when_elected": F,  # other messages still in transit at election
        "deadlock": H,
        "Chan": H,              # bound Chan <= N
        "always_elects": H,
        "node1_elected": H,
    },
    "mutex": {  # N = 3
        "deadlock": H,          # implicit: no dead marking
        "mutual_exclusion": H,
        "lock_held": H,
        "full_queue": H,
        "at_rest": H,
        "enter for p in Proc": H,
        "no_starvation": F,     # AG(waiting1 -> AF critical1): 2 and 3 alternate
        "released": H,
        "p1_served": F,         # even under strong fairness: per-transition
    },
    "peterson": {
        "deadlock": H,
        "mutual_exclusion": H,
        "flag_up_iff_busy": H,
        "turn_in_cs": F,        # entering by the flag rule without the turn
        "both_waiting": H,
        "both_idle": H,
        "enter_turn for i in Pid": H,
        "no_starvation": H,     # Peterson: the other process blocks after a bounded number of steps
        "p1_enters_often": F,   # process 1 may stay idle forever
    },
    "philosophers": {  # N = 5
        "deadlock": F,          # implicit: the circular wait is a dead marking
        "one_state": H,
        "forks": H,
        "Eat": H,               # bound Eat <= N / 2
        "circular_wait": H,
        "all_think": F,         # home: not from the dead markings
        "End for p in Phil": F,
        "can_deadlock": H,      # ctl EF deadlock
        "eating_never_stops": F,  # fairness cannot rescue a dead marking
    },
    "philosophers_fixed": {  # N = 5
        "deadlock": H,
        "one_state": H,
        "no_neighbours_eat": H,
        "two_eat": H,
        "all_think": H,
        "release for p in Phil": H,
        "p1_not_starved": F,    # deadlock-free is not starvation-free
        "taking_never_stops": H,
    },
    "producer_consumer": {  # CAP = 2, V = 2
        "deadlock": H,
        "slots_plus_buffer": H,
        "one_item_in_hand": H,
        "Buffer": H,            # bound Buffer <= CAP
        "producer_blocked": H,
        "buffer_empty": H,
        "produce for x in Item": H,
        "unblocked": H,
        "bag_not_fifo": F,      # an item 1 may stay in the bag forever
    },
    "read_inhibit": {  # R = 2, W = 1, V = 2
        "deadlock": H,
        "exclusive_write": H,
        "readers_see_current": H,
        "all_reading": H,
        "Data": H,              # bound Data <= 1
        "unwritten": F,         # home: the datum never becomes 0 again
        "start_write": H,
        "written_stays": H,
        "writers_progress": F,  # two readers overlap forever: start_write never enabled
    },
    "token_ring": {  # N = 4
        "deadlock": H,
        "single_token": H,
        "Busy": H,              # bound Busy <= 1
        "everyone_wants": H,
        "rest": H,
        "enter for n in Node": H,
        "may_serve": H,
        "served_weak": F,       # the holder hogs the token; pass is not continuously enabled
        "served_strong": H,     # strong fairness of pass moves the token round to node 2
    },
}

# One other parameter set, for the models where some verdict depends on a
# parameter, and the verdicts that change.  (leader_election, philosophers and
# token_ring keep all their verdicts at other N; not run, to keep the file fast.)
VARIANTS: dict[str, tuple[dict[str, int], dict[str, str]]] = {
    "assembly": ({"P": 2}, {"Parts": H}),                       # never more than 2 parts at all
    "enums_products": ({"C": 1}, {
        "someone_rejected": F,  # a lone client always finds the server free
        "must_finish": H,       # no reject, no retry: every run terminates
        "answered": H,
    }),
    "mutex": ({"N": 1}, {"no_starvation": H, "p1_served": H}),   # nobody to overtake process 1
    "philosophers_fixed": ({"N": 3}, {"two_eat": F}),           # 2 eaters need 4 forks
    "producer_consumer": ({"V": 1}, {"bag_not_fifo": H}),       # a single item value
    "read_inhibit": ({"R": 1}, {"writers_progress": H}),        # one reader cannot overlap itself
}

# `ctl` properties whose formula is a top-level AF: a failure must be a lasso.
CTL_AF = {("enums_products", "must_finish")}

SAFETY_KINDS = {"invariant", "bound", "deadlock"}


def transitions_of(model: str) -> set[str]:
    text = (MODELS / f"{model}.cpn").read_text()
    return set(re.findall(r"^\s*transition\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.M))


def run_check(model: Path, props: Path, params: dict[str, int]) -> tuple[int, dict | None, str]:
    cmd = [sys.executable, "-m", "protoverify", "check", str(model.relative_to(ROOT)),
           "--props", str(props), "--json", "-q"]
    for k, v in params.items():
        cmd += ["-D", f"{k}={v}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = None
    return proc.returncode, report, proc.stderr


CASES = [pytest.param(m, {}, EXPECTED[m], id=f"{m}-default") for m in EXPECTED]
CASES += [pytest.param(m, p, {**EXPECTED[m], **changes}, id=f"{m}-" + ",".join(f"{k}={v}" for k, v in p.items()))
          for m, (p, changes) in VARIANTS.items()]


@lru_cache(maxsize=None)
def all_runs() -> dict:
    """Run every (model, params) check once, a few at a time: most of each
    run is interpreter start-up and grammar construction (~1 s of CPU each),
    so running them concurrently divides the wall time by the core count."""
    keys = [(c.values[0], tuple(sorted(c.values[1].items()))) for c in CASES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda k: run_check(MODELS / f"{k[0]}.cpn", PROPS / f"{k[0]}.props", dict(k[1])), keys)
        return dict(zip(keys, results))


def check(model: str, params: tuple[tuple[str, int], ...]) -> tuple[int, dict]:
    rc, report, err = all_runs()[(model, params)]
    assert report is not None, f"no JSON report (exit {rc}):\n{err}"
    return rc, report


def test_every_example_has_a_props_file():
    models = {p.stem for p in MODELS.glob("*.cpn")}
    assert models == set(EXPECTED)
    for m in models:
        text = (PROPS / f"{m}.props").read_text()
        assert text.startswith(f'properties for "../../models/examples/{m}.cpn"')


@pytest.mark.parametrize("model, params, expected", CASES)
def test_verdicts(model, params, expected):
    rc, report = check(model, tuple(sorted(params.items())))
    assert report["complete"] is True
    got = {p["name"]: p["verdict"] for p in report["properties"]}
    assert len(got) == len(report["properties"]), "duplicate property names"
    assert got == expected
    assert rc == (0 if all(v == H for v in expected.values()) else 1)


@pytest.mark.parametrize("model, params, expected", CASES)
def test_counterexamples(model, params, expected):
    _, report = check(model, tuple(sorted(params.items())))
    names = transitions_of(model)

    def steps_ok(steps, where):
        for s in steps:
            if s.get("stutter"):
                assert s["transition"] is None, (where, s)
            else:
                assert s["transition"] in names, (where, s)
                assert isinstance(s["binding"], dict), (where, s)

    for p in report["properties"]:
        name, kind, verdict = p["name"], p["kind"], p["verdict"]
        ce = p.get("counterexample")
        if ce is not None:
            steps_ok(ce["stem"], (name, "stem"))
            steps_ok(ce["cycle"], (name, "cycle"))
        if verdict != F:
            continue
        assert ce is not None or kind == "reachable", f"{name}: a failure without evidence"
        if kind in SAFETY_KINDS:
            # none of our initial markings violates a safety property
            assert len(ce["stem"]) > 0, name
            assert all(not s.get("stutter") for s in ce["stem"]), name
        if kind == "ltl" or (model, name) in CTL_AF:
            assert len(ce["cycle"]) > 0, f"{name}: a failing ltl/AF needs a lasso"


# --- regressions: once tool bugs (a label named like its transition, a param named R) ---

REGRESSIONS = [
    pytest.param(
        "mutex", "ltl released: G (enter -> F leave)\n", "released", H,
        id="bare-label-equal-to-transition-mutex"),
    pytest.param(
        "philosophers_fixed", "ltl eating_never_stops: G F release\n", "eating_never_stops", H,
        id="bare-label-equal-to-transition-philosophers_fixed"),
    pytest.param(
        "read_inhibit", "reachable all_reading: count(Reading) == R\n", "all_reading", H,
        id="param-named-R"),
]


@pytest.mark.parametrize("model, text, name, verdict", REGRESSIONS)
def test_fixed_tool_bugs(tmp_path, model, text, name, verdict):
    props = tmp_path / "bug.props"
    props.write_text(text)
    rc, report, err = run_check(MODELS / f"{model}.cpn", props, {})
    assert report is not None, f"exit {rc}: {err}"
    got = {p["name"]: p["verdict"] for p in report["properties"]}
    assert got[name] == verdict
