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


def build_report(space: StateSpace, results: list | None = None, home: dict | None = None,
                 reductions: dict | None = None) -> dict:
    """The report of ``check`` as JSON-ready data (``reductions``: what ``--symmetry``/``--por`` did)."""
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
    if results is not None:
        verdicts = [r.verdict for r in results]
        verdict = "fails" if "fails" in verdicts else "incomplete" if "unknown" in verdicts or \
            not space.complete else "ok"
    elif space.dead:
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
        **({"properties": [r.to_json() for r in results]} if results is not None else {}),
        **({"home_markings": home} if home is not None else {}),
        **({"reductions": reductions} if reductions is not None else {}),
        "stats": _stats(space, seconds),
    }


def _stats(space: StateSpace, seconds: float) -> dict:
    """Measurements: the only part of the report that differs between runs and explorers."""
    bps = space.bytes_per_state()
    out = {
        "seconds": seconds,
        "states_per_second": round(space.expanded / seconds) if seconds > 0 else None,
        "bytes_per_state": round(bps, 1) if bps is not None else None,
        "explorer": space.explorer,
    }
    if getattr(space, "workers", 1) > 1:
        out["workers"] = space.workers
    if space.fallback:
        out["fallback"] = space.fallback
    if space.compact:
        out["compact"] = True
        out["missed_state_probability"] = space.missed_state_probability
    return out


def exit_code(report: dict) -> int:
    if report["verdict"] in ("deadlock", "fails"):
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


def render_text(space: StateSpace, report: dict, results: list | None = None) -> str:
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
    if "reductions" in report:
        from .explore.reduce.run import render_reductions
        lines += render_reductions(report["reductions"])
    if space.compact:
        p = report["stats"]["missed_state_probability"]
        lines.append(f"  hash compaction (64-bit fingerprints): probability that a marking was missed {p:.1e}")
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
            lines.extend(render_steps(space, space.path_to(d["state"]), 0))
            lines.append("    dead marking:")
            for row in show_marking(net, space.markings[d["state"]]).splitlines():
                lines.append(f"      {row}")
    if results is not None:
        lines.append("")
        lines.append("properties:")
        for r in results:
            lines.extend(render_result(space, r))
    if report.get("home_markings") is not None:
        h = report["home_markings"]
        lines.append("")
        lines.append(f"home markings: {h['count']:,}" if h["count"] else "home markings: none (more than one "
                     "terminal strongly connected component)")
    lines.append("")
    verdict = report["verdict"]
    if verdict == "fails":
        lines.append("verdict: FAILS — " + ", ".join(r.name for r in results if r.verdict == "fails"))
    elif verdict == "ok" and results is not None:
        lines.append("verdict: every property holds")
    elif verdict == "ok":
        lines.append("verdict: no dead marking")
    elif verdict == "deadlock":
        lines.append("verdict: DEADLOCK — a reachable marking enables no transition")
    elif results is not None:
        lines.append("verdict: UNKNOWN — " + ", ".join(r.name for r in results if r.verdict == "unknown")
                     + " could not be decided")
    else:
        lines.append("verdict: UNKNOWN — exploration incomplete, no dead marking found so far")
    return "\n".join(lines) + "\n"


def render_steps(space: StateSpace, steps, start: int, *, markings: bool = False, first: int = 1) -> list[str]:
    """Numbered steps with the event each emits and the places each changes."""
    net = space.net
    lines = []
    prev = space.markings[start]
    for i, step in enumerate(steps, first):
        event = ""
        ev = step.event
        if ev is not None:
            fields = ", ".join(f"{k} = {v}" for k, v in ev.items() if k != "event")
            event = f"   emits {ev['event']}({fields})"
        lines.append(f"    {i:>3}. {step.show()}{event}")
        after = space.markings[step.target]
        for change in _diff(net, prev, after):
            lines.append(f"           {change}")
        if markings:
            for row in show_marking(net, after).splitlines():
                lines.append(f"             | {row}")
        prev = after
    return lines


def render_result(space: StateSpace, r, *, full: bool = False) -> list[str]:
    space = getattr(r, "space", None) or space  # checked on another exploration (a reduction did not apply)
    mark = {"holds": "holds", "fails": "FAILS", "unknown": "unknown"}[r.verdict]
    lines = [f"  {r.kind:<9} {r.name:<24} {mark}" + (f"  ({r.note})" if r.note else "")]
    if r.verdict == "fails" or full or (r.verdict == "holds" and r.kind == "reachable"):
        what = "witness" if r.verdict == "holds" else "counterexample"
        if r.stem or r.cycle:
            lines.append(f"    {what}: {len(r.stem)} step(s)" + (f", then a cycle of {len(r.cycle)}" if r.cycle else ""))
            lines.extend(render_steps(space, r.stem, 0, markings=full))
            if r.cycle:
                lines.append("    cycle (repeats forever):")
                start = r.stem[-1].target if r.stem else 0
                lines.extend(render_steps(space, r.cycle, start, markings=full, first=len(r.stem) + 1))
        if r.state is not None and r.verdict == "fails" and not r.cycle:
            lines.append("    violating marking:")
            for row in show_marking(space.net, space.markings[r.state]).splitlines():
                lines.append(f"      {row}")
    return lines
