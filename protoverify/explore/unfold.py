"""Unfold a coloured net into a place/transition net, once, before exploring.

Every place of a model holds tokens of a finite colour set, so a marking is a
vector of counters, one per *slot* ``(place, colour)``, and every enabled
binding of a transition is one P/T transition: counters it needs, counters
that must be zero (inhibitor arcs) and a change per counter.  The unfolding
evaluates guards and arc inscriptions with the ordinary closures of
:mod:`protoverify.net.evaluate` (never ``eval``), once per candidate binding,
and the compiled explorer then only does integer arithmetic.

Canonical order
---------------
The Python explorer (:mod:`.firing`) yields the bindings of a transition by a
depth-first search over its *steps* (the input and read patterns, in the order
chosen when the transition is compiled), each step trying the tokens of its
place in increasing value order.  A binding is thus yielded in the
lexicographic order of the values its steps match, and that order depends on
the binding only.  The unfolding runs the same search over *every* colour of
each step's place, so its bindings come out in the same order; the explorer
visits them as a trie (one level per step, skipping a whole subtree when the
step's token is absent), which is what the Python explorer does on the tokens
present.  Both explorers therefore produce the same successors in the same
order: transition index, then binding.

Run-time errors
---------------
A binding whose evaluation fails (division by zero, a value leaving its colour
set, a negative multiplicity) cannot become a P/T transition.  It becomes a
*trap* instead: a condition on the marking (counters that must be at least
some value, counters that must be zero, places that must be non-empty) that
holds in every marking where the Python explorer would run the failing
evaluation (it may hold in more).  When a trap of transition ``t`` holds in a
marking, the explorer asks the Python code for ``t``'s successors in that
marking, which either reproduces the error exactly (same message, binding and
marking) or lists the bindings, which are then those of the unfolding.

>>> from protoverify import load_model_text
>>> net = load_model_text('''
...   model Toggle
...   colset Bit = 0..1
...   place P : Bit = 0
...   transition flip in P : b  out P : 1 - b
... ''')
>>> u = unfold(net)
>>> u.nslots, len(u.bindings), u.initial
(2, 2, (1, 0))
>>> [(b.env, b.need, b.delta) for b in u.bindings]
[((0,), ((0, 1),), ((0, -1), (1, 1))), ((1,), ((1, 1),), ((0, 1), (1, -1)))]
"""

from __future__ import annotations

from dataclasses import dataclass

from ..net import ir
from ..net.colours import ColourSet
from ..net.evaluate import EvalFailure
from .firing import CompiledTransition

__all__ = ["CannotUnfold", "PTBinding", "Trap", "Unfolding", "unfold", "OP_TEST", "OP_BIND", "OP_END", "OP_TRAP",
           "MAX_SLOTS", "MAX_BINDINGS", "MAX_WORK", "MAX_COUNT"]

# limits beyond which the net is explored by the Python explorer instead
MAX_SLOTS = 1 << 20          # counters per marking
MAX_BINDINGS = 4_000_000     # P/T transitions
MAX_WORK = 20_000_000        # pattern matches tried while unfolding
MAX_COUNT = (1 << 31) - 1    # multiplicities

# program opcodes (see Unfolding.programs)
OP_TEST, OP_BIND, OP_END, OP_TRAP = 0, 1, 2, 3


class CannotUnfold(Exception):
    """The net is not (reasonably) unfoldable; explore it in Python."""


@dataclass(frozen=True)
class PTBinding:
    """One enabled-able binding of a coloured transition, as a P/T transition."""

    transition: int
    env: tuple
    need: tuple          # ((slot, n), ...): input and read demand together, slots increasing
    inhibit: tuple       # (slot, ...): counters that must be zero
    delta: tuple         # ((slot, d), ...): produced minus consumed, non-zero, slots increasing
    grow: tuple          # ((place, d), ...): places whose token total grows by d > 0


@dataclass(frozen=True)
class Trap:
    """A marking condition under which the Python explorer may hit a run-time error."""

    transition: int
    ge: tuple            # ((slot, n), ...): counter >= n
    zero: tuple          # (slot, ...): counter == 0
    nonempty: tuple      # (place, ...): place holds some token


@dataclass
class Unfolding:
    """A net's P/T unfolding.

    ``programs[t]`` lists transition ``t``'s bindings as a flat trie:
    ``OP_TEST slot skip`` (go on if the counter is non-zero, else jump to
    ``skip``), ``OP_BIND u`` (binding ``u`` of :attr:`bindings`: check and fire
    it), ``OP_TRAP k`` (if trap ``k`` of :attr:`trap_list` holds, forget this
    transition's bindings and ask Python for them), ``OP_END``.  A trap sits
    in the trie where the failing evaluation was met, so the tests above it
    already hold.
    """

    net: ir.Net
    slot_place: list          # slot -> place index
    slot_value: list          # slot -> colour value
    place_range: list         # place -> (first slot, end slot); colours in increasing order
    slot_of: list             # place -> {value: slot}
    initial: tuple            # counters of the initial marking
    bindings: list            # PTBinding, grouped by transition, in canonical order
    programs: list            # per transition: list of ints (see above)
    traps: list               # per transition: list of Trap
    trap_list: list           # every Trap, numbered as in the programs
    binding_index: dict       # (transition, env) -> binding number
    trigger: list | None = None  # per transition: a place every binding needs a token of, or -1

    @property
    def nslots(self) -> int:
        return len(self.slot_place)

    def marking(self, counts) -> tuple:
        """The Python explorer's canonical marking for a counter vector."""
        values = self.slot_value
        out = []
        for lo, hi in self.place_range:
            out.append(tuple((values[s], counts[s]) for s in range(lo, hi) if counts[s]))
        return tuple(out)

    def counts(self, marking) -> tuple:
        """The counter vector of a canonical marking (``KeyError`` for a value outside its colour set)."""
        c = [0] * self.nslots
        for p, ms in enumerate(marking):
            slots = self.slot_of[p]
            for v, n in ms:
                c[slots[v]] = n
        return tuple(c)


def unfold(net: ir.Net, compiled: list[CompiledTransition] | None = None, *,
           max_slots: int = MAX_SLOTS, max_bindings: int = MAX_BINDINGS, max_work: int = MAX_WORK) -> Unfolding:
    """Unfold ``net``; raises :class:`CannotUnfold` when it is not reasonable."""
    if compiled is None:
        from .firing import compile_net
        compiled = compile_net(net)
    slot_place: list = []
    slot_value: list = []
    place_range: list = []
    slot_of: list = []
    for p in net.places:
        cs = p.colset
        if not isinstance(cs, ColourSet):
            raise CannotUnfold(f"place `{p.name}` is not of a finite colour set")
        size = cs.size
        if len(slot_place) + size > max_slots:
            raise CannotUnfold(f"more than {max_slots:,} (place, colour) counters")
        lo = len(slot_place)
        values = cs.values
        d = {}
        for v in values:
            d[v] = len(slot_place)
            slot_place.append(p.index)
            slot_value.append(v)
        if len(d) != len(values):  # pragma: no cover - colour sets have distinct values
            raise CannotUnfold(f"colour set of `{p.name}` repeats a value")
        place_range.append((lo, len(slot_place)))
        slot_of.append(d)
    u = Unfolding(net, slot_place, slot_value, place_range, slot_of, (), [], [], [], [], {})
    try:
        u.initial = u.counts(net.initial_marking)
    except KeyError:
        raise CannotUnfold("the initial marking holds a value outside its colour set") from None
    if any(n > MAX_COUNT for n in u.initial):
        raise CannotUnfold("an initial count is too large")
    work = [max_work]
    try:
        for ct in compiled:
            _Unfolder(u, ct, work, max_bindings).run()
    except RecursionError:
        raise CannotUnfold("expression nesting too deep to evaluate while unfolding") from None
    u.trigger = [_trigger(u, t) for t in range(len(compiled))]
    return u


def _trigger(u: Unfolding, t: int) -> int:
    """A place every binding and every trap of transition ``t`` needs a token in, or -1.

    The explorer looks at ``t`` only in markings where that place is marked.
    """
    prog = u.programs[t]
    common: set | None = None
    i = 0
    while prog[i] != OP_END:
        if prog[i] == OP_TEST:
            i += 3
            continue
        if prog[i] == OP_TRAP:
            i += 2
            continue
        b = u.bindings[prog[i + 1]]
        places = {u.slot_place[s] for s, n in b.need if n > 0}
        common = places if common is None else common & places
        i += 2
    for trap in u.traps[t]:
        places = {u.slot_place[s] for s, n in trap.ge if n > 0} | set(trap.nonempty)
        common = places if common is None else common & places
    if not common:
        return -1
    return min(common)


class _Unfolder:
    """The bindings and traps of one transition."""

    def __init__(self, u: Unfolding, ct: CompiledTransition, work: list, max_bindings: int):
        self.u, self.ct, self.work, self.max_bindings = u, ct, work, max_bindings
        self.t = ct.index
        self.program: list[int] = []
        self.traps: list[Trap] = []
        self.required = tuple(ct.required)
        self.env = [None] * ct.nvars

    def trap(self, ge=(), zero=(), nonempty=None) -> None:
        ge_d: dict = {}
        for s, n in ge:
            ge_d[s] = max(ge_d.get(s, 0), n)
        trap = Trap(self.t, tuple(sorted(ge_d.items())), tuple(sorted(set(zero))),
                    tuple(sorted(set(self.required if nonempty is None else nonempty))))
        self.traps.append(trap)
        self.program += [OP_TRAP, len(self.u.trap_list)]
        self.u.trap_list.append(trap)

    def run(self) -> None:
        u, ct = self.u, self.ct
        ok = True
        try:
            for check in ct.pre_checks:
                if not check(()):
                    ok = False
                    break
        except EvalFailure:
            self.trap()
            ok = False
        if ok:
            self.search(0, [])
        self.program.append(OP_END)
        u.programs.append(self.program)
        u.traps.append(self.traps)

    def search(self, depth: int, path: list) -> None:
        ct = self.ct
        if depth == len(ct.steps):
            self.leaf(path)
            return
        step = ct.steps[depth]
        p = step.place
        slots = self.u.slot_of[p]
        env = self.env
        prog = self.program
        tried = len(slots)
        self.work[0] -= tried
        if self.work[0] < 0:
            raise CannotUnfold("too many candidate bindings to unfold")
        for v, slot in slots.items():
            try:
                if not step.match(v, env):
                    continue
            except EvalFailure:
                # the pattern's computed part fails whatever token it meets: the
                # Python explorer fails as soon as the place holds a token (or
                # finds nothing below this node, if it holds none)
                self.trap(ge=[(s, 1) for s in path], nonempty=set(self.required) | {p})
                return
            try:
                ok = True
                for check in step.checks:
                    if not check(env):
                        ok = False
                        break
            except EvalFailure:
                at = len(prog)
                prog += [OP_TEST, slot, -1]
                self.trap(ge=[(s, 1) for s in path + [slot]])
                prog[at + 2] = len(prog)
                continue
            if not ok:
                continue
            at = len(prog)
            prog += [OP_TEST, slot, -1]
            self.search(depth + 1, path + [slot])
            if len(prog) == at + 3:
                del prog[at:]           # nothing below: drop the test
            elif len(prog) == at + 5 and prog[at + 3] == OP_BIND:
                del prog[at:at + 3]     # one binding below: its own check covers the test
            else:
                prog[at + 2] = len(prog)

    def leaf(self, path: list) -> None:
        ct, u, env = self.ct, self.u, self.env
        present = [(s, 1) for s in path]
        try:
            for check in ct.post_checks:
                if not check(env):
                    return
            consume: dict = {}
            for p, fs in ct.consume:
                for f in fs:
                    for v, n in f(env):
                        key = (p, v)
                        consume[key] = consume.get(key, 0) + n
        except EvalFailure:
            self.trap(ge=present)
            return
        # availability: read places one at a time (Python checks each before
        # evaluating the next), then consumed places
        need: dict = {}
        impossible = False
        for p, fs in ct.read:
            total = {k: n for k, n in consume.items() if k[0] == p}
            try:
                for f in fs:
                    for v, n in f(env):
                        key = (p, v)
                        total[key] = total.get(key, 0) + n
            except EvalFailure:
                self.trap(ge=present + self.slots_of(need))
                return
            for key, n in total.items():
                if n > need.get(key, 0):
                    need[key] = n
            if any(k[1] not in u.slot_of[p] for k in total):
                return  # needs a value no token can have: never enabled
        for key, n in consume.items():
            if n > need.get(key, 0):
                need[key] = n
        if any(k[1] not in u.slot_of[k[0]] for k in need):
            return
        need_slots = self.slots_of(need)
        if any(n > MAX_COUNT for _, n in need_slots):
            raise CannotUnfold("a multiplicity is too large")
        inhibit: list = []
        for p, f in ct.inhibit:
            try:
                values = f(env)
            except EvalFailure:
                self.trap(ge=present + need_slots, zero=inhibit)
                return
            slots = u.slot_of[p]
            for v, n in values:
                if n and v in slots:
                    inhibit.append(slots[v])
        produce: dict = {}
        try:
            for p, fs in ct.produce:
                for f in fs:
                    for v, n in f(env):
                        key = (p, v)
                        produce[key] = produce.get(key, 0) + n
        except EvalFailure:
            self.trap(ge=present + need_slots, zero=inhibit)
            return
        need_d = dict(need_slots)
        for s in inhibit:
            if need_d.get(s, 0) > 0:
                return  # needs a token that must be absent: never enabled
        delta: dict = {}
        for (p, v), n in consume.items():
            s = u.slot_of[p][v]
            delta[s] = delta.get(s, 0) - n
        for (p, v), n in produce.items():
            slot = u.slot_of[p].get(v)
            if slot is None:
                raise CannotUnfold(f"transition `{ct.name}` puts a value outside the colour set of its place")
            delta[slot] = delta.get(slot, 0) + n
        if any(abs(d) > MAX_COUNT for d in delta.values()):
            raise CannotUnfold("a multiplicity is too large")
        grow: dict = {}
        for s, d in delta.items():
            p = u.slot_place[s]
            grow[p] = grow.get(p, 0) + d
        env_t = tuple(env)
        b = PTBinding(ct.index, env_t, tuple(need_slots), tuple(sorted(set(inhibit))),
                      tuple(sorted((s, d) for s, d in delta.items() if d)),
                      tuple(sorted((p, d) for p, d in grow.items() if d > 0)))
        key = (ct.index, env_t)
        if key in u.binding_index:  # pragma: no cover - each binding has one path of step values
            raise CannotUnfold(f"transition `{ct.name}` yields one binding twice")
        if len(u.bindings) >= self.max_bindings:
            raise CannotUnfold(f"more than {self.max_bindings:,} bindings")
        u.binding_index[key] = len(u.bindings)
        self.program += [OP_BIND, len(u.bindings)]
        u.bindings.append(b)

    def slots_of(self, need: dict) -> list:
        slot_of = self.u.slot_of
        return sorted((slot_of[p][v], n) for (p, v), n in need.items() if v in slot_of[p])
