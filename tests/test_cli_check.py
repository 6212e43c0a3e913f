"""`protoverify check` end to end: exit codes, JSON shape, limits, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

PHILOSOPHERS = """
model Philosophers
// each philosopher takes its left fork, then its right fork
param N = 3
colset Phil = 1..N
fun right(p: Phil): Phil = if p == N then 1 else p + 1
place Think : Phil = all
place Fork  : Phil = all
place Left  : Phil
place Eat   : Phil
transition take_left  in Think : p  in Fork : p         out Left : p  emit took_left(phil = p)
transition take_right in Left : p   in Fork : right(p)  out Eat : p
transition release    in Eat : p    out Think : p  out Fork : p ++ right(p)
"""

COUNTER = """
model Counter
param TOP = 100000
colset C = 0..TOP
place P : C = 0
transition inc in P : k out P : k + 1 guard k < TOP
"""


def run(tmp_path, text: str, *args: str, name: str = "m.cpn"):
    path = tmp_path / name
    path.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "protoverify", "check", str(path), *args],
                          capture_output=True, text=True, cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    return proc


def test_deadlock_exit_1_with_a_replayable_shortest_path(tmp_path):
    proc = run(tmp_path, PHILOSOPHERS, "--json", "-D", "N=4")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["params"] == {"N": 4}
    assert report["complete"] is True
    assert report["dead_markings"] == 1
    (dead,) = report["deadlocks"]
    # replay by hand with the model's rules, independently of the explorer
    n = 4
    think, fork, left, eat = Counter(range(1, n + 1)), Counter(range(1, n + 1)), Counter(), Counter()
    for step in dead["path"]:
        p = step["binding"]["p"]
        right = 1 if p == n else p + 1
        if step["transition"] == "take_left":
            assert think[p] and fork[p]
            think[p] -= 1; fork[p] -= 1; left[p] += 1  # noqa: E702
        elif step["transition"] == "take_right":
            assert left[p] and fork[right]
            left[p] -= 1; fork[right] -= 1; eat[p] += 1  # noqa: E702
        else:
            assert eat[p]
            eat[p] -= 1; think[p] += 1; fork[p] += 1; fork[right] += 1  # noqa: E702
    # every philosopher holds its left fork: the only deadlock, reached in N steps at least
    assert +left == Counter(range(1, n + 1))
    assert len(dead["path"]) == n
    assert dead["marking"] == {"Left": [[i, 1] for i in range(1, n + 1)]}
    assert report["bounds"] == {"Think": 4, "Fork": 4, "Left": 4, "Eat": 2}
    assert report["dead_transitions"] == []


def test_no_deadlock_exit_0(tmp_path):
    proc = run(tmp_path, "model Toggle colset B = 0..1 place P : B = 0 transition t in P : b out P : 1 - b")
    assert proc.returncode == 0, proc.stderr
    assert "verdict: no dead marking" in proc.stdout


def test_max_states_gives_exit_3_and_a_partial_json_report(tmp_path):
    proc = run(tmp_path, COUNTER, "--json", "--max-states", "1000")
    assert proc.returncode == 3
    report = json.loads(proc.stdout)
    assert report["complete"] is False and report["stop_reason"] == "max-states"
    assert report["states"] == 1000
    assert report["verdict"] == "incomplete"


def test_timeout_gives_exit_3(tmp_path):
    proc = run(tmp_path, COUNTER, "--json", "--timeout", "0.2", "-D", "TOP=10000000")
    assert proc.returncode == 3
    report = json.loads(proc.stdout)
    assert report["complete"] is False and report["stop_reason"] == "timeout"


def test_a_found_deadlock_wins_over_incompleteness(tmp_path):
    text = COUNTER + "place Trap : Unit transition fall in P : k out Trap : unit guard k == 5\n"
    proc = run(tmp_path, text, "--json", "--max-states", "100")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["complete"] is False


def test_same_input_same_bytes(tmp_path):
    outs = [run(tmp_path, PHILOSOPHERS, "-q").stdout for _ in range(2)]
    assert outs[0] == outs[1]
    reports = [json.loads(run(tmp_path, PHILOSOPHERS, "--json", "-q").stdout) for _ in range(2)]
    for r in reports:
        assert set(r["stats"]) >= {"seconds"}
        del r["stats"]
    assert reports[0] == reports[1]


def test_text_report_shows_paths_with_changed_places(tmp_path):
    proc = run(tmp_path, PHILOSOPHERS, "-q")
    out = proc.stdout
    assert "dead marking #1, reached in 3 step(s):" in out
    assert "take_left(p = 1)   emits took_left(phil = 1)" in out
    assert "Think -1" in out and "Left +1" in out


def test_runtime_model_error_exit_2_names_transition_binding_marking(tmp_path):
    proc = run(tmp_path, "model M colset C = 0..2 place P : C = 0 transition inc in P : k out P : k + 1")
    assert proc.returncode == 2
    err = proc.stderr
    assert "not in colour set C (0..2)" in err
    assert "while firing: inc" in err and "binding: k = 2" in err and "P: 2" in err


@pytest.mark.parametrize("args", [["--max-states", "0"], ["--timeout", "-1"], ["--strategy", "x"]])
def test_bad_options_exit_2(tmp_path, args):
    proc = run(tmp_path, "model M place P : Unit", *args)
    assert proc.returncode == 2


def test_help_teaches(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "protoverify", "check", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for phrase in ("--max-states", "--timeout", "-D", "Exit status", "Examples"):
        assert phrase in proc.stdout


def test_property_file_found_by_convention_and_named(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "properties").mkdir()
    model = "model Toggle colset B = 0..1 place P : B = 0 transition t in P : b out P : 1 - b\n"
    (tmp_path / "models" / "toggle.cpn").write_text(model)
    (tmp_path / "properties" / "toggle.props").write_text(
        'properties for "../models/toggle.cpn"\ninvariant never_two: count(P) == 2\n')
    proc = subprocess.run([sys.executable, "-m", "protoverify", "check", "models/toggle.cpn", "--json"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1
    assert "properties from: " in proc.stderr and "toggle.props" in proc.stderr
    verdicts = {p["name"]: p["verdict"] for p in json.loads(proc.stdout)["properties"]}
    assert verdicts == {"deadlock": "holds", "never_two": "fails"}
    # a model that names its own property file uses that one instead
    (tmp_path / "models" / "own.props").write_text('properties for "toggle2.cpn"\nreachable one: count(P, 1) == 1\n')
    (tmp_path / "models" / "toggle2.cpn").write_text(model.replace("model Toggle", 'model Toggle properties from "own.props"'))
    proc = subprocess.run([sys.executable, "-m", "protoverify", "check", "models/toggle2.cpn", "--json"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {p["name"] for p in json.loads(proc.stdout)["properties"]} == {"deadlock", "one"}


PROPS = PHILOSOPHERS + """
properties
invariant nobody_eats: count(Eat) == 0
reachable all_left: Left == all
"""


def test_explain_prints_one_counterexample_with_markings(tmp_path):
    proc = run(tmp_path, PROPS, "--explain", "nobody_eats", "-q")
    assert proc.returncode == 1
    out = proc.stdout
    assert "nobody_eats" in out and "FAILS" in out
    assert "| Eat:" in out  # the marking after each step
    assert "all_left" not in out  # only the property asked for
    bad = run(tmp_path, PROPS, "--explain", "nobody", "-q")
    assert bad.returncode == 2 and "no property named `nobody`" in bad.stderr


def test_counterexample_trace_is_a_trace_of_the_emitted_events(tmp_path):
    trace = tmp_path / "cx.jsonl"
    proc = run(tmp_path, PROPS, "--counterexample-trace", str(trace), "--json", "-q")
    assert proc.returncode == 1
    lines = [json.loads(x) for x in trace.read_text().splitlines()]
    header, events = lines[0], lines[1:]
    assert header["trace"] == "protoverify/1" and header["params"] == {"N": 3}
    report = json.loads(proc.stdout)
    failing = next(p for p in report["properties"] if p["verdict"] == "fails" and p["counterexample"]["stem"])
    assert header["counterexample"] == failing["name"]
    expected = [s["event"] for s in failing["counterexample"]["stem"] if "event" in s]
    assert [{k: v for k, v in e.items() if k not in ("seq", "time")} for e in events] == expected
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_home_markings(tmp_path):
    # the toggle's two markings form one terminal component: both are home markings
    proc = run(tmp_path, "model T colset B = 0..1 place P : B = 0 transition t in P : b out P : 1 - b",
               "--home", "--json", "-q")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["home_markings"]["count"] == 2
    # the philosophers' deadlock is a terminal component of its own, besides none other: one home marking
    proc = run(tmp_path, PHILOSOPHERS, "--home", "--json", "-q")
    home = json.loads(proc.stdout)["home_markings"]
    assert home["count"] == 1 and home["path"]
    # two different dead markings: no home marking
    two = "model D colset B = 0..1 place P : B = 0 place Q : B transition t in P : b out Q : b " \
          "transition u in P : b out Q : 1 - b"
    proc = run(tmp_path, two, "--home", "--json", "-q")
    assert json.loads(proc.stdout)["home_markings"]["count"] == 0
