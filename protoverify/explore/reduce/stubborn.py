"""Stubborn sets on the net's unfolding.

A coloured transition stands for many bindings, and two bindings of one
transition are often independent (philosopher 1 taking forks never disables
philosopher 3).  A per-transition analysis would lump them together, so the
dependencies are computed on the P/T unfolding (:mod:`..unfold`), where each
binding ``u`` has counters it needs (``need``: input and read demand), counters
that must be zero (``inhibit``) and a change per counter (``delta``).

``u`` can *disable* ``v`` when ``u`` lowers a counter ``v`` needs or raises a
counter ``v`` inhibits.  A set ``S`` of bindings is stubborn in marking ``m``
when it contains an enabled binding and is closed under:

* ``u`` in ``S`` enabled: every ``v`` that ``u`` can disable is in ``S`` (so
  firing ``u`` first leaves any run of bindings outside ``S`` possible);
* one enabled *key* binding: every ``v`` that can disable it is in ``S`` too
  (so it stays enabled whatever happens outside ``S``);
* ``u`` in ``S`` disabled: pick one reason (a *scapegoat*): a needed counter
  below its demand — every binding that raises it is in ``S`` — or an inhibit
  counter above zero — every binding that lowers it is in ``S`` (so nothing
  outside ``S`` can enable ``u``).

Firing only the enabled bindings of such a (weak) stubborn set preserves every
dead marking (Valmari's theorem: each dead marking reachable from ``m`` is reachable
starting with a stubborn binding, and no new ones appear).  For safety
properties two more conditions are added by the explorer: *visibility* (if
``S`` holds an enabled binding that changes a place the property looks at,
``S`` holds all such bindings) and the *cycle proviso* (a marking with a
reduced successor already seen is expanded fully, so no cycle of the reduced
graph ignores a binding forever).

>>> from protoverify import load_model_text
>>> net = load_model_text('''
...   model Two
...   colset P = 1..2
...   place A : P = all
...   place B : P
...   transition go in A : p  out B : p
... ''')
>>> s = Stubborn(net)
>>> m = net.initial_marking
>>> [s.u.bindings[b].env for b in s.stubborn(m, s.enabled_bindings(m))]
[(1,)]
"""

from __future__ import annotations

from ...net import ir
from ..unfold import unfold

__all__ = ["Stubborn", "CannotReduce"]


class CannotReduce(Exception):
    """The net cannot be reduced by stubborn sets (the message says why)."""


class Stubborn:
    """Stubborn-set computation for one net; ``visible`` places make it preserve safety properties too."""

    def __init__(self, net: ir.Net, compiled=None, visible: frozenset | None = None, tries: int = 8,
                 keep_errors: bool = False):
        from ..compiled import Fallback, unfolding_for
        from ..statespace import _compiled_for
        compiled = compiled if compiled is not None else _compiled_for(net)
        try:
            self.u = unfolding_for(net, compiled)
        except Fallback as err:
            raise CannotReduce(f"the net cannot be unfolded ({err})") from None
        u = self.u
        # a trap (a binding whose evaluation may fail) is a pseudo-binding that never fires.  A marking
        # where one holds is expanded fully (where the full exploration would report the error).  With
        # keep_errors it also sits disabled in every stubborn set, so nothing outside the set can make
        # it hold: every reachable run-time error is then met.  That costs most of the reduction on
        # models with many traps (BonjourGrid: 327), so by default errors reachable only through pruned
        # interleavings may go unreported (the explorer notes it); dead markings are all kept.
        self.traps = list(u.trap_list)
        self.keep_errors = keep_errors
        self.trap_ids = tuple(range(len(u.bindings), len(u.bindings) + len(self.traps))) if keep_errors else ()
        self.net = net
        self.tries = tries
        n = u.nslots
        self.raise_ = [[] for _ in range(n)]   # slot -> bindings that raise it
        self.lower = [[] for _ in range(n)]    # slot -> bindings that lower it
        self.needers = [[] for _ in range(n)]  # slot -> bindings that need it
        self.inhibitors = [[] for _ in range(n)]
        for b, pb in enumerate(u.bindings):
            for s, d in pb.delta:
                (self.raise_ if d > 0 else self.lower)[s].append(b)
            for s, _ in pb.need:
                self.needers[s].append(b)
            for s in pb.inhibit:
                self.inhibitors[s].append(b)
        self.raise_ = [frozenset(x) for x in self.raise_]
        self.lower = [frozenset(x) for x in self.lower]
        self._conflicts: dict[int, tuple] = {}
        self.visible = None
        if visible is not None:
            places = set(visible)
            self.visible = frozenset(b for b, pb in enumerate(u.bindings)
                                     if any(u.slot_place[s] in places for s, _ in pb.delta))
        self.slot_place = u.slot_place
        self.slot_value = u.slot_value

    def binding_of(self, t: int, env: tuple) -> int:
        return self.u.binding_index[(t, env)]

    def enabled_bindings(self, marking) -> list[int]:
        """The enabled bindings of ``marking`` (for tests; the explorer uses the coloured enumeration)."""
        from ..statespace import _compiled_for
        views = [dict(pl) for pl in marking]
        out = []
        for t in _compiled_for(self.net):
            for env, _ in t.enabled(views):
                out.append(self.binding_of(t.index, env))
        return out

    def disables(self, b: int) -> tuple:
        """The bindings ``b`` can disable: it lowers a counter they need or raises one they inhibit."""
        got = self._conflicts.get(b)
        if got is None:
            pb = self.u.bindings[b]
            acc = set()
            for s, d in pb.delta:
                acc.update(self.needers[s] if d < 0 else self.inhibitors[s])
            acc.discard(b)
            got = self._conflicts[b] = tuple(sorted(acc))
        return got

    def disablers(self, b: int) -> tuple:
        """The bindings that can disable ``b``."""
        pb = self.u.bindings[b]
        acc = set()
        for s, _ in pb.need:
            acc.update(self.lower[s])
        for s in pb.inhibit:
            acc.update(self.raise_[s])
        acc.discard(b)
        return tuple(sorted(acc))

    def _trap_reason(self, k: int, count):
        """Bindings that could make trap ``k`` hold, or None when it holds."""
        trap = self.traps[k]
        for s, n in trap.ge:
            if count(s) < n:
                return self.raise_[s]
        for s in trap.zero:
            if count(s) > 0:
                return self.lower[s]
        for p in trap.nonempty:
            lo, hi = self.u.place_range[p]
            if not any(count(s) for s in range(lo, hi)):
                out = set()
                for s in range(lo, hi):
                    out |= self.raise_[s]
                return frozenset(out)
        return None

    def _scapegoats(self, b: int, count) -> list:
        """Every reason why disabled ``b`` is disabled: the bindings that could remove each."""
        if b >= len(self.u.bindings):
            return [self._trap_reason(b - len(self.u.bindings), count) or frozenset()]
        pb = self.u.bindings[b]
        out = []
        for s, n in pb.need:
            if count(s) < n:
                out.append(self.raise_[s])
        for s in pb.inhibit:
            if count(s) > 0:
                out.append(self.lower[s])
        return out or [frozenset()]

    def stubborn(self, marking, enabled: list[int]) -> list[int]:
        """The enabled bindings of a small stubborn set of ``marking`` (a sublist of ``enabled``, same order)."""
        if len(enabled) <= 1:
            return list(enabled)
        on = set(enabled)
        views = [dict(pl) for pl in marking]
        slot_place, slot_value = self.slot_place, self.slot_value
        reasons: dict = {}  # per disabled binding: its scapegoat, chosen once per marking

        def count(s):
            return views[slot_place[s]].get(slot_value[s], 0)

        def reason(b, members):
            # of the reasons b is disabled, the one whose enablers add the fewest new members
            got = reasons.get(b)
            if got is None:
                got = reasons[b] = self._scapegoats(b, count)
            if len(got) == 1:
                return got[0]
            return min(got, key=lambda c: len(c - members))

        base: set = set()
        if self.traps:
            if any(self._trap_reason(k, count) is None for k in range(len(self.traps))):
                return list(enabled)  # a run-time error may happen here: expand fully
            if self.trap_ids:
                base = self._closure(self.trap_ids, set(), on, reason, None)[0]
                if base & on:
                    return [b for b in enabled if b in base]
        best = None
        candidates = enabled
        if self.visible is not None:
            invisible = [b for b in enabled if b not in self.visible]
            candidates = invisible + [b for b in enabled if b in self.visible]
        for key in candidates[: self.tries]:
            got = self._closure((key,), base, on, reason, len(best) if best is not None else None)[1]
            if got is not None and (best is None or len(got) < len(best)):
                best = got
                if len(best) == 1:
                    break
        return [b for b in enabled if b in best]

    def _closure(self, start, base: set, on: set, reason, limit):
        """(members, enabled members) of the smallest set containing ``start`` and ``base`` closed under the rules.

        ``base`` is closed already; the enabled members are None once they reach ``limit``.
        """
        members = set(base)
        members.update(start)
        work = list(start)
        if len(start) == 1 and start[0] in on:
            # the key binding: nothing outside the set may disable it
            for c in self.disablers(start[0]):
                if c not in members:
                    members.add(c)
                    work.append(c)
        found = set()
        vis = self.visible
        seen_visible = False
        for b in members:
            if b in on and b not in base:
                found.add(b)
        while work:
            b = work.pop()
            if b in on:
                nxt = self.disables(b)
                if vis is not None and not seen_visible and b in vis:
                    seen_visible = True
                    nxt = tuple(nxt) + tuple(vis)
            else:
                nxt = reason(b, members)
            for c in nxt:
                if c not in members:
                    members.add(c)
                    work.append(c)
                    if c in on:
                        found.add(c)
                        if limit is not None and len(found) >= limit:
                            return members, None
        return members, found
