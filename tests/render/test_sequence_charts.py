"""Sequence charts of counterexamples (``--what counterexample``) and of recorded traces (``--what trace``).

Oracles: ``protoverify check --json`` (the counterexample's stem, cycle and
events), the trace file itself (events, nodes, order), and ``protoverify
conform --json`` plus a deliberately corrupted event for the first failure.
"""

from __future__ import annotations

import json

import pytest

from render_helpers import DATA, ROOT, SVG, chart_steps, lifelines, run

LASSO = DATA / "lasso.cpn"


def _cex(model, prop: str, *args) -> dict:
    code, out, _ = run("check", model, "--json", "-q", *args)
    return next(p for p in json.loads(out)["properties"] if p["name"] == prop)["counterexample"]


def _texts(g) -> list[str]:
    return [t.text for t in g.iter(SVG + "text")]


def _arrow(g):
    return next((ln for ln in g.iter(SVG + "line") if ln.get("class") == "arrow"), None)


def _step_label(step: dict) -> str:
    return step["event"]["event"] if "event" in step else step["transition"]


@pytest.mark.parametrize("prop", ["one_busy", "two_served"])
def test_one_row_per_step_labelled_with_its_event(prop, tmp_path):
    out = tmp_path / "c.svg"
    code, _, err = run("render", LASSO, "--what", "counterexample", "--property", prop, "-o", out)
    assert code == 0, err
    cex = _cex(LASSO, prop)
    steps = cex["stem"] + cex["cycle"]
    rows = chart_steps(out)
    assert len(rows) == len(steps)
    lanes = lifelines(out)
    assert set(lanes) == {"Node 1", "Node 2"}
    for k, (row, step) in enumerate(zip(rows, steps)):
        assert _step_label(step) in _texts(row)
        # an arrow from the node that took the step to the peer it names, else a box on its lifeline
        arrow, box = _arrow(row), next((r for r in row.iter(SVG + "rect") if "box" in (r.get("class") or "")), None)
        assert (arrow is None) != (box is None), "one arrow or one box per step"
        ev = step["event"]
        if "peer" in ev and ev["peer"] != ev["node"]:
            assert float(arrow.get("x1")) == lanes[f"Node {ev['node']}"]
            assert float(arrow.get("x2")) == lanes[f"Node {ev['peer']}"]
        else:
            x = float(box.get("x")) + float(box.get("width")) / 2
            assert abs(x - lanes[f"Node {ev['node']}"]) <= 1
        in_cycle = "in-cycle" in row.get("class").split()
        assert in_cycle == (k >= len(cex["stem"]))
    violations = [r for r in rows if "violation" in r.get("class").split()]
    if cex["cycle"]:
        assert not violations and "repeats forever" in out.read_text()
    else:
        assert violations == [rows[-1]]


def test_default_is_the_first_failing_property(tmp_path):
    out = tmp_path / "c.svg"
    assert run("render", LASSO, "--what", "counterexample", "-o", out)[0] == 0
    assert "invariant one_busy" in out.read_text()


def test_charts_are_deterministic(tmp_path):
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    for f in (a, b):
        assert run("render", LASSO, "--what", "counterexample", "--property", "two_served", "-o", f)[0] == 0
    assert a.read_bytes() == b.read_bytes()


def test_lifelines_option_names_the_fields(tmp_path):
    out = tmp_path / "c.svg"
    code, _, err = run("render", LASSO, "--what", "counterexample", "--property", "two_served",
                       "--lifelines", "peer", "-o", out)
    assert code == 0, err
    # only `peer` names nodes now: `started` (no peer) goes to the net's own lifeline
    assert "(net)" in lifelines(out)


def test_protocol_counterexample(tmp_path):
    """A real mutant: the FTC forgets the application while a pair is supervised; the run never ends."""
    model = ROOT / "models" / "mutants" / "pastrygrid_ftc_forgets.cpn"
    out = tmp_path / "c.svg"
    small = ("-D", "RCRASH=0")  # a worker crash is enough; the defaults cost a minute
    code, _, err = run("render", model, "--what", "counterexample", "--property", "P5_finishes", "-o", out, *small)
    assert code == 0, err
    cex = _cex(model, "P5_finishes", *small)
    rows = chart_steps(out)
    steps = cex["stem"] + cex["cycle"]
    assert cex["cycle"] and len(rows) == len(steps)
    for row, step in zip(rows, steps):
        label = "(nothing fires)" if step.get("stutter") else _step_label(step)
        assert label in _texts(row)
    assert sum("in-cycle" in r.get("class") for r in rows) == len(cex["cycle"])


def test_nothing_to_draw_when_everything_holds(tmp_path):
    out = tmp_path / "c.svg"
    code, _, err = run("render", ROOT / "models" / "examples" / "mutex.cpn", "--what", "counterexample", "-o", out)
    assert code == 0 and "no counterexample" in err
    assert not out.exists()


# --------------------------------------------------------------------- traces
@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    path = tmp_path_factory.mktemp("trace") / "bg.jsonl"
    code, _, err = run("simulate", "bonjourgrid", "--nodes", "3", "--apps", "1", "--seed", "1", "-o", path)
    assert code == 0, err
    return path


def _events(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:] if line.strip()]


def test_trace_chart_has_one_row_per_event(trace, tmp_path):
    out = tmp_path / "t.svg"
    code, _, err = run("render", trace, "-o", out)  # --what trace is the default for .jsonl
    assert code == 0, err
    events = _events(trace)
    rows = chart_steps(out)
    assert len(rows) == len(events)
    lanes = lifelines(out)
    assert set(lanes) == {e["node"] for e in events}
    for row, ev in zip(rows, events):
        texts = _texts(row)
        assert texts[0] == str(ev["seq"]) and ev["event"] in texts
        arrow = _arrow(row)
        peers = [v for k, v in ev.items() if k not in ("node", "seq", "time", "event") and v in lanes
                 and v != ev["node"]]
        if peers:
            assert float(arrow.get("x1")) == lanes[ev["node"]] and float(arrow.get("x2")) == lanes[peers[0]]
        else:
            assert arrow is None


def test_first_failing_event_is_highlighted(trace, tmp_path):
    lines = trace.read_text().splitlines()
    bad_line = 6  # the 5th event
    row = json.loads(lines[bad_line - 1])
    row["event"] = "no_such_event"
    lines[bad_line - 1] = json.dumps(row)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    model = ROOT / "models" / "bonjourgrid.cpn"
    code, out, _ = run("conform", model, bad, "--json")
    assert code == 1
    failure = json.loads(out)["traces"][0]["failure"]
    assert failure["line"] == bad_line  # conform agrees on the event we broke
    svg = tmp_path / "bad.svg"
    code, _, err = run("render", bad, "--what", "trace", "--model", model, "-o", svg)
    assert code == 0, err
    rows = chart_steps(svg)
    assert "violation" in rows[-1].get("class") and _texts(rows[-1])[0] == str(failure["seq"])
    assert sum("violation" in r.get("class") for r in rows) == 1
    assert len(rows) == bad_line - 1  # the events before it, and it
    assert "does NOT conform" in svg.read_text()


def test_bad_trace_is_located(tmp_path):
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"trace": "protoverify/1", "protocol": "x", "params": {}}\n{"seq": 1, "time": 0, "event": \n')
    code, _, err = run("render", bad, "-o", tmp_path / "x.svg")
    assert code == 2 and "broken.jsonl:2" in err and "Traceback" not in err
