"""Trace mutants: small corruptions of a recorded trace, to measure what conformance catches.

Five operators, as a recorder or a buggy implementation might corrupt a run:
``drop`` (an event lost), ``duplicate`` (an event recorded twice), ``swap``
(two events out of order), ``field`` (one field's value changed to another
value seen for that field in the trace) and ``wrong_node`` (a copy of an
event inserted as if another node had taken the step).  ``seq`` is
renumbered so every mutant is a well-formed trace.  Deterministic: the same
trace and seed give the same mutants.

>>> from .trace import parse_trace
>>> t = parse_trace('{"trace": "protoverify/1"}\\n{"seq": 1, "time": 0, "node": "n1", "event": "a"}\\n'
...                 '{"seq": 2, "time": 1, "node": "n2", "event": "b"}\\n')
>>> [m.kind for m in mutants(t, per_kind=1, seed=0)]
['drop', 'duplicate', 'swap', 'wrong_node']
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .trace import Trace, TraceEvent

__all__ = ["Mutant", "mutants", "KINDS"]

KINDS = ("drop", "duplicate", "swap", "field", "wrong_node")


@dataclass(frozen=True)
class Mutant:
    kind: str
    description: str
    trace: Trace
    index: int  # the first event the mutation touches (0-based)


def _renumber(trace: Trace, events: list[TraceEvent], tag: str) -> Trace:
    out = [TraceEvent(e.line, k, e.time, e.fields.get("node"), e.event, dict(e.fields))
           for k, e in enumerate(events, 1)]
    return Trace(f"{trace.path}#{tag}", trace.header, tuple(out))


def mutants(trace: Trace, *, per_kind: int = 5, seed: int = 0) -> list[Mutant]:
    """Up to ``per_kind`` distinct mutants of each kind (fewer when the trace offers fewer)."""
    rnd = random.Random(seed)
    ev = list(trace.events)
    n = len(ev)
    nodes = sorted({e.fields["node"] for e in ev if "node" in e.fields}, key=str)
    values: dict[str, list] = {}
    for e in ev:
        for k, v in e.fields.items():
            if k != "node" and v not in values.setdefault(k, []):
                values[k].append(v)
    out: list[Mutant] = []
    for kind in KINDS:
        seen: set = set()
        for _ in range(per_kind * 8):
            if len([m for m in out if m.kind == kind]) >= per_kind or n == 0:
                break
            m = _one(kind, ev, rnd, nodes, values)
            if m is None or m[0] in seen:
                continue
            seen.add(m[0])
            key, desc, events, index = m
            out.append(Mutant(kind, desc, _renumber(trace, events, f"{kind}-{len(seen)}"), index))
    return out


def _one(kind: str, ev: list[TraceEvent], rnd: random.Random, nodes: list, values: dict):
    n = len(ev)
    i = rnd.randrange(n)
    if kind == "drop":
        return (i,), f"event {i + 1} ({ev[i].event}) dropped", ev[:i] + ev[i + 1:], i
    if kind == "duplicate":
        return (i,), f"event {i + 1} ({ev[i].event}) recorded twice", ev[:i + 1] + ev[i:], i
    if kind == "swap":
        if n < 2:
            return None
        j = rnd.randrange(n)
        if i == j or ev[i].event == ev[j].event and ev[i].fields == ev[j].fields:
            return None
        i, j = min(i, j), max(i, j)
        out = list(ev)
        out[i], out[j] = out[j], out[i]
        return (i, j), f"events {i + 1} ({ev[i].event}) and {j + 1} ({ev[j].event}) swapped", out, i
    if kind == "field":
        keys = [k for k in ev[i].fields if k != "node" and len(values.get(k, ())) > 1]
        if not keys:
            return None
        k = rnd.choice(sorted(keys))
        new = rnd.choice([v for v in values[k] if v != ev[i].fields[k]])
        e = ev[i]
        changed = TraceEvent(e.line, e.seq, e.time, e.node, e.event, {**e.fields, k: new})
        return (i, k, repr(new)), f"event {i + 1} ({e.event}): {k} = {new!r}", ev[:i] + [changed] + ev[i + 1:], i
    if kind == "wrong_node":
        e = ev[i]
        others = [x for x in nodes if x != e.fields.get("node")]
        if "node" not in e.fields or not others:
            return None
        other = rnd.choice(others)
        fake = TraceEvent(e.line, e.seq, e.time, other, e.event, {**e.fields, "node": other})
        return (i, str(other)), f"a copy of event {i + 1} ({e.event}) from {other}", ev[:i + 1] + [fake] + ev[i + 1:], i + 1
    raise ValueError(kind)
