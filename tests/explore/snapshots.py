"""Everything the property checkers and the report can observe of a state space.

Two explorers agree when these snapshots are equal: state numbering,
markings, parents, the transition that first reached each state, successor
lists in order (with bindings), dead markings, bounds, fired transitions,
shortest paths (with bindings and events), and the lookup of markings.
"""

from __future__ import annotations

from protoverify import ModelRuntimeError, explore


def snapshot(space, *, paths: int = 40) -> dict:
    n = space.states
    out = {
        "states": n,
        "edges": space.edges,
        "expanded": space.expanded,
        "complete": space.complete,
        "stop_reason": space.stop_reason,
        "dead": list(space.dead),
        "bounds": list(space.bounds),
        "fired": list(space.fired),
        "dead_transitions": space.dead_transitions,
        "markings": [space.markings[s] for s in range(n)],
        "parent": [space.parent[s] for s in range(n)],
        "via": [space.via[s] for s in range(n)],
    }
    if space.successors is not None:
        out["successors"] = [list(space.successors[s]) for s in range(len(space.successors))]
    step = max(1, n // paths)
    chosen = sorted(set(range(0, n, step)) | set(space.dead[:10]))
    out["paths"] = {s: [(st.transition.name, st.env, st.target, st.to_json()) for st in space.path_to(s)]
                    for s in chosen}
    out["index"] = {s: space.index[space.markings[s]] for s in chosen}
    out["enabled"] = {s: sorted(space.enabled_transitions(s)) for s in chosen if s < space.expanded}
    return out


def outcome(net, explorer: str, **kw):
    """``(("space", snapshot), space)`` or ``(("error", the ModelRuntimeError's fields), None)``."""
    try:
        space = explore(net, explorer=explorer, **kw)
    except ModelRuntimeError as err:
        return ("error", (err.message, err.transition, err.binding, err.marking, err.hint, err.location,
                          err.render())), None
    return ("space", snapshot(space)), space


def same_outcome(net, explorers=("python", "compiled"), **kw):
    """Explore with each explorer, assert the outcomes are equal, return ``{explorer: space or None}``."""
    results, spaces = {}, {}
    for e in explorers:
        results[e], spaces[e] = outcome(net, e, **kw)
    first = explorers[0]
    a = results[first]
    for e in explorers[1:]:
        b = results[e]
        assert a[0] == b[0], f"{first}: {a[0]} {a[1] if a[0] == 'error' else ''}, {e}: {b[0]} " \
                             f"{b[1] if b[0] == 'error' else ''}"
        if a[0] == "error":
            assert a == b, f"errors differ:\n{first}: {a}\n{e}: {b}"
        else:
            for key in a[1]:
                assert a[1][key] == b[1][key], f"{key} differs between {first} and {e}"
    return spaces
