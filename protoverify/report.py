"""The result of ``protoverify check``: one dict for machines, text for people.

Everything in the report except ``stats`` is a pure function of the model,
its parameters and the options, so two runs print identical bytes.
"""

from __future__ import annotations

from .explore.statespace import StateSpace
from .net.show import marking_to_json, show_marking, show_multiset

__all__ = ["build_report", "render_text", "exit_code", "EXIT_OK", "EXIT_FAIL", "EXIT_INPUT", "EXIT_INCOMPLETE",
           "EXIT_INTERNAL", "MAX_DEADLOCKS_SHOWN"]

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
MAX_DEADLOCKS_SHOWN = 10


def build_report(space: StateSpace) -> dict:
    net = space.net
    deadlocks = []
    for state in space.dead[:MAX_DEADLOCKS_SHOWN]:
        path = space.path_to(state)
        deadlocks.append({
            "state": state,
            "length": len(path),
            "path": [s.to_json() for s in path],
            "marking": marking_to_json(net, space.markings[state]),
        })
    if space.dead:
        verdict = "deadlock"
    elif not space.complete:
        verdict = "incomplete"
    else:
        verdict = "ok"
    seconds = round(space.elapsed, 6)
    return {
        "model": net.name,
        "file": net.file,
        "params": dict(net.params),
        "complete": space.complete,
        "stop_reason": space.stop_reason,
        "max_states": space.max_states,
        "states": space.states,
        "edges": space.edges,
        "expanded": space.expanded,
        "dead_markings": space.dead_markings,
        "deadlocks": deadlocks,
        "bounds": {p.name: space.bounds[p.index] for p in net.places},
        "dead_transitions": space.dead_transitions,
        "verdict": verdict,
        "stats": {
            "seconds": seconds,
            "states_per_second": round(space.expanded / seconds) if seconds > 0 else None,
        },
    }


def exit_code(report: dict) -> int:
    if report["verdict"] == "deadlock":
        return EXIT_FAIL
    if report["verdict"] == "incomplete":
        return EXIT_INCOMPLETE
    return EXIT_OK


def _diff(net, before, after) -> list[str]:
    """Only the places that changed: tokens removed (-) and added (+)."""
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


def render_text(space: StateSpace, report: dict) -> str:
    net = space.net
    lines = []
    params = ", ".join(f"{k}={v}" for k, v in report["params"].items())
    lines.append(f"model {report['model']} ({report['file']})" + (f"  params: {params}" if params else ""))
    status = "complete" if report["complete"] else {
        "max-states": f"INCOMPLETE: stopped at the state limit ({report['max_states']:,}; raise it with "
                      f"--max-states)",
        "timeout": "INCOMPLETE: stopped by --timeout",
    }.get(report["stop_reason"], "INCOMPLETE")
    lines.append(f"state space: {report['states']:,} markings, {report['edges']:,} edges ({status})")
    if not report["complete"]:
        lines.append(f"  {report['expanded']:,} markings expanded; the figures below cover those only")
    bounds = ", ".join(f"{k} <= {v}" for k, v in report["bounds"].items())
    lines.append(f"bounds: {bounds}" if bounds else "bounds: (no places)")
    dead_t = report["dead_transitions"]
    if report["complete"]:
        lines.append("dead transitions: " + (", ".join(dead_t) if dead_t else "none"))
    else:
        lines.append("never enabled so far: " + (", ".join(dead_t) if dead_t else "none"))
    n = report["dead_markings"]
    if n == 0:
        lines.append("dead markings: none" if report["complete"] else "dead markings: none found so far")
    else:
        shown = len(report["deadlocks"])
        lines.append(f"dead markings: {n:,}" + (f" (the {shown} closest shown)" if n > shown else ""))
        for k, d in enumerate(report["deadlocks"], 1):
            lines.append("")
            lines.append(f"  dead marking #{k}, reached in {d['length']} step(s):")
            path = space.path_to(d["state"])
            prev = space.markings[0]
            for i, step in enumerate(path, 1):
                event = ""
                ev = step.event
                if ev is not None:
                    fields = ", ".join(f"{k} = {v}" for k, v in ev.items() if k != "event")
                    event = f"   emits {ev['event']}({fields})"
                lines.append(f"    {i:>3}. {step.show()}{event}")
                after = space.markings[step.target]
                for change in _diff(net, prev, after):
                    lines.append(f"           {change}")
                prev = after
            lines.append("    dead marking:")
            for row in show_marking(net, space.markings[d["state"]]).splitlines():
                lines.append(f"      {row}")
    lines.append("")
    verdict = report["verdict"]
    if verdict == "ok":
        lines.append("verdict: no dead marking")
    elif verdict == "deadlock":
        lines.append("verdict: DEADLOCK — a reachable marking enables no transition")
    else:
        lines.append("verdict: UNKNOWN — exploration incomplete, no dead marking found so far")
    return "\n".join(lines) + "\n"
