"""Canonical representatives of markings under permutations of the symmetric colour sets.

The values of a colour set declared ``symmetric`` are interchangeable (the
type checker enforces it, :mod:`protoverify.net.symcheck`), so permuting them maps reachable
markings to reachable markings and the state space can be explored one
*orbit* at a time: each marking is replaced by a canonical member of its
orbit (a function of the orbit only, so two markings of one orbit get the
same one).

Computing it by trying the ``n!`` permutations of every set is the textbook
way and hopeless beyond n = 6.  :class:`Canonicaliser` first splits each
symmetric set into classes of values that the marking already tells apart
(colour refinement: a value's signature is the multiset of tokens it occurs
in, with itself and the other symmetric values replaced by their current
class; repeated until stable).  Values with different signatures are ordered
by signature (values occurring in the smaller signature get the smaller
numbers), which is the same for every member of the orbit, so only
permutations *inside* the classes remain.  A class whose members occur only in tokens whose other
symmetric values are alone in their class is *free*: any order of its
members gives the same image, so it costs nothing.  The remaining classes are
enumerated (their permutations' product), and the smallest image wins.
The representative is thus the smallest image among those candidates, not
necessarily the orbit's lexicographic minimum.  The
result is exact (one representative per orbit) unless the product exceeds
``max_perms``, in which case the first ``max_perms`` candidates are compared:
the representative is then still in the orbit (sound) but two markings of
one orbit may keep two representatives (``inexact`` counts such markings).

>>> from protoverify import load_model_text
>>> net = load_model_text('''
...   model M
...   colset Node = 1..3 symmetric
...   place Idle : Node = all
...   place Busy : Node
...   transition go in Idle : n  out Busy : n
... ''')
>>> c = Canonicaliser(net)
>>> c.canonical(((( 1, 1), (3, 1)), ((2, 1),)))[0]
(((1, 1), (2, 1)), ((3, 1),))
>>> c.canonical(((( 2, 1), (3, 1)), ((1, 1),)))[0]
(((1, 1), (2, 1)), ((3, 1),))
"""

from __future__ import annotations

import itertools

from ...net import colours as C
from ...net import ir
from ...net.symcheck import sym_signature, symmetric_sets

__all__ = ["Canonicaliser", "MAX_PERMS"]

MAX_PERMS = 5040


def _paths(sig, prefix=()):
    """(path, symmetric set) of every symmetric leaf of a signature."""
    if sig is None:
        return []
    if isinstance(sig, C.RangeSet):
        return [(prefix, sig)]
    out = []
    for i, s in enumerate(sig):
        out.extend(_paths(s, prefix + (i,)))
    return out


def _get(v, path):
    for i in path:
        v = v[i]
    return v


def _mapper(sig, index):
    """``f(value, perms)``: the value with its symmetric leaves mapped through ``perms[set index]``."""
    if sig is None:
        return None
    if isinstance(sig, C.RangeSet):
        k = index[sig]
        return lambda v, perms: perms[k][v]
    parts = [_mapper(s, index) for s in sig]

    def f(v, perms):
        return tuple(x if g is None else g(x, perms) for g, x in zip(parts, v))
    return f


def _blank(sig):
    """``f(value)``: the value with its symmetric leaves replaced by 0 (the part no permutation changes)."""
    if sig is None:
        return None
    if isinstance(sig, C.RangeSet):
        return lambda v: 0
    parts = [_blank(s) for s in sig]
    return lambda v: tuple(x if g is None else g(x) for g, x in zip(parts, v))


class Canonicaliser:
    """Canonical orbit representatives for ``net``'s markings."""

    def __init__(self, net: ir.Net, max_perms: int = MAX_PERMS):
        self.net = net
        self.max_perms = max_perms
        used = []
        for p in net.places:
            for _, cs in _paths(sym_signature(p.colset)):
                if cs not in used:
                    used.append(cs)
        order = {cs: i for i, cs in enumerate(symmetric_sets(net))}
        self.sets = sorted(used, key=lambda cs: order.get(cs, len(order)))
        index = {cs: i for i, cs in enumerate(self.sets)}
        self.index = index
        self.places = []  # (place index, leaf paths [(path, set index)], mapper, blank)
        for p in net.places:
            sig = sym_signature(p.colset)
            if sig is None:
                continue
            leaves = [(path, index[cs]) for path, cs in _paths(sig)]
            self.places.append((p.index, leaves, _mapper(sig, index), _blank(sig)))
        self.inexact = 0
        self.identity = [{v: v for v in cs.values} for cs in self.sets]

    @property
    def active(self) -> bool:
        return bool(self.places) and any(cs.size > 1 for cs in self.sets)

    @property
    def group_order(self) -> int:
        n = 1
        for cs in self.sets:
            n *= _factorial(cs.size)
        return n

    # ------------------------------------------------------------------ core
    def canonical(self, marking: tuple):
        """``(representative, perms)``: the orbit's smallest member and the permutations mapping ``marking`` to it.

        ``perms[k]`` maps the values of ``self.sets[k]``.
        """
        if not self.places:
            return marking, self.identity
        # tokens: (place slot, leaves [(set, value)], blanked value, count)
        toks = []
        for slot, (p, leaves, _, blank) in enumerate(self.places):
            for v, n in marking[p]:
                occ = [(k, v if not path else _get(v, path)) for path, k in leaves]
                toks.append((slot, occ, blank(v), n))
        colour = {}
        for k, cs in enumerate(self.sets):
            for x in cs.values:
                colour[(k, x)] = 0
        nclasses = len(self.sets)
        while True:
            sigs = {key: [] for key in colour}
            for slot, occ, blanked, n in toks:
                keys = set(occ)
                for key in keys:
                    codes = tuple((1, 0, 0) if o == key else (2, o[0], colour[o]) for o in occ)
                    sigs[key].append((slot, codes, blanked, n))
            new = {}
            count = 0
            for k, cs in enumerate(self.sets):
                full = {x: (colour[(k, x)], sorted(sigs[(k, x)])) for x in cs.values}
                ranks = {s: i for i, s in enumerate(sorted({_freeze(s) for s in full.values()}))}
                for x, s in full.items():
                    new[(k, x)] = ranks[_freeze(s)]
                count += len(ranks)
            colour = new
            if count == nclasses:
                break
            nclasses = count
        # classes per set, in colour order
        classes = []  # per set: list of member lists
        size = {}
        for k, cs in enumerate(self.sets):
            by = {}
            for x in cs.values:
                by.setdefault(colour[(k, x)], []).append(x)
            classes.append([by[c] for c in sorted(by)])
            for c, members in by.items():
                size[(k, c)] = len(members)
        # which classes must be enumerated
        tied = set()
        for _, occ, _, _ in toks:
            if len(occ) < 2:
                continue
            for key in occ:
                c = (key[0], colour[key])
                if size[c] < 2:
                    continue
                for other in occ:
                    if other != key and size[(other[0], colour[other])] > 1:
                        tied.add(c)
                        break
        choices = []  # per set: list of per-class orderings (iterables)
        total = 1
        for k, cls in enumerate(classes):
            per = []
            for members in cls:
                if len(members) > 1 and (k, colour[(k, members[0])]) in tied:
                    per.append(members)
                    total *= _factorial(len(members))
                else:
                    per.append(None)
            choices.append(per)
        best = None
        best_perms = None
        tried = 0
        for combo in itertools.product(*[
                itertools.permutations(members) if members is not None else [None]
                for per in choices for members in per]):
            perms = []
            i = 0
            for k, cls in enumerate(classes):
                lo = self.sets[k].lo
                perm = {}
                pos = lo
                for members in cls:
                    order = combo[i] if combo[i] is not None else members
                    i += 1
                    for x in order:
                        perm[x] = pos
                        pos += 1
                perms.append(perm)
            image = self.apply(marking, perms)
            if best is None or image < best:
                best, best_perms = image, perms
            tried += 1
            if tried >= self.max_perms:
                if total > tried:
                    self.inexact += 1
                break
        return best, best_perms

    def apply(self, marking: tuple, perms) -> tuple:
        """The marking with every symmetric value ``x`` of set ``k`` replaced by ``perms[k][x]``."""
        out = list(marking)
        for p, _, mapper, _ in self.places:
            pl = marking[p]
            if pl:
                out[p] = tuple(sorted((mapper(v, perms), n) for v, n in pl))
        return tuple(out)

    def map_env(self, transition: ir.Transition, env: tuple, perms) -> tuple:
        """A binding of ``transition`` with its symmetric values mapped through ``perms``."""
        out = list(env)
        for i, (_, cs) in enumerate(transition.variables):
            f = _mapper(_index_sig(sym_signature(cs), self.index), self.index)
            if f is not None and out[i] is not None:
                out[i] = f(out[i], perms)
        return tuple(out)

    def orbit(self, marking: tuple) -> set:
        """Every marking of ``marking``'s orbit (brute force; for tests on small nets)."""
        out = set()
        for combo in itertools.product(*[itertools.permutations(cs.values) for cs in self.sets]):
            perms = [dict(zip(cs.values, img)) for cs, img in zip(self.sets, combo)]
            out.add(self.apply(marking, perms))
        return out


def _index_sig(sig, index):
    """``sig`` with the symmetric sets that no place uses dropped (their values are never permuted)."""
    if sig is None:
        return None
    if isinstance(sig, C.RangeSet):
        return sig if sig in index else None
    parts = tuple(_index_sig(s, index) for s in sig)
    return parts if any(p is not None for p in parts) else None


def _freeze(s):
    return (s[0], tuple(s[1]))


def _factorial(n: int) -> int:
    out = 1
    for i in range(2, n + 1):
        out *= i
    return out
