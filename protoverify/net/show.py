"""Markings and bindings as text and as JSON, in the model's own notation.

>>> from .colours import RangeSet
>>> from .ir import Loc, Net, Place
>>> node = RangeSet("Node", 1, 3)
>>> idle = Place(0, "Idle", node, ((1, 1), (3, 2)), Loc("m.cpn", 1, 1))
>>> net = Net("M", "m.cpn", {}, {"Node": node}, {}, (idle,), ())
>>> show_multiset(node, idle.initial)
"1 ++ 2'3"
>>> marking_to_json(net, net.initial_marking)
{'Idle': [[1, 1], [3, 2]]}
"""

from __future__ import annotations

from .colours import ColourSet
from .ir import Net, Transition

__all__ = ["show_multiset", "show_marking", "marking_to_json", "binding_to_json", "show_binding"]


def show_multiset(colset: ColourSet, ms) -> str:
    if not ms:
        return "empty"
    parts = []
    for v, n in ms:
        text = colset.show(v)
        parts.append(text if n == 1 else f"{n}'{text}")
    return " ++ ".join(parts)


def show_marking(net: Net, marking, *, skip_empty: bool = True) -> str:
    """One line per place, ``Place: multiset``; empty places omitted by default."""
    lines = []
    for p in net.places:
        ms = marking[p.index]
        if skip_empty and not ms:
            continue
        lines.append(f"{p.name}: {show_multiset(p.colset, ms)}")
    return "\n".join(lines) if lines else "(every place is empty)"


def marking_to_json(net: Net, marking) -> dict:
    """``{place: [[value, count], ...]}`` for non-empty places, in declaration order."""
    out = {}
    for p in net.places:
        ms = marking[p.index]
        if ms:
            out[p.name] = [[p.colset.to_json(v), n] for v, n in ms]
    return out


def binding_to_json(t: Transition, env) -> dict:
    return {name: cs.to_json(env[i]) for i, (name, cs) in enumerate(t.variables)
            if i < len(env) and env[i] is not None}


def show_binding(t: Transition, env) -> str:
    return ", ".join(f"{name} = {cs.show(env[i])}" for i, (name, cs) in enumerate(t.variables)
                     if i < len(env) and env[i] is not None)
