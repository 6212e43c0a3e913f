"""Trace conformance: replay a recorded trace on a net and say whether the net can produce it.

Each event must be matched by a transition whose ``emit`` label has the
event's name, enabled in a marking the net may be in, with every label field
equal to the event's field under the binding.  Transitions without a label
are *silent*: any number of them may fire before each event.  The net's
choices are never guessed: the replay keeps the set of every marking the
net may be in (after the silent closure), so a conforming trace is never
rejected because of an early wrong choice.  When an event cannot be matched,
:mod:`.explain` says why for each candidate transition.

Event values are read in the model's terms: a node name ``"n3"`` (any
letters followed by digits) is the integer ``3`` of an integer range, an
enumeration constant is its name, a product is a JSON array.
"""

from __future__ import annotations

import re
import weakref
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field

from ..errors import InputError, ModelRuntimeError
from ..net import colours as C
from ..net import ir
from ..net.evaluate import EvalFailure, compile_expr
from ..net.show import show_marking
from ..explore.firing import compile_net
from .reduce import _WILD as _NOT_KNOWN
from .reduce import LazyViews
from .reduce import BIG_PLACE, HASH_MASK, _Marking, _Place, entries_hash
from .reduce import _with_places as _hashed  # markings that keep their hash (and long places theirs)
from .trace import Trace, TraceEvent

__all__ = ["conform", "ConformResult", "Failure", "SilentClosureTooLarge", "to_model_value",
           "ValueMismatch", "DEFAULT_SILENT_LIMIT", "DEFAULT_SET_LIMIT"]

DEFAULT_SILENT_LIMIT = 100_000  # markings in one silent closure
DEFAULT_SET_LIMIT = 1_000_000   # markings kept at once
SHOWN_MARKINGS = 3


class ValueMismatch(Exception):
    """An event value that is not a value of the label field's type."""


class SilentClosureTooLarge(InputError):
    """The silent transitions reach more markings than the limit from one point of the trace."""

    exit_code = 3


_NAME_NUMBER = re.compile(r"^[A-Za-z_][A-Za-z_\-]*?(-?\d+)$")


def to_model_value(value, typ: C.Type):
    """The model value a JSON event value stands for, or :class:`ValueMismatch`.

    >>> to_model_value("n3", C.RangeSet("Node", 1, 4)), to_model_value(3, C.RangeSet("Node", 1, 4))
    (3, 3)
    >>> to_model_value("done", C.EnumSet("Status", ("running", "done")))
    1
    >>> to_model_value(["n1", "done"], C.ProductSet("P", (C.RangeSet("Node", 1, 2), C.EnumSet("S", ("done",)))))
    (1, 0)
    """
    if isinstance(typ, C.EnumSet):
        if isinstance(value, str) and value in typ.constants:
            return typ.constants.index(value)
        raise ValueMismatch(f"{_j(value)} is not one of {typ.describe()}")
    if isinstance(typ, C.BoolType):
        if isinstance(value, bool):
            return value
        raise ValueMismatch(f"{_j(value)} is not a boolean")
    if isinstance(typ, (C.RangeSet, C.IntType)):
        v = value
        if isinstance(v, str):
            m = _NAME_NUMBER.match(v)
            if m is None:
                raise ValueMismatch(f"{_j(value)} is not an integer nor a name ending in one (like \"n3\")")
            v = int(m.group(1))
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueMismatch(f"{_j(value)} is not an integer")
        if isinstance(typ, C.RangeSet) and not typ.contains(v):
            raise ValueMismatch(f"{_j(value)} is outside {typ.describe()}")
        return v
    comps = typ.components if isinstance(typ, C.ProductSet) else getattr(typ, "items", None)
    if comps is not None:
        if not isinstance(value, list) or len(value) != len(comps):
            raise ValueMismatch(f"{_j(value)} is not a list of {len(comps)} values")
        return tuple(to_model_value(v, t) for v, t in zip(value, comps))
    raise ValueMismatch(f"values of {typ!r} cannot be read from a trace")


def _j(v) -> str:
    import json
    return json.dumps(v)


@dataclass
class Failure:
    """The first event the net could not match, and why."""

    index: int                 # 0-based position of the event in the trace
    event: TraceEvent
    markings: list             # the markings the net may be in just before it (canonical tuples)
    markings_json: list        # the same, as JSON, at most SHOWN_MARKINGS of them
    candidates: list           # [{"transition": name, "reason": text}]
    message: str               # one line: what went wrong

    def to_json(self) -> dict:
        return {"index": self.index, "line": self.event.line, "seq": self.event.seq,
                "event": self.event.to_json(), "message": self.message,
                "possible_markings": len(self.markings), "markings": self.markings_json,
                "candidates": self.candidates}


@dataclass
class ConformResult:
    trace: Trace
    params: dict
    ok: bool
    matched: int               # events matched before the first failure (all of them if ok)
    failure: Failure | None
    max_markings: int          # the largest set of possible markings along the replay
    final_markings: int        # markings the net may be in after the last event matched
    silent_steps: int = 0      # silent firings explored in all closures
    notes: list = field(default_factory=list)
    net: ir.Net | None = field(default=None, repr=False)  # the net replayed on (its parameters applied)

    def to_json(self) -> dict:
        out = {"trace": self.trace.path, "conforms": self.ok, "events": len(self.trace.events),
               "matched": self.matched, "params": self.params, "max_possible_markings": self.max_markings,
               "final_possible_markings": self.final_markings, "notes": list(self.notes)}
        if self.failure is not None:
            out["failure"] = self.failure.to_json()
        return out


class _Label:
    """A transition's label, compiled: field name -> (evaluator, type)."""

    def __init__(self, ct):
        self.ct = ct
        em: ir.Emit = ct.ir.emit
        self.partial = em.partial
        self.fields = [(name, compile_expr(expr), expr.type) for name, expr in em.fields]
        self.names = {name for name, _, _ in self.fields}
        # label fields that are a variable: the event gives its value before any token is looked at
        self.prebound = [(k, expr.slot) for k, (_, expr) in enumerate(em.fields) if isinstance(expr, ir.Var)]
        self._filters = None

    def filters(self):
        """Places whose tokens may be filtered by the pre-bound variables: read by one pattern of the
        transition, and by no inhibitor arc of it; with that pattern (a reduce._Trans shape)."""
        if self._filters is None:
            from .reduce import _Trans
            tr = _Trans(self.ct.ir)
            count: dict = {}
            for p, _ in tr.inputs + tr.inhibits:
                count[p] = count.get(p, 0) + 1
            self._filters = (tr, [(p, s) for p, s in tr.inputs if count[p] == 1 and s[0] != "wild"])
        return self._filters

    def views(self, m, values):
        """The marking's places as dicts, the filterable ones holding only the tokens that fit the
        event's values (for enumerating bindings; firing uses the full marking)."""
        views = LazyViews(m)
        if not self.prebound:
            return views
        tr, filters = self.filters()
        env0 = {slot: values[k] for k, slot in self.prebound}
        for p, shape in filters:
            want = tr.value_of(shape, env0)
            if want is not _NOT_KNOWN:
                views.d[p] = {want: n for v, n in _lookup(m[p], want)}
            else:
                views.d[p] = {v: n for v, n in m[p] if tr.match(shape, v, dict(env0))}
        return views

    def expected(self, ev: TraceEvent):
        """The event's values in the model's terms, or a reason it cannot match this label at all."""
        missing = [n for n, _, _ in self.fields if n not in ev.fields]
        if missing:
            return None, (f"the label has field(s) {', '.join(f'`{n}`' for n in missing)} that the event "
                          f"does not carry")
        extra = [k for k in ev.fields if k not in self.names]
        if extra and not self.partial:
            return None, (f"the event carries field(s) {', '.join(f'`{k}`' for k in extra)} the label does "
                          f"not mention (add them to the label, or mark it `partial` to ignore them)")
        values = []
        for name, _, typ in self.fields:
            try:
                values.append(to_model_value(ev.fields[name], typ))
            except ValueMismatch as err:
                return None, f"field `{name}`: {err}"
        return values, None

    def matches(self, env, values) -> bool:
        args = list(env)
        for (_, f, _), want in zip(self.fields, values):
            if f(args) != want:
                return False
        return True


def conform(net: ir.Net, trace: Trace, *, params: dict | None = None,
            silent_limit: int = DEFAULT_SILENT_LIMIT, set_limit: int = DEFAULT_SET_LIMIT,
            lazy: bool = True, reduce: bool = True) -> ConformResult:
    """Replay ``trace`` on ``net`` (see the module docstring).

    ``lazy`` (the default) first replays firing silent transitions only when an event needs them
    (level by level, until the event matches): every marking kept is truly reachable, so a trace
    it accepts conforms, and it does not carry the thousands of combinations of silent steps
    nobody needed (pending clean-ups, cache updates).  If the lazy replay gets stuck, the exact
    replay (full silent closure before every event) decides and explains: the verdict never
    depends on ``lazy``, only the time and the reported set sizes do.

    ``reduce`` (the default) fires at once every silent step that provably cannot change what the
    net may still do (:mod:`.reduce`: a partial-order reduction of the silent closure), so that
    the set of possible markings does not multiply with pending clean-ups.  It changes neither the
    verdict nor the failing event, only the markings reported and the time.  With ``lazy`` too, a
    plain lazy replay comes first, then (if it gets stuck) a lazy replay with the eager steps, then
    the exact one.
    """
    compiled, silent, labels = _prepared(net)
    norm = _normalizer(net, compiled) if reduce and silent else None
    if lazy and silent:
        # plain first (cheapest per event); then with the eager steps, which take some silent steps
        # before an event that would disable them, where the plain lazy replay takes them too late
        for eager in ((None, norm) if norm is not None else (None,)):
            result = _replay(net, trace, silent, labels, silent_limit, set_limit, eager, lazy=True)
            if result.ok:
                return result
    return _replay(net, trace, silent, labels, silent_limit, set_limit, norm, lazy=False)


_PREPARED: "weakref.WeakKeyDictionary[ir.Net, tuple]" = weakref.WeakKeyDictionary()


def _prepared(net: ir.Net) -> tuple:
    """The net's compiled transitions, its silent ones, and its labels by event name (kept per net:
    a CI job replays many traces on one model)."""
    out = _PREPARED.get(net)
    if out is None:
        compiled = compile_net(net)
        silent = [ct for ct in compiled if ct.ir.emit is None]
        labels: dict[str, list[_Label]] = {}
        for ct in compiled:
            if ct.ir.emit is not None:
                labels.setdefault(ct.ir.emit.label, []).append(_Label(ct))
        out = _PREPARED[net] = (compiled, silent, labels)
    return out


def _normalizer(net, compiled):
    """The eager silent steps (see :mod:`.reduce`): a callable marking -> its normal form, whose
    ``enabled_silent(m)`` gives the silent bindings enabled in a normal form just computed."""
    from .reduce import Reducer

    reducer = Reducer(net, compiled)

    class Norm:
        enabled_silent = staticmethod(reducer.enabled_silent)

        def __call__(self, m, parent=None):
            return reducer.normalize(m, on_error, parent)

    def on_error(ct, err, m):
        return _runtime_error(net, ct, err, m)

    return Norm()


def _replay(net, trace, silent, labels, silent_limit, set_limit, active, *, lazy: bool) -> ConformResult:
    relevance: dict = {}
    start = _hashed(net.initial_marking) if active is None else active(net.initial_marking)
    current: dict = {start: None}  # insertion-ordered set
    stats = {"silent": 0, "max": 1}
    for i, ev in enumerate(trace.events):
        cands = labels.get(ev.event, [])
        expectations = [(lab, *lab.expected(ev)) for lab in cands]
        if lazy:
            rel = relevance.get(ev.event)
            if rel is None:
                rel = relevance[ev.event] = _relevant(silent, labels.get(ev.event, []))
            before, nxt = _lazy_step(net, silent, list(current), silent_limit, stats, ev, expectations, active, rel)
        else:
            before = _closure(net, silent, list(current), silent_limit, stats, ev, active)
            nxt = _match(net, before, expectations, active)
        stats["max"] = max(stats["max"], len(before))
        if len(nxt) > set_limit:
            raise SilentClosureTooLarge(
                f"{trace.path}:{ev.line}: more than {set_limit:,} markings are possible after event "
                f"seq {ev.seq}; the model is too nondeterministic to track (raise --set-limit)")
        if not nxt:
            if lazy:
                return ConformResult(trace, dict(net.params), False, i, None, stats["max"], 0, stats["silent"],
                                     net=net)
            from .explain import explain_failure
            failure = explain_failure(net, labels, ev, i, before, expectations)
            return ConformResult(trace, dict(net.params), False, i, failure, stats["max"], 0, stats["silent"],
                                 net=net)
        current = nxt
    return ConformResult(trace, dict(net.params), True, len(trace.events), None,
                         max(stats["max"], len(current)), len(current), stats["silent"], net=net)


def _fire(ct, m, env, removed):
    """``ct.fire(m, ...)`` for long traces: the same marking, but each changed place is edited in its
    sorted tuple (a binary search per token) instead of rebuilt through a dict and a sort, so that a
    place holding thousands of tokens (finished applications) costs a copy, not a sort.  ``m``
    comes from :func:`_hashed` or from here (its long places are :class:`_Place`)."""
    delta: dict = {}
    for p, need in removed.items():
        if need:
            d = delta.setdefault(p, {})
            for v, n in need.items():
                d[v] = d.get(v, 0) - n
    for p, fs in ct.produce:
        d = delta.setdefault(p, {})
        for f in fs:
            for v, n in f(env):
                d[v] = d.get(v, 0) + n
    new = list(m)
    for p, d in delta.items():
        place = m[p]
        if len(place) < 32:
            counts = dict(place)
            for v, n in d.items():
                c = counts.get(v, 0) + n
                if c:
                    counts[v] = c
                else:
                    counts.pop(v, None)
            new[p] = tuple(sorted(counts.items()))
            if len(new[p]) >= BIG_PLACE:
                new[p] = _Place(new[p])
            continue
        out = list(place)
        h = hash(place) if type(place) is _Place else entries_hash(place)
        for v in sorted(d):
            n = d[v]
            if not n:
                continue
            i = bisect_left(out, (v,))
            if i < len(out) and out[i][0] == v:
                h -= hash(out[i])
                c = out[i][1] + n
                if c:
                    out[i] = (v, c)
                    h += hash(out[i])
                else:
                    del out[i]
            else:
                out.insert(i, (v, n))
                h += hash(out[i])
        if len(out) >= BIG_PLACE:
            new[p] = _Place(out)
            new[p]._h = h & HASH_MASK  # = entries_hash(out), updated entry by entry
        else:
            new[p] = tuple(out)
    return _Marking(new)


def _lookup(place: tuple, value):
    """The ``(value, count)`` entry of a place's sorted tuple, as a list of zero or one entries."""
    i = bisect_left(place, (value,))
    return [place[i]] if i < len(place) and place[i][0] == value else []


def _match(net, markings, expectations, norm=None) -> dict:
    """The markings reached from ``markings`` by a transition matching the event (after their eager
    silent steps if ``norm``)."""
    nxt: dict = {}
    for m in markings:
        for lab, values, why_not in expectations:
            if why_not is not None:
                continue
            ct = lab.ct
            try:
                for env, removed in ct.enabled(lab.views(m, values)):
                    if lab.matches(env, values):
                        target = _fire(ct, m, env, removed)
                        nxt[target if norm is None else norm(target, m)] = None
            except EvalFailure as err:
                raise _runtime_error(net, ct, err, m) from None
    return nxt


def _relevant(silent, cands) -> frozenset:
    """The silent transitions that can help a candidate get enabled, directly or through others: those
    that put tokens where it (or another such transition) takes or reads some, or take tokens from
    where it wants none.  Another silent step can only take tokens such transitions need or add
    tokens their inhibitor arcs forbid, so a lazy step needs no other (see :func:`_lazy_step`)."""
    pos: set = set()
    neg: set = set()

    def wants(t: ir.Transition) -> None:
        for arc in t.arcs:
            if arc.kind in ("in", "read"):
                pos.add(arc.place.index)
            elif arc.kind == "inhibit":
                neg.add(arc.place.index)
    for lab in cands:
        wants(lab.ct.ir)
    rel: set = set()
    grew = True
    while grew:
        grew = False
        for ct in silent:
            if ct.index in rel:
                continue
            if any((a.kind == "out" and a.place.index in pos) or (a.kind == "in" and a.place.index in neg)
                   for a in ct.ir.arcs):
                rel.add(ct.index)
                wants(ct.ir)
                grew = True
    return frozenset(rel)


def _lazy_step(net, silent, start: list, limit: int, stats: dict, ev: TraceEvent, expectations, norm,
               relevant: frozenset | None = None):
    """Match the event in ``start``; if nothing matches, in the markings one silent step further,
    and so on until something matches or the silent closure is exhausted.

    Only ``relevant`` silent transitions are fired (all if None).  That changes nothing: a marking
    at the first level where the event matches has only relevant steps (a path with another step,
    the step left out, is still a path, one level shorter, after which the event matches too)."""
    seen = dict.fromkeys(start)
    frontier = list(start)
    while frontier:
        nxt = _match(net, frontier, expectations, norm)
        if nxt:
            return list(seen), nxt
        new = []
        for m in frontier:
            for target in _silent_successors(net, silent, m, stats, norm, relevant):
                if target not in seen:
                    seen[target] = None
                    new.append(target)
        if len(seen) > limit:
            return list(seen), {}  # let the exact replay report the limit
        frontier = new
    return list(seen), {}


def _silent_successors(net, silent, m, stats: dict, norm=None, only: frozenset | None = None):
    """Every marking one silent firing away from ``m`` (with repeats; after their eager steps if ``norm``;
    by transitions in ``only`` if given)."""
    if norm is not None:
        known = norm.enabled_silent(m)
        if known is not None:
            for ct, env, removed in known:
                if only is not None and ct.index not in only:
                    continue
                stats["silent"] += 1
                yield norm(_fire(ct, m, env, removed), m)
            return
    views = LazyViews(m)
    for ct in silent:
        if only is not None and ct.index not in only:
            continue
        try:
            for env, removed in ct.enabled(views):
                stats["silent"] += 1
                target = _fire(ct, m, env, removed)
                yield target if norm is None else norm(target, m)
        except EvalFailure as err:
            raise _runtime_error(net, ct, err, m) from None


def _closure(net, silent, start: list, limit: int, stats: dict, ev: TraceEvent, norm=None) -> list:
    """Every marking reachable from ``start`` by silent firings (``start`` first, then BFS order)."""
    if not silent:
        return start
    seen = dict.fromkeys(start)
    queue = deque(start)
    while queue:
        for target in _silent_successors(net, silent, queue.popleft(), stats, norm):
            if target not in seen:
                seen[target] = None
                queue.append(target)
                if len(seen) > limit:
                    names = ", ".join(f"`{t.ir.name}`" for t in silent)
                    raise SilentClosureTooLarge(
                        f"before event seq {ev.seq} (line {ev.line}): the silent transitions reach more "
                        f"than {limit:,} markings; they may fire forever (an unbounded silent "
                        f"cycle).  Silent transitions: {names}\n  hint: give the step an `emit` "
                        f"label if the implementation records it, bound the silent cycle in the "
                        f"model, or raise --silent-limit")
    return list(seen)


def _runtime_error(net, ct, err: EvalFailure, marking) -> ModelRuntimeError:
    env = getattr(err, "env", None) or ()
    binding = {name: cs.show(env[i]) for i, (name, cs) in enumerate(ct.ir.variables)
               if i < len(env) and env[i] is not None}
    return ModelRuntimeError(err.message, transition=ct.name, binding=binding, marking=show_marking(net, marking),
                             hint=err.hint, location=str(err.loc) if err.loc else "")

