"""``check --symmetry/--por``: explore reduced, check what the reductions preserve, the rest without them.

>>> from protoverify import load_model_text
>>> net = load_model_text('''
...   model M
...   colset Node = 1..3 symmetric
...   place Idle : Node = all
...   place Busy : Node
...   transition go in Idle : n  out Busy : n
... ''')
>>> space, results, info, full = check_reduced(net, [], symmetry=True, por=False)
>>> info["applied"], info["states"], space.dead_markings
(['symmetry'], 4, 1)
"""

from __future__ import annotations

from .explorer import explore_reduced
from .preserve import unpreserved, visible_places

__all__ = ["check_reduced", "render_reductions"]


def check_reduced(net, props, *, symmetry: bool, por: bool, max_states=None, timeout=None, progress=None,
                  home: bool = False, explorer=None, full_states: bool = False):
    """Explore with the reductions and check ``props``: ``(space, results or None, info, full space or None)``.

    Properties a requested reduction may not preserve are checked on a full
    exploration (same limits), each with a note naming the reduction;
    ``home`` (the ``--home`` report) too.  ``full_states`` explores the full
    state space anyway, to report the reduction factor.
    """
    from ...props.check import check
    from ..statespace import explore
    requested = [r for r, on in (("symmetry", symmetry), ("por", por)) if on]
    inert = []
    if symmetry:
        from .symmetry import Canonicaliser
        if not Canonicaliser(net).active:
            symmetry = False  # nothing to reduce: no property needs to be checked without it
            inert.append("symmetry: the model has no `symmetric` colour set with two values or more in a "
                         "place; nothing to reduce")
    active = [r for r, on in (("symmetry", symmetry), ("por", por)) if on]
    finals = [p for p in props if p.kind == "final"]
    checked = [p for p in props if p.kind != "final"]
    reduced_props, full_props, why = [], [], {}
    for p in checked:
        reasons = [f"--{r}: {w}" for r in active if (w := unpreserved(p, r, finals)) is not None]
        if reasons:
            full_props.append(p)
            why[id(p)] = "; ".join(reasons)
        else:
            reduced_props.append(p)
    visible = None
    if por and any(p.kind in ("invariant", "reachable", "bound") for p in reduced_props):
        visible = visible_places(reduced_props)
    space = explore_reduced(net, symmetry=symmetry, por=por, visible=visible, max_states=max_states,
                            timeout=timeout, progress=progress,
                            keep_successors=any(p.needs_graph for p in reduced_props))
    if explorer != "python":
        space.fallback = "reductions run in the Python explorer"
    results = {}
    for p in reduced_props:
        r = check(space, p, finals)
        results[id(p)] = r
    full = None
    if full_props or home or full_states:
        need_graph = home or any(p.needs_graph for p in full_props)
        full = explore(net, max_states=max_states, timeout=timeout, keep_successors=need_graph,
                       explorer=explorer)
        for p in full_props:
            r = check(full, p, finals)
            r.space = full
            r.note = (r.note + "; " if r.note else "") + f"checked without reductions ({why[id(p)]})"
            results[id(p)] = r
    info = {
        "requested": requested,
        "applied": list(space.reductions),
        "states": space.states,
        "full_states": full.states if full is not None and full.complete and space.complete else None,
        "factor": None,
        "notes": inert + list(space.notes),
        "unreduced_properties": [{"name": p.name, "reason": why[id(p)]} for p in full_props],
    }
    if info["full_states"]:
        info["factor"] = round(info["full_states"] / max(1, space.states), 2)
    if "symmetry" in space.reductions:
        c = space.canon
        info["symmetric_sets"] = {cs.name: cs.size for cs in c.sets}
        info["group_order"] = c.group_order
    if "por" in space.reductions:
        info["por_mode"] = "safety" if visible is not None else "deadlock"
    ordered = [results[id(p)] for p in checked] if props else None
    return space, ordered, info, full


def render_reductions(info: dict) -> list[str]:
    """Text lines saying which reductions were applied and what the figures mean."""
    lines = []
    if not info["requested"]:
        return lines
    applied = info["applied"]
    parts = []
    if "symmetry" in applied:
        sets = ", ".join(f"{n} ({k} values)" for n, k in info["symmetric_sets"].items())
        parts.append(f"symmetry over {sets}: one marking per orbit, group of {info['group_order']:,} permutations")
    if "por" in applied:
        parts.append("partial order (stubborn sets, "
                     + ("dead markings and the safety properties' places" if info.get("por_mode") == "safety"
                        else "dead markings") + " preserved)")
    if parts:
        lines.append("reductions: " + "; ".join(parts))
        if info["full_states"]:
            lines.append(f"  {info['states']:,} markings against {info['full_states']:,} in the full state space "
                         f"(factor {info['factor']:,})")
        else:
            lines.append(f"  {info['states']:,} markings; the full state space was not explored (factor unknown)")
        if "por" in applied:
            lines.append("  under --por the bounds below are lower bounds and a transition that never fired "
                         "may still fire in the full state space")
        if "symmetry" in applied:
            lines.append("  under --symmetry each marking below stands for its orbit (counts are orbits)")
    else:
        lines.append("reductions: none applied")
    for n in info["notes"]:
        lines.append(f"  note: {n}")
    for u in info["unreduced_properties"]:
        lines.append(f"  property `{u['name']}` checked without reductions: {u['reason']}")
    return lines
