"""`protoverify conform` through the real command line: exit codes, JSON, JUnit, parameters."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTEX = ROOT / "models" / "examples" / "mutex.cpn"


def run(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "protoverify", "conform", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=120)


def write(tmp: Path, name: str, events: list[dict], params: dict | None = None) -> Path:
    head = {"trace": "protoverify/1", "protocol": "mutex"}
    if params is not None:
        head["params"] = params
    lines = [json.dumps(head)] + [json.dumps({"seq": i, "time": 0.0, **e}) for i, e in enumerate(events, 1)]
    p = tmp / name
    p.write_text("\n".join(lines) + "\n")
    return p


def test_exit_codes_json_and_junit(tmp_path):
    good = write(tmp_path, "good.jsonl", [{"event": "enter", "proc": 1}, {"event": "leave", "proc": 1}])
    bad = write(tmp_path, "bad.jsonl", [{"event": "enter", "proc": 1}, {"event": "enter", "proc": 2}])
    assert run(MUTEX, good).returncode == 0
    proc = run(MUTEX, good, bad)
    assert proc.returncode == 1
    assert "DOES NOT CONFORM at event 2 of 2" in proc.stdout and "`Lock` has no unit" in proc.stdout
    assert "1 of 2 trace(s) conform" in proc.stderr
    assert "Traceback" not in proc.stderr

    proc = run(MUTEX, good, bad, "--json", "--junit", tmp_path / "out.xml")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert [t["conforms"] for t in report["traces"]] == [True, False]
    failure = report["traces"][1]["failure"]
    assert failure["index"] == 1 and failure["line"] == 3 and failure["candidates"][0]["transition"] == "enter"
    suite = ET.parse(tmp_path / "out.xml").getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1" and suite.get("errors") == "0"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [str(good), str(bad)]
    assert cases[0].find("failure") is None and cases[1].find("failure") is not None


def test_parameters_from_the_header_then_from_D(tmp_path):
    three = write(tmp_path, "three.jsonl", [{"event": "enter", "proc": 3}], params={"N": 2, "seed_like": 5})
    assert run(MUTEX, three).returncode == 1            # header says N = 2: there is no process 3
    assert run(MUTEX, three, "-D", "N=3").returncode == 0
    header_three = write(tmp_path, "h3.jsonl", [{"event": "enter", "proc": 3}], params={"N": 3})
    proc = run(MUTEX, header_three, "--json")
    assert proc.returncode == 0
    t = json.loads(proc.stdout)["traces"][0]
    assert t["params"] == {"N": 3}
    bad_param = write(tmp_path, "bp.jsonl", [], params={"N": "three"})
    proc = run(MUTEX, bad_param)
    assert proc.returncode == 2 and "`N`" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_input_exits_2_and_is_located(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"trace": "protoverify/1"}\n{"seq": 1, "time": 0, "event": "enter", "proc": 1,}\n')
    good = write(tmp_path, "good.jsonl", [{"event": "enter", "proc": 1}])
    proc = run(MUTEX, broken, good, "--junit", tmp_path / "j.xml")
    assert proc.returncode == 2
    assert f"{broken}:2:" in proc.stderr and "PV601" in proc.stderr
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite.get("errors") == "1"
    assert run(tmp_path / "nope.cpn", good).returncode == 2
    assert run(MUTEX, tmp_path / "nope.jsonl").returncode == 2
    assert run(MUTEX).returncode == 2  # a trace is required


def test_limit_exits_3(tmp_path):
    pump = tmp_path / "pump.cpn"
    pump.write_text("model Pump\nplace P : Unit = unit\nplace Q : Unit\n"
                    "transition pump\n  read P : unit\n  out Q : unit\n"
                    "transition stop\n  in P : unit\n  emit stop()\n")
    # one `stop` conforms without exploring the pump; a second cannot match, and deciding that
    # needs the full silent closure before the first, which is infinite
    assert run(pump, write(tmp_path, "one.jsonl", [{"event": "stop"}]), "--silent-limit", "30").returncode == 0
    t = write(tmp_path, "t.jsonl", [{"event": "stop"}, {"event": "stop"}])
    proc = run(pump, t, "--silent-limit", "30")
    assert proc.returncode == 3 and "may fire forever" in proc.stderr
