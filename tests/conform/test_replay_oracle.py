"""Conformance against an independent oracle on generated nets and traces.

Hypothesis draws a small token-conserving coloured net with labelled and
silent transitions (labels shared between transitions, so that the replay
must keep several possible markings), builds its full state graph with the
explorer, walks it at random to get a trace of the labelled steps, and
sometimes mutates that trace (drop, duplicate, swap, change a field, insert
an unknown event).  The oracle decides conformance on the explicit graph:
the set of graph states consistent with the events so far, closed under
silent edges, stepping along labelled edges whose event equals the trace's.
``conform`` must give the same verdict and fail at the same event, lazy or
exact, with or without its eager silent steps.
"""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from protoverify import explore, load_model_text
from protoverify.conform import conform, parse_trace
from protoverify.net.evaluate import compile_expr

ORACLE = settings(max_examples=60, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

LABELS = ["a", "b", None, None]


@st.composite
def nets(draw) -> str:
    nplaces = draw(st.integers(2, 3))
    lines = ["model G", "colset R = 1..3"]
    for p in range(nplaces):
        toks = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
        init = " ++ ".join(str(v) for v in toks) if toks else None
        lines.append(f"place P{p} : R" + (f" = {init}" if init else ""))
    for t in range(draw(st.integers(2, 5))):
        lines.append(f"transition t{t}")
        src = draw(st.integers(0, nplaces - 1))
        lines.append(f"  in P{src} : x")
        two = draw(st.booleans())
        if two:
            src2 = draw(st.integers(0, nplaces - 1))
            kind = draw(st.sampled_from(["in", "read"]))
            lines.append(f"  {kind} P{src2} : y")
        guard = draw(st.sampled_from([None, "x != 2", "x < 3"] + (["x != y", "x <= y"] if two else [])))
        if guard:
            lines.append(f"  guard {guard}")
        dst = draw(st.integers(0, nplaces - 1))
        out = draw(st.sampled_from(["x", "(x % 3) + 1", "1"]))
        lines.append(f"  out P{dst} : {out}")
        if two and kind == "in":
            lines.append(f"  out P{draw(st.integers(0, nplaces - 1))} : y")
        label = draw(st.sampled_from(LABELS))
        if label:
            fields = draw(st.sampled_from(["v = x", "", "v = x, w = y" if two else "v = x"]))
            lines.append(f"  emit {label}({fields})")
    return "\n".join(lines) + "\n"


def edge_event(net, ti, env) -> dict | None:
    t = net.transitions[ti]
    if t.emit is None:
        return None
    ev = {"event": t.emit.label}
    for name, expr in t.emit.fields:
        ev[name] = expr.type.to_json(compile_expr(expr)(list(env)))
    return ev


def oracle(net, space, events: list[dict]) -> int:
    """Index of the first event no run can match (len(events) if the trace conforms)."""
    silent = {t.index for t in net.transitions if t.emit is None}

    def close(states: set) -> set:
        todo, seen = list(states), set(states)
        while todo:
            s = todo.pop()
            for target, ti, _ in space.successors[s]:
                if ti in silent and target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    current = {0}
    for i, ev in enumerate(events):
        current = close(current)
        nxt = set()
        for s in current:
            for target, ti, env in space.successors[s]:
                if ti not in silent and edge_event(net, ti, env) == ev:
                    nxt.add(target)
        if not nxt:
            return i
        current = nxt
    return len(events)


def mutate(events: list[dict], rnd: random.Random, how: str) -> list[dict]:
    ev = [dict(e) for e in events]
    if how == "none" or not ev:
        return ev
    i = rnd.randrange(len(ev))
    if how == "drop":
        del ev[i]
    elif how == "duplicate":
        ev.insert(i, dict(ev[i]))
    elif how == "swap" and len(ev) > 1:
        j = rnd.randrange(len(ev))
        ev[i], ev[j] = ev[j], ev[i]
    elif how == "field":
        keys = [k for k in ev[i] if k != "event"]
        if keys:
            k = rnd.choice(keys)
            ev[i][k] = ev[i][k] % 3 + 1
    elif how == "unknown":
        ev.insert(i, {"event": "zz"})
    return ev


def as_trace(events: list[dict]) -> str:
    lines = [json.dumps({"trace": "protoverify/1", "protocol": "G"})]
    lines += [json.dumps({"seq": k, "time": 0.0, **e}) for k, e in enumerate(events, 1)]
    return "\n".join(lines) + "\n"


@ORACLE
@given(nets(), st.integers(0, 2**32 - 1), st.integers(1, 10),
       st.sampled_from(["none", "none", "drop", "duplicate", "swap", "field", "unknown"]))
def test_conform_agrees_with_the_graph_oracle(model, seed, length, how):
    net = load_model_text(model, "g.cpn")
    space = explore(net, keep_successors=True, max_states=5000)
    if not space.complete:
        return
    rnd = random.Random(seed)
    state, events = 0, []
    for _ in range(length):
        outs = space.successors[state]
        if not outs:
            break
        target, ti, env = outs[rnd.randrange(len(outs))]
        ev = edge_event(net, ti, env)
        if ev is not None:
            events.append(ev)
        state = target
    events = mutate(events, rnd, how)
    note(model)
    note(json.dumps(events))
    expected = oracle(net, space, events)
    result = conform(net, parse_trace(as_trace(events), "g.jsonl"))
    exact = conform(net, parse_trace(as_trace(events), "g.jsonl"), lazy=False)
    assert exact.ok == result.ok and exact.matched == result.matched
    # the eager silent steps (protoverify.conform.reduce) change no verdict and no failing event
    for lazy in (True, False):
        for reduce in (True, False):
            other = conform(net, parse_trace(as_trace(events), "g.jsonl"), lazy=lazy, reduce=reduce)
            assert other.ok == result.ok and other.matched == result.matched
    assert result.ok == (expected == len(events))
    assert result.matched == expected
    if how == "none":
        assert result.ok, "an unmutated walk of the net must conform"
    if not result.ok:
        assert result.failure.index == expected
        assert result.failure.markings, "the markings before the failing event are reported"
