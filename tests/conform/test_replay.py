"""Trace conformance on small nets whose behaviours are known by hand.

The expected verdicts and reasons below were worked out from the models,
not copied from the tool's output: e.g. in the mutex, after `enter(1)` the
lock is taken, so `enter(2)` must fail for lack of the `Lock` token.
"""

from __future__ import annotations

import json

import pytest

from protoverify import load_model_text
from protoverify.conform import SilentClosureTooLarge, conform, parse_trace
from protoverify.errors import ModelError

MUTEX = """model Mutex
param N = 2
colset Proc = 1..N
place Idle : Proc = all
place Waiting : Proc
place Critical : Proc
place Lock : Unit = unit
transition request
  in Idle : p
  out Waiting : p
transition enter
  in Waiting : p
  in Lock : unit
  out Critical : p
  emit enter(proc = p)
transition leave
  in Critical : p
  out Idle : p
  out Lock : unit
  emit leave(proc = p)
"""

# two transitions share the label `go`; only the one through C can go on with `fin`
FORK = """model Fork
place A : Unit = unit
place B : Unit
place C : Unit
place D : Unit
transition left
  in A : unit
  out B : unit
  emit go()
transition right
  in A : unit
  out C : unit
  emit go()
transition finish
  in C : unit
  out D : unit
  emit fin()
"""

# a silent transition that can fire forever, growing a place
PUMP = """model Pump
place P : Unit = unit
place Q : Unit
transition pump
  read P : unit
  out Q : unit
transition stop
  in P : unit
  emit stop()
"""

STATUS = """model S
colset Node = 1..3
colset Status = { running, done }
place Up : Node * Status = (2, running)
transition finish
  in Up : (n, running)
  out Up : (n, done)
  emit finished(node = n, status = done)
transition extra
  in Up : (n, done)
  emit tagged(node = n) partial
"""


def trace(*events, params=None) -> str:
    head = {"trace": "protoverify/1", "protocol": "test"}
    if params is not None:
        head["params"] = params
    lines = [json.dumps(head)]
    for i, ev in enumerate(events, 1):
        name, fields = ev
        lines.append(json.dumps({"seq": i, "time": float(i), "event": name, **fields}))
    return "\n".join(lines) + "\n"


def run(model: str, text: str, lazy: bool = True, reduce: bool = True, **params):
    net = load_model_text(model, "m.cpn", params or None)
    return conform(net, parse_trace(text, "t.jsonl"), lazy=lazy, reduce=reduce)


def test_mutex_run_conforms():
    r = run(MUTEX, trace(("enter", {"proc": 1}), ("leave", {"proc": 1}), ("enter", {"proc": 2}),
                         ("leave", {"proc": 2}), ("enter", {"proc": 2})))
    assert r.ok and r.matched == 5 and r.failure is None


def test_mutex_second_enter_lacks_the_lock():
    r = run(MUTEX, trace(("enter", {"proc": 1}), ("enter", {"proc": 2})))
    assert not r.ok and r.matched == 1
    f = r.failure
    assert f.index == 1 and f.event.line == 3 and f.event.fields == {"proc": 2}
    (cand,) = f.candidates
    assert cand["transition"] == "enter"
    assert any("`Lock` has no unit" in d for d in cand["details"]), cand
    # every marking the net may be in has process 1 in Critical and no lock
    for m in f.markings_json:
        assert m["Critical"] == [[1, 1]] and "Lock" not in m


def test_silent_steps_are_taken_between_events():
    # `request` is silent: both processes may be waiting before the first enter
    assert run(MUTEX, trace(("enter", {"proc": 2}))).ok
    # the exact replay without eager steps: full silent closure
    r = run(MUTEX, trace(("enter", {"proc": 2})), lazy=False, reduce=False)
    assert r.ok
    # before the event: {nobody waiting, 1 waiting, 2 waiting, both}; after: 2 markings (1 idle or waiting)
    assert r.max_markings == 4 and r.final_markings == 2
    # with eager steps (protoverify.conform.reduce) the same verdict, from fewer markings
    r = run(MUTEX, trace(("enter", {"proc": 2})), lazy=False)
    assert r.ok and r.max_markings <= 4


def test_node_names_and_enum_names_are_read_in_model_terms():
    r = run(STATUS, trace(("finished", {"node": "n2", "status": "done"})))
    assert r.ok
    r = run(STATUS, trace(("finished", {"node": "n2", "status": "running"})))
    assert not r.ok
    assert "field `status` would be done" in r.failure.candidates[0]["details"][0]
    r = run(STATUS, trace(("finished", {"node": "n7", "status": "done"})))
    assert "outside Node (1..3)" in r.failure.candidates[0]["reason"]
    r = run(STATUS, trace(("finished", {"node": 2, "status": "finito"})))
    assert "not one of Status {running, done}" in r.failure.candidates[0]["reason"]


def test_fields_must_agree_with_the_label_unless_partial():
    r = run(STATUS, trace(("finished", {"node": 2, "status": "done", "extra": 1})))
    assert not r.ok and "`extra`" in r.failure.candidates[0]["reason"]
    assert "partial" in r.failure.candidates[0]["reason"]
    r = run(STATUS, trace(("finished", {"node": 2})))
    assert not r.ok and "`status`" in r.failure.candidates[0]["reason"]
    # `tagged` is partial: fields it does not mention are ignored
    r = run(STATUS, trace(("finished", {"node": 2, "status": "done"}), ("tagged", {"node": 2, "colour": "red"})))
    assert r.ok


def test_an_unknown_event_name_is_named_with_a_suggestion():
    r = run(MUTEX, trace(("entr", {"proc": 1})))
    assert not r.ok and r.failure.candidates == []
    assert "no transition of the model emits `entr`" in r.failure.message
    assert "`enter`" in r.failure.message


def test_early_choices_are_not_guessed():
    # `go` may be `left` or `right`; only `right` allows `fin`: both kept, so the trace conforms
    r = run(FORK, trace(("go", {}), ("fin", {})))
    assert r.ok and r.max_markings == 2 and r.final_markings == 1
    r = run(FORK, trace(("go", {}), ("fin", {}), ("fin", {})))
    assert not r.ok and r.matched == 2


def test_an_unbounded_silent_closure_is_a_clear_error():
    net = load_model_text(PUMP, "pump.cpn")
    with pytest.raises(SilentClosureTooLarge) as err:
        conform(net, parse_trace(trace(("stop", {}), ("stop", {})), "t.jsonl"), silent_limit=50)
    text = str(err.value)
    assert "more than 50 markings" in text and "`pump`" in text and "seq 1" in text


def test_parameters_change_the_verdict():
    # with N = 3 process 3 exists
    assert not run(MUTEX, trace(("enter", {"proc": 3}))).ok
    assert run(MUTEX, trace(("enter", {"proc": 3})), N=3).ok


@pytest.mark.parametrize("text, line, col, phrase", [
    ("", 1, 1, "the trace is empty"),
    ('{"protocol": "x"}\n', 1, 1, "expected a trace header"),
    ('{"trace": "protoverify/1"}\n{"seq": 1, "time": 0, "event": "a"\n', 2, 35, "not a JSON object"),
    ('{"trace": "protoverify/1"}\n[1, 2]\n', 2, 1, "found a JSON array"),
    ('{"trace": "protoverify/1"}\n{"seq": 1, "time": 0, "node": "n1"}\n', 2, 1, "has no `event`"),
    ('{"trace": "protoverify/1"}\n{"seq": 1, "time": "x", "node": 1, "event": "a"}\n', 2, 12, "`time` must be"),
    ('{"trace": "protoverify/1"}\n\n{"seq": 2, "time": 0, "node": 1, "event": "a"}\n'
     '{"seq": 2, "time": 0, "node": 1, "event": "a"}\n', 4, 2, "`seq` 2 after 2"),
    ('{"trace": "protoverify/1", "params": [1]}\n', 1, 28, "`params` must be an object"),
    ('{"trace": "protoverify/1"}\n{"seq": 1, "time": NaN, "node": 1, "event": "a"}\n', 2, 1, "NaN"),
])
def test_malformed_traces_are_located(text, line, col, phrase):
    with pytest.raises(ModelError) as err:
        parse_trace(text, "bad.jsonl")
    d = err.value.first
    assert (d.file, d.line, d.column) == ("bad.jsonl", line, col), d.render()
    assert phrase in d.message, d.message
    assert d.hint
