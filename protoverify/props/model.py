"""Checked properties: what the property checkers consume.

Marking predicates are IR expressions (:mod:`protoverify.net.ir`) extended by
the nodes below; :func:`compile_predicate` turns one into a closure of a
:class:`StateContext`.  Slot 0 of a predicate's environment holds the context,
quantified variables take the following slots.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from ..net import colours as C
from ..net import ir
from ..net.evaluate import compile_expr
from .formula import Formula

__all__ = ["CountE", "EnabledE", "DeadE", "PlaceIsE", "QuantE", "Atom", "Property", "StateContext",
           "compile_predicate", "FairnessItem"]


@dataclass(frozen=True, eq=False)
class CountE(ir.Expr):
    """Tokens of ``place`` matching ``pattern`` (None: all tokens)."""

    place: ir.Place
    pattern: object  # a shape: ("any",) ("var", slot) ("const", v) ("expr", Expr) ("tuple", [shapes])


@dataclass(frozen=True, eq=False)
class EnabledE(ir.Expr):
    transition: ir.Transition


@dataclass(frozen=True, eq=False)
class DeadE(ir.Expr):
    pass


@dataclass(frozen=True, eq=False)
class PlaceIsE(ir.Expr):
    """``Place == all`` or ``Place == empty``."""

    place: ir.Place
    kind: str


@dataclass(frozen=True, eq=False)
class QuantE(ir.Expr):
    kind: str  # forall | exists
    slot: int
    colset: C.ColourSet
    body: ir.Expr


@dataclass(frozen=True)
class Atom:
    """An atomic proposition of a temporal formula.

    ``kind`` is ``"state"`` (``predicate`` holds in the marking) or ``"event"``
    (the step fires a transition emitting ``label`` whose fields satisfy
    ``fields``: (name, value) pairs compared after evaluation).
    """

    kind: str
    text: str
    predicate: object = None  # compiled: StateContext -> bool
    label: str = ""
    transitions: tuple[int, ...] = ()
    fields: tuple = ()  # (index of field in emit, compiled constant)


@dataclass(frozen=True)
class FairnessItem:
    kind: str  # weak | strong
    transitions: tuple[int, ...]


@dataclass
class Property:
    name: str
    kind: str  # invariant reachable final deadlock live home bound ctl ltl
    loc: ir.Loc
    text: str = ""
    predicate: object = None  # invariant, reachable, final, home
    expr: object = None  # the typed predicate behind ``predicate`` (reductions ask what it reads)
    place: ir.Place | None = None  # bound
    limit: int = 0  # bound
    transition: ir.Transition | None = None  # live
    live_slot: int | None = None  # live T for x in X: the slot of x in T
    formula: Formula | None = None  # ctl, ltl
    atoms: list[Atom] = field(default_factory=list)
    fairness: tuple[FairnessItem, ...] = ()
    uses_enabled: bool = False
    only_final: bool = False  # deadlock: `deadlock only final` (else: any dead marking fails)

    @property
    def needs_graph(self) -> bool:
        return self.kind in ("home", "live", "ctl", "ltl")


class StateContext:
    """What a predicate may look at: one state of a state space."""

    __slots__ = ("space", "state", "marking")

    def __init__(self, space, state: int):
        self.space = space
        self.state = state
        decoded = space.__dict__.get("_decoded_markings")  # see props.check.decoded_markings
        self.marking = decoded[state] if decoded is not None else space.markings[state]


def _match_shape(shape):
    kind = shape[0]
    if kind == "any":
        return lambda v, env: True
    if kind == "var":
        slot = shape[1]
        return lambda v, env: v == env[slot]
    if kind == "const":
        c = shape[1]
        return lambda v, env: v == c
    if kind == "expr":
        f = compile_expr(shape[1], _extension)
        return lambda v, env: v == f(env)
    parts = [_match_shape(s) for s in shape[1]]
    return lambda v, env: all(m(x, env) for m, x in zip(parts, v))


def _extension(e, recurse):
    if isinstance(e, CountE):
        p = e.place.index
        if e.pattern is None:
            return lambda env: sum(n for _, n in env[0].marking[p])
        match = _match_shape(e.pattern)
        return lambda env: sum(n for v, n in env[0].marking[p] if match(v, env))
    if isinstance(e, EnabledE):
        t = e.transition.index
        return lambda env: env[0].space.is_enabled(env[0].state, t)
    if isinstance(e, DeadE):
        return lambda env: env[0].space.is_dead(env[0].state)
    if isinstance(e, PlaceIsE):
        p = e.place.index
        if e.kind == "empty":
            return lambda env: not env[0].marking[p]
        full = tuple((v, 1) for v in e.place.colset.values)
        return lambda env: env[0].marking[p] == full
    if isinstance(e, QuantE):
        body = recurse(e.body)
        values = e.colset.values
        slot = e.slot
        if e.kind == "forall":
            def forall(env):
                for v in values:
                    env[slot] = v
                    if not body(env):
                        return False
                return True
            return forall

        def exists(env):
            for v in values:
                env[slot] = v
                if body(env):
                    return True
            return False
        return exists
    raise TypeError(f"not a property expression: {e!r}")


def places_read(e) -> tuple[int, ...] | None:
    """Indices of the places a predicate reads, or None if it also asks about
    transitions (``enabled``, ``dead``), i.e. about more than those places."""
    found: set[int] = set()

    def walk(x) -> bool:
        if isinstance(x, (EnabledE, DeadE)):
            return False
        if isinstance(x, (CountE, PlaceIsE)):
            found.add(x.place.index)
            return walk(x.pattern) if isinstance(x, CountE) else True
        if isinstance(x, (tuple, list)):
            return all(walk(y) for y in x)
        if isinstance(x, (ir.Expr, ir.Ms)):
            return all(walk(getattr(x, f.name)) for f in fields(x))
        return True  # values, colour sets, places named by CountE, functions (no place in their bodies)

    return tuple(sorted(found)) if walk(e) else None


def compile_predicate(e: ir.Expr, nslots: int):
    """A closure ``StateContext -> value`` for a marking predicate.

    A predicate that reads only places is remembered per contents of those
    places: the markings of a state space mostly differ elsewhere, so each
    distinct projection is evaluated once (quantified predicates over large
    spaces were the bulk of ``check``'s time).
    """
    f = compile_expr(e, _extension)
    places = places_read(e)

    def evaluate(ctx):
        env = [None] * nslots
        env[0] = ctx
        return f(env)
    if places is None:
        return evaluate
    memo: dict = {}

    def predicate(ctx):
        m = ctx.marking
        key = tuple([m[p] for p in places])
        try:
            return memo[key]
        except KeyError:
            if len(memo) >= PREDICATE_MEMO:
                memo.clear()  # bounded: a predicate reading most places sees as many keys as states
            value = memo[key] = evaluate(ctx)
            return value
    return predicate


PREDICATE_MEMO = 100_000  # projections remembered per predicate
