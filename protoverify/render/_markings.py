"""Marking differences, as the text report shows them: the places a step changes.

>>> from protoverify import load_model_text
>>> net = load_model_text("model M  colset C = 1..3  place P : C = all  place Q : C")
>>> marking_diff(net, net.initial_marking, (((1, 1),), ((2, 1), (3, 2))))
['P -2 ++ 3', "Q +2 ++ 2'3"]
"""

from __future__ import annotations

from ..net import ir
from ..net.show import show_multiset

__all__ = ["marking_diff"]


def marking_diff(net: ir.Net, before, after) -> list[str]:
    """One line per place that changed: ``Place -removed +added``."""
    out = []
    for p in net.places:
        a, b = dict(before[p.index]), dict(after[p.index])
        if a == b:
            continue
        removed = sorted((v, a[v] - b.get(v, 0)) for v in a if a[v] > b.get(v, 0))
        added = sorted((v, b[v] - a.get(v, 0)) for v in b if b[v] > a.get(v, 0))
        parts = []
        if removed:
            parts.append("-" + show_multiset(p.colset, removed))
        if added:
            parts.append("+" + show_multiset(p.colset, added))
        out.append(f"{p.name} {' '.join(parts)}")
    return out
