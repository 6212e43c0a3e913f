"""What the pictures are pictures of: a checked model, its state space, its verdicts, traces.

The same steps as ``protoverify check`` (load, explore, check every
property) and ``protoverify conform`` (replay a trace with the model's
parameters taken from the trace header, then ``-D``), gathered for the
renderers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..net import ir

__all__ = ["Analysis", "analyse", "failing_result", "counterexample_chart", "load_trace", "conform_trace",
           "trace_chart"]


@dataclass
class Analysis:
    net: ir.Net
    props: list
    space: object  # StateSpace
    results: list  # props.check.Result
    prop_files: list[str]


def analyse(model: str, params: dict, prop_files: tuple[str, ...] = (), *, max_states: int | None = None,
            timeout: float | None = None) -> Analysis:
    """Load, explore and check ``model`` as ``protoverify check`` does."""
    from ..explore.statespace import explore
    from ..loader import load_checked, property_files
    from ..props.check import check_all
    from ..props.model import Property

    net, props = load_checked(model, params, list(prop_files), discover=True)
    used = property_files(model, net, list(prop_files), discover=True)
    if not any(p.kind == "deadlock" for p in props):
        props.insert(0, Property("deadlock", "deadlock", net.transitions[0].loc if net.transitions else None,
                                 "no dead marking"))
    need_graph = any(p.needs_graph for p in props)
    space = explore(net, max_states=max_states, timeout=timeout, keep_successors=need_graph)
    return Analysis(net, props, space, check_all(space, props), used)


def failing_result(analysis: Analysis, name: str | None):
    """The result to draw: property ``name``, or the first one that fails (None if none does)."""
    results = analysis.results
    if name is not None:
        for r in results:
            if r.name == name:
                return r
        raise InputError(f"--property: no property named `{name}`; the properties are: "
                         f"{', '.join(r.name for r in results)}")
    return next((r for r in results if r.verdict == "fails"), None)


def _prop(r) -> str:
    return r.name if r.kind == r.name else f"{r.kind} {r.name}"


def _note(r) -> str:
    if r.verdict == "holds":
        return f"{_prop(r)} holds; this is its witness" + (f" ({r.note})" if r.note else "")
    head = f"{_prop(r)} FAILS" + (f": {r.note}" if r.note else "")
    if r.cycle:
        return head + f"\nthe shaded cycle of {len(r.cycle)} step(s) repeats forever"
    if r.kind == "deadlock":
        return head + "\nthe marking after the last step enables no transition"
    if r.stem:
        return head + f"\nthe marking after step {len(r.stem)} is the violation"
    if r.state == 0:
        return head + "\nthe initial marking is the violation"
    return head


def counterexample_chart(analysis: Analysis, r, lifelines: tuple[str, ...] | None = None):
    """The sequence chart of result ``r``'s counterexample (or witness)."""
    from ._chart import chart_from_steps

    space = analysis.space
    steps = list(r.stem) + list(r.cycle)
    markings = [space.markings[0]] + [space.markings[s.target] for s in steps]
    params = ", ".join(f"{k} = {v}" for k, v in analysis.net.params.items())
    what = "witness for" if r.verdict == "holds" else "counterexample to"
    return chart_from_steps(
        analysis.net, steps, markings, cycle_from=len(r.stem) if r.cycle else None,
        highlight_last=r.verdict == "fails", lifelines=lifelines,
        title=f"{analysis.net.name}: {what} {_prop(r)}",
        subtitle=(f"params: {params} · " if params else "") + f"{len(r.stem)} step(s)"
        + (f" then a cycle of {len(r.cycle)}" if r.cycle else ""),
        note=_note(r))


# -------------------------------------------------------------------- traces
def load_trace(path: str):
    from ..conform import read_trace
    return read_trace(path)


def conform_trace(model: str, trace, overrides: dict):
    """Replay ``trace`` on ``model``: parameters from the trace header (those the model has), then ``-D``."""
    from ..conform import conform
    from ..loader import load_model

    base = load_model(model, overrides)
    params = {}
    for name, value in trace.params.items():
        if name in base.params:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f"{trace.path}:1: error: the header's params give `{name}` = {value!r}; "
                                 f"model parameters are integers [PV402]")
            params[name] = value
    params.update(overrides)
    net = load_model(model, params) if params else base
    return conform(net, trace)


def trace_chart(trace, *, result=None, lifelines: tuple[str, ...] | None = None, max_events: int = 200):
    """The chart of a recorded trace: its first ``max_events`` events, or, for a
    trace that does not conform, the events just before the first failing one and that event."""
    from ._chart import chart_from_events

    events = list(trace.events)
    nodes = {ev.node for ev in events if isinstance(ev.node, (str, int)) and not isinstance(ev.node, bool)}
    proto = trace.header.get("protocol", "?")
    subtitle = f"{trace.path}: {len(events):,} event(s), protocol {proto}"
    if result is not None and result.failure is not None:
        f = result.failure
        start = max(0, f.index + 1 - max_events)
        shown = events[start:f.index + 1]
        lines = [f"event seq {f.event.seq} (line {f.event.line}) cannot be matched: {f.message}"]
        for c in f.candidates[:6]:
            lines.append(f"  {c['transition']}: {c['reason']}")
        if len(f.candidates) > 6:
            lines.append(f"  … {len(f.candidates) - 6} more candidate(s)")
        if not f.candidates:
            lines.append("  no transition of the model emits this event")
        return chart_from_events(shown, highlight=len(shown) - 1, lifelines=lifelines, known_nodes=nodes,
                                 title=f"{proto} trace: does NOT conform (first failure at event {f.index + 1})",
                                 subtitle=subtitle, note="\n".join(lines), elided=start)
    shown = events[:max_events]
    note = f"… {len(events) - len(shown):,} later event(s) not shown (--max-events)" if len(events) > len(shown) \
        else ""
    title = f"{proto} trace" + ("" if result is None else f": conforms ({result.matched:,} events matched)")
    return chart_from_events(shown, lifelines=lifelines, known_nodes=nodes, title=title, subtitle=subtitle,
                             note=note)
