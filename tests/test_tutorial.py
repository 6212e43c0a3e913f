"""docs/tutorial.md: its models type-check, its stated figures are right, and each exercise's answer in
docs/solutions/ gives the verdict the tutorial states.

Oracle: the tutorial's own text (the verdicts and figures it states, written
from reasoning about each model) against what ``check``, ``conform`` and
``render`` print (``--json`` where there is one).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from protoverify.cli import main
from protoverify.explore.statespace import explore
from protoverify.loader import load_model_text

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
SOL = ROOT / "docs" / "solutions"
TEXT = TUTORIAL.read_text(encoding="utf-8")


def run(*args):
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def check_json(*args) -> tuple[int, dict]:
    code, out, err = run("check", *args, "--json", "-q")
    assert out, err
    return code, json.loads(out)


def verdicts(report: dict) -> dict:
    return {p["name"]: p["verdict"] for p in report["properties"]}


def _cpn_blocks() -> list[str]:
    return [b for b in re.findall(r"```cpn\n(.*?)```", TEXT, re.S) if b.lstrip().startswith("model")]


def test_every_model_on_the_page_type_checks_and_its_figures_are_right():
    blocks = _cpn_blocks()
    assert len(blocks) == 2
    coffee, shop = (load_model_text(b, name=f"tutorial-{k}") for k, b in enumerate(blocks))
    s = explore(coffee)
    assert (s.states, s.edges, s.dead_markings) == (3, 3, 0)  # "3 markings, 3 edges", "dead markings: none"
    s = explore(shop)
    assert (s.states, s.dead_markings) == (81, 8)  # "finds 81 markings and 8 dead markings"


def test_the_unbound_variable_error_is_the_one_shown(tmp_path):
    shop = _cpn_blocks()[1]
    broken = tmp_path / "coffee2.cpn"
    broken.write_text("".join(line for line in shop.splitlines(keepends=True) if "read Menu" not in line))
    code, _, err = run("check", broken)
    assert code == 2
    shown = re.search(r"```\n(coffee2\.cpn:.*?)```", TEXT, re.S).group(1)
    assert shown.splitlines()[0] in err  # file:line:col and the message, as the page shows them
    assert "\n".join(shown.splitlines()[1:3]) in err  # the source line and the caret


def test_philosophers_figures():
    code, rep = check_json(ROOT / "models" / "examples" / "philosophers.cpn", "-D", "N=3")
    assert code == 1 and (rep["states"], rep["edges"], rep["dead_markings"]) == (27, 63, 2)
    assert rep["deadlocks"][0]["marking"] == {"Catch1": [[1, 1], [2, 1], [3, 1]]}


def test_every_solution_is_linked_from_the_tutorial():
    files = sorted(p.name for p in SOL.iterdir() if p.is_file())
    assert files == ["ex1_traffic_lights.cpn", "ex2_philosophers_ordered.cpn", "ex3_mutex.props",
                     "ex4_mutex_broken.cpn", "ex5_bonjourgrid.props", "ex6_two_inside.jsonl"]
    for name in files:
        assert f"(solutions/{name})" in TEXT, name


def test_exercise_1_traffic_lights_every_property_holds():
    code, rep = check_json(SOL / "ex1_traffic_lights.cpn")
    assert code == 0
    assert verdicts(rep) == {"deadlock": "holds", "never_both_green": "holds", "one_lamp_each": "holds",
                             "ew_green": "holds"}


def test_exercise_2_ordered_forks_no_dead_marking():
    code, rep = check_json(SOL / "ex2_philosophers_ordered.cpn")
    assert code == 0 and rep["complete"] and rep["dead_markings"] == 0 and rep["states"] > 1


def test_exercise_3_mutex_invariants_hold():
    code, rep = check_json(ROOT / "models" / "examples" / "mutex.cpn", "--props", SOL / "ex3_mutex.props")
    assert code == 0
    v = verdicts(rep)
    assert v["at_most_one"] == v["one_state"] == v["someone_in"] == "holds"


def test_exercise_4_broken_mutex_and_its_chart(tmp_path):
    code, rep = check_json(SOL / "ex4_mutex_broken.cpn")
    assert code == 1
    prop = next(p for p in rep["properties"] if p["name"] == "at_most_one")
    assert prop["verdict"] == "fails"
    stem = prop["counterexample"]["stem"]
    # "process 1 enters and leaves by the express lane ... enters again and process 2 enters too"
    assert [s["transition"] for s in stem[:2]] == ["enter_express", "leave_express"]
    assert len(stem) == 4 and stem[0]["binding"] == stem[2]["binding"] != stem[3]["binding"]
    svg = tmp_path / "bug.svg"
    assert run("render", SOL / "ex4_mutex_broken.cpn", "--what", "counterexample", "-o", svg)[0] == 0
    text = "".join(ET.parse(svg).getroot().itertext())
    assert "by enter_express" in text and "by leave_express" in text


def test_exercise_5_bonjourgrid_properties_hold():
    code, rep = check_json(ROOT / "models" / "bonjourgrid.cpn", "--props", SOL / "ex5_bonjourgrid.props")
    assert code == 0, verdicts(rep)
    v = verdicts(rep)
    assert v["worker_not_idle"] == v["some_worker"] == v["deadlock"] == "holds"


def test_exercise_6_trace_does_not_conform_at_event_4():
    code, out, _ = run("conform", ROOT / "models" / "examples" / "mutex.cpn", SOL / "ex6_two_inside.jsonl",
                       "--json")
    assert code == 1
    failure = json.loads(out)["traces"][0]["failure"]
    assert failure["index"] == 3 and failure["event"]["event"] == "enter" and failure["event"]["proc"] == 3


@pytest.mark.parametrize("command", [
    "protoverify render coffee.cpn -o coffee.svg",
    "protoverify check docs/solutions/ex4_mutex_broken.cpn",
    "protoverify render models/bonjourgrid.cpn -o bonjourgrid.svg",
    "protoverify report models/bonjourgrid.cpn -o bonjourgrid.html",
    "protoverify conform models/bonjourgrid.cpn run.jsonl",
])
def test_commands_shown_exist(command):
    assert command in TEXT
    sub = command.split()[1]
    code, out, _ = run(sub, "--help")
    assert code == 0 and "Usage" in out
