"""Why an event could not be matched: one reason per candidate transition.

The reasons are computed independently of the replay's enumeration: the
variables a label field names directly are bound from the event, then every
arc and guard conjunct whose variables are all bound is evaluated against
each possible marking.  What fails first is reported in the user's terms:
the place that lacks a token (and what it holds), the place an inhibitor
arc wants empty, the guard that is false with which binding, or the field
whose value differs.
"""

from __future__ import annotations

import difflib
import functools

from ..explore.firing import _vars  # the slots an expression reads (same walk as the explorer's)
from ..net import ir
from ..net.evaluate import EvalFailure, compile_expr, compile_ms
from ..net.show import binding_to_json, marking_to_json, show_multiset
from .trace import TraceEvent

__all__ = ["explain_failure"]

MAX_MARKINGS_EXAMINED = 200


def explain_failure(net: ir.Net, labels: dict, ev: TraceEvent, index: int, before: list, expectations: list):
    from .replay import SHOWN_MARKINGS, Failure

    shown = [marking_to_json(net, m) for m in before[:SHOWN_MARKINGS]]
    where = ("the one marking the net can be in" if len(before) == 1
             else f"any of the {len(before):,} markings the net may be in")
    if not expectations:
        known = sorted(labels)
        close = difflib.get_close_matches(ev.event, known, n=3)
        hint = f"; did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
        msg = (f"no transition of the model emits `{ev.event}`{hint} (the model's events: "
               f"{', '.join(known) if known else 'none'})")
        return Failure(index, ev, before, shown, [], msg)
    candidates = []
    for lab, values, why_not in expectations:
        reason, details = (why_not, []) if why_not is not None else _why_not_enabled(net, lab, ev, values, before)
        candidates.append({"transition": lab.ct.name, "reason": reason, "details": details})
    msg = f"no transition emitting `{ev.event}` with these fields is enabled in {where}"
    return Failure(index, ev, before, shown, candidates, msg)


def _why_not_enabled(net: ir.Net, lab, ev: TraceEvent, values: list, before: list) -> tuple[str, list[str]]:
    """A headline and the failed preconditions (or differing fields) behind it."""
    t: ir.Transition = lab.ct.ir
    # 1. enabled with other field values?  Show the closest binding.
    best = None
    for k, m in enumerate(before[:MAX_MARKINGS_EXAMINED]):
        views = [dict(pl) for pl in m]
        try:
            for env, _ in lab.ct.enabled(views):
                diffs = _field_diffs(lab, env, values, ev)
                if best is None or len(diffs) < len(best[0]):
                    best = (diffs, env, k)
        except EvalFailure:
            continue
    if best is not None:
        diffs, env, k = best
        b = ", ".join(f"{n} = {v}" for n, v in binding_to_json(t, env).items())
        return (f"enabled{_in_marking(k, before)} with binding ({b}), but no enabled binding gives the "
                f"event's fields:", diffs)
    # 2. not enabled at all: bind what the event names and find the first precondition that fails
    env = [None] * len(t.variables)
    for (name, _, _), field_expr, want in zip(lab.fields, (e for _, e in t.emit.fields), values):
        if isinstance(field_expr, ir.Var):
            if env[field_expr.slot] is not None and env[field_expr.slot] != want:
                return (f"the event's fields disagree: `{name}` and another field both give variable "
                        f"`{field_expr.name}`, with different values", [])
            env[field_expr.slot] = want
    bound = {i for i, v in enumerate(env) if v is not None}
    shown_binding = ", ".join(f"{t.variables[i][0]} = {t.variables[i][1].show(env[i])}" for i in sorted(bound))
    problems_per_marking = []
    for k, m in enumerate(before[:MAX_MARKINGS_EXAMINED]):
        problems_per_marking.append((_preconditions(net, t, env, bound, m), k))
    problems, k = min(problems_per_marking, key=lambda pk: (len(pk[0]) == 0, pk[1]))
    with_b = f" with {shown_binding}" if shown_binding else ""
    if problems:
        return f"not enabled{_in_marking(k, before)}{with_b}:", problems
    free = [t.variables[i][0] for i in range(len(t.variables)) if i not in bound]
    return (f"not enabled{_in_marking(k, before)}{with_b}:",
            [f"no value of {', '.join(f'`{n}`' for n in free) or 'its variables'} taken from the tokens present "
             f"satisfies every arc and the guard"])


def _in_marking(k: int, before: list) -> str:
    return "" if len(before) == 1 else f" in possible marking #{k + 1}"


def _field_diffs(lab, env, values, ev: TraceEvent) -> list[str]:
    out = []
    args = list(env)
    for (name, f, typ), want in zip(lab.fields, values):
        got = f(args)
        if got != want:
            out.append(f"field `{name}` would be {typ.show(got)} (the event has {_show_json(ev.fields[name])})")
    return out


def _show_json(v) -> str:
    import json
    return json.dumps(v)


def _preconditions(net: ir.Net, t: ir.Transition, env: list, bound: set, marking) -> list[str]:
    """Arcs and guard conjuncts fully determined by ``env`` that fail in ``marking``."""
    out = []
    args = list(env)
    for arc in t.arcs:
        if arc.kind in ("in", "read") and not _ms_vars(arc.inscription) <= bound:
            if not marking[arc.place.index]:
                out.append(f"place `{arc.place.name}` is empty (the arc on line {arc.loc.line} needs a token)")
            continue
        if arc.kind == "out" or not _ms_vars(arc.inscription) <= bound:
            continue
        try:
            demand = {}
            for v, n in compile_ms(arc.inscription)(args):
                demand[v] = demand.get(v, 0) + n
        except EvalFailure:
            continue
        held = dict(marking[arc.place.index])
        cs = arc.place.colset
        holds = show_multiset(cs, marking[arc.place.index])
        if arc.kind == "inhibit":
            present = [v for v in demand if demand[v] and v in held]
            if present:
                out.append(f"inhibitor arc on `{arc.place.name}` (line {arc.loc.line}) wants no "
                           f"{', '.join(cs.show(v) for v in present)} there, but it holds {holds}")
            continue
        lacking = [(v, n) for v, n in demand.items() if held.get(v, 0) < n]
        if lacking:
            need = " ++ ".join(cs.show(v) if n == 1 else f"{n}'{cs.show(v)}" for v, n in lacking)
            verb = "read" if arc.kind == "read" else "take"
            out.append(f"place `{arc.place.name}` has no {need} to {verb} (line {arc.loc.line}; it holds {holds})")
    for g in t.guard:
        if not _vars(g) <= bound:
            continue
        try:
            ok = compile_expr(g)(args)
        except EvalFailure as err:
            out.append(f"the guard cannot be evaluated: {err.message}")
            continue
        if not ok:
            text = _guard_text(t)
            out.append(f"the guard{f' `{text}`' if text else ''} is false")
    return out


def _ms_vars(terms) -> set[int]:
    out: set[int] = set()
    for term in terms:
        if isinstance(term, ir.MsTerm):
            out |= _vars(term.value) | (_vars(term.coef) if term.coef is not None else set())
        elif isinstance(term, ir.MsIf):
            out |= _vars(term.cond) | _ms_vars(term.then) | _ms_vars(term.orelse)
    return out


def _guard_text(t: ir.Transition) -> str:
    """The guard as written in the model (its source line), if it can be found."""
    lines = _source_lines(t.loc.file)
    if not lines:
        return ""
    for line in lines[t.loc.line:t.loc.line + 40]:
        s = line.strip()
        if s.startswith("transition "):
            break
        if s.startswith("guard "):
            return s[len("guard "):].split("//")[0].strip()
    return ""


@functools.lru_cache(maxsize=16)
def _source_lines(path: str) -> tuple[str, ...]:
    try:
        with open(path, encoding="utf-8") as fh:
            return tuple(fh.read().split("\n"))
    except (OSError, UnicodeDecodeError):
        return ()
