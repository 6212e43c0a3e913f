"""Eager silent steps: fire a silent transition at once when firing it cannot change what the net may still do.

The replay keeps the set of markings the net may be in.  Silent steps nobody
needs yet (an application's clean-up after its end, a cache update) multiply
that set: each one may or may not have happened.  This module finds silent
bindings whose firing provably preserves the visible future, and fires them
straight away, so that every interleaving of such steps collapses into one
marking (a partial-order reduction of the silent closure).

The argument.  Let the silent binding ``(t, b)`` be enabled in marking ``m``
and let ``D`` be a set of transition bindings, none of them ``(t, b)``, with

1. *conflicts in D*: every binding that could consume or read a token
   ``(t, b)`` consumes, and every binding with an inhibitor arc that could
   match a token ``(t, b)`` produces, is in ``D``;
2. *D is asleep*: every binding of ``D`` lacks, in ``m``, a token matching
   one of its input or read patterns (its *scapegoat*), and every transition
   that could produce such a token is in ``D`` or is ``(t, b)`` itself.

Then along any firing sequence ``α`` from ``m`` that does not contain
``(t, b)``, no binding of ``D`` fires (the first one would need a token that
only ``D`` or ``(t, b)`` produces).  Hence firing ``(t, b)`` first disables
nothing in ``α``: its consumed tokens are wanted by no step of ``α``, its
produced tokens inhibit none.  So every sequence ``α β`` from ``m`` (with
``(t, b)`` not in ``α``) gives ``(t, b) α β`` if ``(t, b)`` is not in ``β``
or ``(t, b) α β'`` with its first occurrence removed from ``β``: the same
visible events, and ``m`` and ``m[t, b>`` have the same visible futures.
Replacing a possible marking by the marking after such a step therefore
changes neither the verdict nor the event at which a trace fails.  (The
proof is the stubborn-set argument of Valmari, restricted to a set whose
only enabled element is one silent binding.)

Everything is a conservative approximation computed from the arcs'
patterns: a pattern is matched against a token (or another pattern) by its
variables, constants and tuples, a computed component matches anything
until its variables are known, and a guard conjunct rules a match out as
soon as the variables it reads are bound.  When in doubt a binding counts as
a conflict or as awake, and the step is simply not reduced.
"""

from __future__ import annotations

import weakref

from ..explore.firing import _pattern_shape, _vars
from ..net import ir
from ..net.evaluate import EvalFailure, compile_expr

__all__ = ["Reducer", "LazyViews"]

MAX_FAMILIES = 400      # bindings families examined for one step before giving up (not reduced)
MAX_EAGER_CHAIN = 10_000  # eager steps from one marking before reporting a silent cycle

_WILD = ("wild", None)
CACHED_VERDICTS = 4     # verdicts remembered per silent binding
MEMO_SIZE = 50_000      # normal forms remembered
MAX_BACKOFF = 256       # a binding found not reducible n times in a row is not examined for min(2**n, this) checks


BIG_PLACE = 32          # places with this many distinct tokens keep their own hash


HASH_MASK = (1 << 61) - 1


def entries_hash(entries) -> int:
    """The hash of a long place: the sum of its entries' hashes, so that editing one entry updates it
    in constant time (:func:`protoverify.conform.replay._fire`) instead of rehashing thousands."""
    return sum(map(hash, entries)) & HASH_MASK


class _HashedOnce(tuple):
    """A tuple that computes its hash (``_hash_of``) once and keeps it."""

    _hash_of = tuple.__hash__

    def __hash__(self):
        try:
            return self._h
        except AttributeError:
            h = self._h = type(self)._hash_of(self)
            return h


class _Place(_HashedOnce):
    """A long place's tokens (the canonical sorted tuple) with an order-free hash.

    Its hash is not the plain tuple's: a marking holds a long place always as a ``_Place``
    (:func:`_with_places`, ``_fire``), never as a plain tuple, before it is hashed."""

    _hash_of = entries_hash


class _Marking(_HashedOnce):
    """A marking whose hash is computed once, from its places (long ones :class:`_Place`)."""


def _with_places(m):
    """``m`` as a :class:`_Marking` whose long places are :class:`_Place` (the same marking)."""
    if type(m) is _Marking:
        return m
    return _Marking([x if type(x) is _Place or len(x) < BIG_PLACE else _Place(x) for x in m])


class LazyViews:
    """A marking's places as dicts value -> count, each built when first asked for."""

    __slots__ = ("m", "d")

    def __init__(self, m):
        self.m = m
        self.d = [None] * len(m)

    def __getitem__(self, p):
        v = self.d[p]
        if v is None:
            v = self.d[p] = dict(self.m[p])
        return v


def _terms(ms_list) -> list:
    """The pattern shapes of an arc inscription (``_WILD`` where any token may be meant)."""
    out = []
    stack = list(ms_list)
    while stack:
        ms = stack.pop(0)
        if isinstance(ms, ir.MsTerm):
            out.append(_pattern_shape(ms.value))
        elif isinstance(ms, ir.MsIf):
            stack.extend(ms.then)
            stack.extend(ms.orelse)
        else:  # MsAll and anything else: every token
            out.append(_WILD)
    return out


class _Trans:
    """What the reduction needs to know about one transition."""

    def __init__(self, t: ir.Transition):
        self.t = t
        self.index = t.index
        self.nvars = len(t.variables)
        self.silent = t.emit is None
        self.inputs = []   # (place, shape) of in and read arcs
        self.inhibits = []  # (place, shape)
        self.outputs = []  # (place, shape)
        for arc in t.arcs:
            p = arc.place.index
            shapes = _terms(arc.inscription)
            if arc.kind in ("in", "read"):
                self.inputs += [(p, s) for s in shapes]
            elif arc.kind == "inhibit":
                self.inhibits += [(p, s) for s in shapes]
            else:
                self.outputs += [(p, s) for s in shapes]
        self.guards = [(compile_expr(g), frozenset(_vars(g))) for g in t.guard]
        self._exprs: dict = {}

    def expr(self, e):
        f = self._exprs.get(id(e))
        if f is None:
            f = self._exprs[id(e)] = (compile_expr(e), frozenset(_vars(e)))
        return f

    def guard_ok(self, env: dict) -> bool:
        """False only if a guard conjunct whose variables ``env`` binds is false."""
        args = None
        for f, vs in self.guards:
            if vs and vs <= env.keys():
                if args is None:
                    args = [env.get(i) for i in range(self.nvars)]
                try:
                    if not f(args):
                        return False
                except EvalFailure:
                    continue
        return True

    def match(self, shape, value, env: dict) -> bool:
        """Match ``shape`` against the concrete ``value``, binding variables in ``env``."""
        kind, arg = shape
        if kind == "var":
            if arg in env:
                return env[arg] == value
            env[arg] = value
            return True
        if kind == "const":
            return arg == value
        if kind == "tuple":
            if not isinstance(value, tuple) or len(value) != len(arg):
                return False
            for s, v in zip(arg, value):
                if not self.match(s, v, env):
                    return False
            return True
        if kind == "expr":
            f, vs = self.expr(arg)
            if vs <= env.keys():
                try:
                    return f([env.get(i) for i in range(self.nvars)]) == value
                except EvalFailure:
                    return True
        return True  # wild, or a computed component not yet evaluable

    def value_of(self, shape, env: dict):
        """The value ``shape`` denotes under ``env``, or ``_WILD`` if not known."""
        kind, arg = shape
        if kind == "var":
            return env.get(arg, _WILD)
        if kind == "const":
            return arg
        if kind == "tuple":
            items = tuple(self.value_of(x, env) for x in arg)
            return _WILD if any(i is _WILD for i in items) else items
        if kind == "expr":
            f, vs = self.expr(arg)
            if vs <= env.keys():
                try:
                    return f([env.get(i) for i in range(self.nvars)])
                except EvalFailure:
                    return _WILD
        return _WILD


def _unify(w: _Trans, ws, wenv: dict, u: _Trans, us, uenv: dict) -> bool:
    """Could ``w``'s pattern ``ws`` (binding into ``wenv``) denote a token ``u``'s ``us`` under ``uenv`` matches?"""
    if us[0] == "tuple":
        if ws[0] == "tuple":
            if len(ws[1]) != len(us[1]):
                return False
            return all(_unify(w, a, wenv, u, b, uenv) for a, b in zip(ws[1], us[1]))
        v = w.value_of(ws, wenv)
        if v is _WILD:
            return True
        return u.match(us, v, dict(uenv))
    v = u.value_of(us, uenv)
    if v is _WILD:
        return True
    return w.match(ws, v, wenv)


class _Static:
    """What depends on the net only (kept for the next replay on the same net)."""

    def __init__(self, net: ir.Net):
        self.trans = [_Trans(t) for t in net.transitions]
        n = len(net.places)
        self.readers = [[] for _ in range(n)]     # (trans, shape): in and read terms on the place
        self.inhibitors = [[] for _ in range(n)]
        self.producers = [[] for _ in range(n)]
        for tr in self.trans:
            for p, s in tr.inputs:
                self.readers[p].append((tr, s))
            for p, s in tr.inhibits:
                self.inhibitors[p].append((tr, s))
            for p, s in tr.outputs:
                self.producers[p].append((tr, s))
        self.conflicts: dict = {}
        self.producer_families: dict = {}


_STATIC: "weakref.WeakKeyDictionary[ir.Net, _Static]" = weakref.WeakKeyDictionary()


class _Collect(list):
    """The bindings a generator yields, kept as they come (a loop may stop early; the rest is read when
    the list is iterated again)."""

    def __init__(self, gen):
        super().__init__()
        self._gen = gen

    def __iter__(self):
        i = 0
        while True:
            if i < len(self):
                yield self[i]
            elif self._gen is None:
                return
            else:
                try:
                    item = next(self._gen)
                except StopIteration:
                    self._gen = None
                    return
                self.append(item)
                yield item
            i += 1


class Reducer:
    """Eager firing of provably harmless silent steps (see the module docstring).

    ``normalize(m)`` returns the marking reached from ``m`` by firing such steps until none is left
    (a step that would still be enabled after itself is left alone: it could fire for ever).
    """

    def __init__(self, net: ir.Net, compiled: list):
        self.net = net
        self.compiled = compiled
        static = _STATIC.get(net)
        if static is None:
            static = _STATIC[net] = _Static(net)
        self.trans = static.trans
        self.readers, self.inhibitors, self.producers = static.readers, static.inhibitors, static.producers
        self._conflicts, self._producers = static.conflicts, static.producer_families
        self.silent = [(ct, self.trans[ct.index]) for ct in compiled if ct.ir.emit is None]
        self._verdicts: dict = {}
        self._backoff: dict = {}
        self._pumps: set = set()
        self._tback: dict = {}
        self._memo: dict = {}
        self._enabled: dict = {}
        self._per_t: dict = {}
        self._calls = 0
        self.eager_steps = 0

    # ------------------------------------------------------------ static parts
    def _conflict_families(self, tr: _Trans, env: tuple, removed: dict):
        """Families ``(trans, partial env)`` that conflict with binding ``env`` of ``tr`` (condition 1)."""
        key = (tr.index, env)
        fams = self._conflicts.get(key)
        if fams is not None:
            return fams
        benv = dict(enumerate(env))
        fams = {}
        outs = {}
        for p, s in tr.outputs:
            v = tr.value_of(s, benv)
            outs.setdefault(p, []).append(v)
        for p, need in removed.items():
            for v in need:
                for u, s in self.readers[p]:
                    uenv: dict = {}
                    if not u.match(s, v, uenv) or not u.guard_ok(uenv):
                        continue
                    if u is tr and len(uenv) == tr.nvars and uenv == benv:
                        continue  # the binding itself
                    fams[(u.index, tuple(sorted(uenv.items())))] = None
        for p, vs in outs.items():
            for u, s in self.inhibitors[p]:
                for v in vs:
                    uenv = {}
                    if v is not _WILD and (not u.match(s, v, uenv) or not u.guard_ok(uenv)):
                        continue
                    if u is tr and len(uenv) == tr.nvars and uenv == benv:
                        continue  # the binding disables itself: no matter
                    fams[(u.index, tuple(sorted(uenv.items())))] = None
        fams = list(fams)
        self._conflicts[key] = fams
        return fams

    def _producer_families(self, fam, k: int):
        """Families that could produce a token for input term ``k`` of family ``fam``."""
        key = (fam, k)
        out = self._producers.get(key)
        if out is not None:
            return out
        u = self.trans[fam[0]]
        uenv = dict(fam[1])
        p, us = u.inputs[k]
        out = {}
        for w, ws in self.producers[p]:
            wenv: dict = {}
            if _unify(w, ws, wenv, u, us, uenv) and w.guard_ok(wenv):
                out[(w.index, tuple(sorted(wenv.items())))] = None
        out = list(out)
        self._producers[key] = out
        return out

    # ------------------------------------------------------------ dynamic part
    def _present(self, u: _Trans, s, uenv: dict, tokens, exclude) -> bool:
        """Does ``tokens`` hold a token ``u``'s pattern ``s`` matches under ``uenv`` (for a binding other
        than ``exclude``)?"""
        v = u.value_of(s, uenv)
        if v is not _WILD:  # the pattern names one value: only that token can match
            if v not in tokens:
                return False
            env = dict(uenv)
            if not (u.match(s, v, env) and u.guard_ok(env)):
                return False
            return not (exclude is not None and len(env) == u.nvars and env == exclude)
        for v in tokens:
            env = dict(uenv)
            if u.match(s, v, env) and u.guard_ok(env):
                if exclude is not None and len(env) == u.nvars and env == exclude:
                    continue
                return True
        return False

    def reducible(self, tr: _Trans, env: tuple, removed: dict, m, views) -> bool:
        """Conditions 1 and 2 of the module docstring for binding ``env`` of ``tr`` in marking ``m``.

        The answer depends only on the places the search looked at; it is remembered with their
        contents (the very tuples: a later marking that shares them gets the same answer at once).
        """
        key = (tr.index, env)
        if key in self._pumps:
            return False
        self._calls += 1
        cached = self._verdicts.get(key)
        if cached is not None:
            for places, contents, verdict in cached:
                for p, c in zip(places, contents):
                    if m[p] is not c:
                        break
                else:
                    return verdict
        else:
            cached = self._verdicts[key] = []
        backoff = self._backoff.get(key)
        if backoff is not None and self._calls < backoff[1]:
            return False  # not examined this time: not reducing is always correct
        scanned: dict = {}
        verdict = self._search(tr, env, removed, views, scanned)
        places = tuple(scanned)
        cached.insert(0, (places, tuple(m[p] for p in places), verdict))
        del cached[CACHED_VERDICTS:]
        if verdict:
            self._backoff.pop(key, None)
        else:
            fails = backoff[0] + 1 if backoff is not None else 1
            self._backoff[key] = (fails, self._calls + min(2 ** fails, MAX_BACKOFF))
        return verdict

    def _search(self, tr: _Trans, env: tuple, removed: dict, views, scanned: dict) -> bool:
        todo = list(self._conflict_families(tr, env, removed))
        if not todo:
            return True
        benv = dict(enumerate(env))
        seen = set(todo)
        while todo:
            fam = todo.pop()
            if len(seen) > MAX_FAMILIES:
                return False
            u = self.trans[fam[0]]
            uenv = dict(fam[1])
            exclude = benv if u is tr else None
            if exclude is not None and uenv == benv:
                continue  # the family is the binding itself, and nothing else
            for k, (p, s) in enumerate(u.inputs):
                scanned[p] = None
                if not self._present(u, s, uenv, views[p], exclude):
                    for f in self._producer_families(fam, k):
                        if f not in seen:
                            seen.add(f)
                            todo.append(f)
                    break
            else:
                return False  # no scapegoat: it may be enabled
        return True

    def normalize(self, m, on_error, parent=None):
        """``m`` after every eager step (in a fixed order: the first reducible silent binding first).

        The silent bindings enabled in the result are kept for :meth:`enabled_silent` (the replay asks
        for them next), and the result for the next call with the same ``m``.  ``parent``, a marking
        normalized lately from which ``m`` is one firing away, saves enumerating again the bindings of
        the transitions that read none of the places the firing changed.
        """
        m = _with_places(m)
        out = self._memo.get(m)
        if out is not None:
            return out
        if len(self._memo) > MEMO_SIZE:
            self._memo.clear()
            self._enabled.clear()
            self._per_t.clear()
        start = m
        chain = None
        known = self._per_t.get(parent) if parent is not None else None
        while True:
            views = LazyViews(m)
            m2 = None
            enabled = []
            per_t = []
            self._calls += 1
            if known is not None:
                changed = {p for p, (a, b) in enumerate(zip(m, parent)) if a is not b}
            for k, (ct, tr) in enumerate(self.silent):
                back = self._tback.get(tr.index)
                examine = back is None or self._calls >= back[1]
                found = False
                if known is not None and k < len(known) and changed.isdisjoint(ct.reads_places):
                    bindings = known[k]
                else:
                    bindings = _Collect(ct.enabled(views))
                per_t.append(bindings)
                try:
                    for env, removed in bindings:
                        enabled.append((ct, env, removed))
                        if not examine:
                            continue
                        found = True
                        if self.reducible(tr, env, removed, m, views):
                            target = ct.fire(m, views, env, removed)
                            # a step still enabled after itself (a pump) would be fired for ever
                            if ct._finish(list(env), LazyViews(target)) is None:
                                m2 = target
                                break
                            self._pumps.add((tr.index, env))
                except EvalFailure as err:
                    raise on_error(ct, err, m) from None
                if m2 is not None:
                    self._tback.pop(tr.index, None)
                    break
                if found:  # enabled, and none of its bindings reducible: look again later
                    fails = back[0] + 1 if back is not None else 1
                    self._tback[tr.index] = (fails, self._calls + min(2 ** fails, MAX_BACKOFF))
            if m2 is None:
                break
            known, parent = per_t, m
            self.eager_steps += 1
            if chain is None:
                chain = {m}
            m2 = _with_places(m2)
            if m2 in chain or len(chain) >= MAX_EAGER_CHAIN:
                m = m2  # a cycle of eager steps (every marking on it has the same future), or enough
                enabled = None
                break
            chain.add(m2)
            m = m2
        self._memo[start] = m
        if enabled is not None:
            self._enabled[m] = enabled
            self._per_t[m] = per_t
        return m

    def enabled_silent(self, m):
        """The silent bindings ``(ct, env, removed)`` enabled in ``m`` if :meth:`normalize` returned ``m``
        lately, else None."""
        return self._enabled.get(m)
