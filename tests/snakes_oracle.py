"""Independent oracle: the example models rebuilt by hand in SNAKES.

Test-only helper.  For every model in ``models/examples`` this module builds
the *same* coloured Petri net directly with SNAKES (``snakes.nets``), without
using any protoverify code, and computes its reachability graph with
``snakes.nets.StateGraph``.  ``oracle(model, **params)`` returns
``(states, edges, dead_markings)`` where

* ``states``  = ``len(g)`` once the graph is built,
* ``edges``   = number of ``(succ, trans, mode)`` triples of
  ``g.successors(s)`` summed over all states ``s`` -- i.e. one edge per
  (marking, transition, binding), the convention documented in
  docs/language.md,
* ``dead``    = number of states without successors.

Translation conventions (our language -> SNAKES)
------------------------------------------------
* ``Unit``/``unit``         -> ``dot`` (``Value(dot)``)
* enumeration constants     -> Python strings
* products / tuples         -> Python tuples, ``Tuple`` annotations
* ``k'x`` on an arc         -> ``k`` copies of the annotation in a ``MultiArc``
  (its subclass ``Bag``, which only skips repeated modes)
* an *expression* on an input arc (``in Fork : right(p)``) -> a fresh
  variable on the arc plus an equality in the guard (SNAKES does not accept
  expressions on input arcs).  The fresh variable is a function of the
  others, so the number of modes equals the number of our bindings.
* ``read P : m``            -> ``Test(m)``; if the same transition also has
  ``in P`` then SNAKES allows a single arc per place, and since in our
  language read and consumed tokens are distinct, the read is modelled as a
  consume + produce loop (``MultiArc`` of in and read on input, read tokens
  re-added on output).  Same marking change, same bindings.
* ``inhibit P : m``         -> ``Absent(m)``, a subclass of SNAKES'
  ``Inhibitor`` (see below for why a subclass is needed).

Why ``Absent`` and ``OTransition``
----------------------------------
In SNAKES 0.9.33 ``Inhibitor.check(binding, tokens)`` tests
``binding in self.modes(tokens)`` where ``modes`` returns
``[Substitution()]``: it is only true for an *empty* binding, so any
transition that has an inhibitor arc *and* a variable raises
``ValueError: transition not enabled`` when ``StateGraph`` fires it.
Moreover ``Inhibitor.modes`` is computed independently of the other arcs, so
an inhibitor inscription that mentions a variable bound elsewhere
(``inhibit Busy : n``) would be read as "no token at all".  ``Absent``
implements our semantics directly -- the transition is enabled only if the
place holds no token of any value of the inscription evaluated under the
binding -- and ``OTransition.modes`` keeps only the modes for which SNAKES'
own ``Transition.enabled`` holds (which calls ``Absent.check``).
``OTransition`` also gives a transition without input arcs its empty
binding, which SNAKES forgets (see its docstring).
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable, Dict, Iterable, List, Optional, Tuple as Tup

from snakes import DomainError
from snakes.data import cross
from snakes.nets import (
    Expression,
    Inhibitor,
    MultiArc,
    MultiSet,
    PetriNet,
    Place,
    StateGraph,
    Substitution,
    Test,
    Transition,
    Tuple,
    Value,
    Variable,
    dot,
)

__all__ = ["oracle", "BUILDERS", "DEFAULTS", "state_space", "NetBuilder",
           "Absent", "OTransition", "StateLimit", "V", "var", "C", "T", "E", "ALL"]


# ---------------------------------------------------------------- arcs


class Absent(Inhibitor):
    """Inhibitor arc with protoverify's semantics.

    ``forbidden`` is an annotation (``Value``, ``Variable``, ``Expression``,
    ``Tuple`` or ``MultiArc``) evaluated under the transition's binding; the
    arc allows firing only if none of the resulting values is in the place.
    ``ALL`` as ``forbidden`` means "the place is empty".  ``inner`` is the
    ordinary input annotation of the same transition on the same place, if
    any (SNAKES allows one arc per place and transition).
    """

    def __init__(self, forbidden, inner=None):
        Inhibitor.__init__(self, forbidden if forbidden is not ALL else Value(None))
        self._forbid_all = forbidden is ALL
        self._forbidden = forbidden
        self._inner = inner
        parts = [a for a in (None if forbidden is ALL else forbidden, inner)
                 if a is not None and hasattr(a, "globals")]
        if parts:
            self.globals = parts[0].globals
            for a in parts[1:]:
                a.globals.attach(self.globals)

    def copy(self):
        return Absent(self._forbidden if self._forbid_all else self._forbidden.copy(),
                      None if self._inner is None else self._inner.copy())

    def __repr__(self):
        return "Absent(%r, %r)" % ("ALL" if self._forbid_all else self._forbidden,
                                   self._inner)

    def __eq__(self, other):
        return (isinstance(other, Absent) and repr(self) == repr(other))

    def __hash__(self):
        return hash(repr(self))

    def vars(self):
        v = set() if self._forbid_all else set(self._forbidden.vars())
        if self._inner is not None:
            v.update(self._inner.vars())
        return list(v)

    def modes(self, values):
        # the inhibition itself is decided in check(), with the full binding
        if self._inner is None:
            return [Substitution()]
        return self._inner.modes(values)

    def bind(self, binding):
        return () if self._inner is None else self._inner.bind(binding)

    def flow(self, binding):
        return MultiSet() if self._inner is None else self._inner.flow(binding)

    def check(self, binding, tokens):
        if self._inner is not None and not self._inner.check(binding, tokens):
            return False
        if self._forbid_all:
            return len(tokens) == 0
        forbidden = self._forbidden.flow(binding)
        return not any(v in tokens for v in set(forbidden))


class OTransition(Transition):
    """A transition whose modes are exactly the bindings that enable it.

    Also fixes a second quirk: SNAKES' ``Transition.modes`` takes the cross
    product of the modes of the input arcs with ``snakes.data.cross``, and
    ``cross([])`` yields nothing, so a transition WITHOUT input arcs never
    fires in SNAKES.  In our language it has the empty binding and is
    enabled whenever its guard holds.
    """

    def modes(self):
        if not self.input():
            empty = Substitution()
            return [empty] if self.enabled(empty) else []
        # SNAKES enumerates modes per token *occurrence* (``Variable.modes``
        # iterates a MultiSet with repetitions), so the same mode comes out
        # many times; StateGraph would fire each copy (same edge, only
        # slower).  Keep each mode once.
        distinct = []
        seen = set()
        for m in Transition.modes(self):
            if m not in seen:
                seen.add(m)
                if self.enabled(m):
                    distinct.append(m)
        return distinct


class _All:
    """Singleton marker for ``inhibit P : all`` (survives copies)."""

    def __repr__(self):
        return "ALL"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return "ALL"


ALL = _All()  # "inhibit P : all"


def var(name: str) -> Variable:
    return Variable(name)


V = var  # short alias (builders with a param named V use `var`)


def C(value) -> Value:
    return Value(value)


def T(*parts) -> Tuple:
    return Tuple(tuple(parts))


def E(expr: str) -> Expression:
    return Expression(expr)


def _unique(modes: List) -> List:
    seen, out = set(), []
    for m in modes:
        if m not in seen:
            seen.add(m)
            out.append(m)
    return out


class Bag(MultiArc):
    """A ``MultiArc`` (several tokens on one arc) whose modes are computed
    from the *distinct* values of the place.

    ``MultiArc.modes`` crosses the modes of its components, each computed
    per token occurrence, so a place holding 8 tokens and an arc ``2'x``
    gives 64 copies of one mode.  Same result, once each: the flow is still
    checked against the full multiset.
    """

    def modes(self, values):
        vals = MultiSet(values)
        distinct = list(vals.domain())
        parts = [_unique(c.modes(distinct)) for c in self]
        result = []
        for combo in cross(parts):
            try:
                sub = functools.reduce(Substitution.__add__, combo)
            except DomainError:
                continue
            if self.flow(sub) <= vals:
                result.append(sub)
        return _unique(result)


def _one(annots: List):
    return annots[0] if len(annots) == 1 else Bag(tuple(annots))


Arcs = Optional[Dict[str, List]]


class NetBuilder:
    """Tiny helper to write nets in a style close to our language.

    ``ins``, ``reads`` and ``outs`` map a place name to a list of
    annotations, one per token (``2'x`` is ``[V("x"), V("x")]``);
    ``inhibits`` maps a place to one forbidden annotation (or ``ALL``).
    """

    def __init__(self, name: str, **functions: Callable):
        self.net = PetriNet(name)
        for fname, fn in functions.items():
            self.net.globals[fname] = fn

    def place(self, name: str, tokens: Iterable = ()) -> None:
        self.net.add_place(Place(name, list(tokens)))

    def trans(self, name: str, ins: Arcs = None, reads: Arcs = None,
              outs: Arcs = None, inhibits: Optional[Dict[str, object]] = None,
              guard: Optional[str] = None) -> None:
        ins, reads, outs, inhibits = ins or {}, reads or {}, outs or {}, inhibits or {}
        net = self.net
        net.add_transition(OTransition(name, Expression(guard) if guard else None))
        out_arcs: Dict[str, List] = {p: list(a) for p, a in outs.items() if a}
        for p in set(ins) | set(reads) | set(inhibits):
            i, r = list(ins.get(p, [])), list(reads.get(p, []))
            if i and r:           # read + consume on one place: loop
                label = _one(i + r)
                out_arcs.setdefault(p, []).extend(a.copy() for a in r)
            elif r:
                label = Test(_one(r))
            elif i:
                label = _one(i)
            else:
                label = None
            if p in inhibits:
                label = Absent(inhibits[p], label)
            if label is not None:
                net.add_input(p, name, label)
        for p, a in out_arcs.items():
            net.add_output(p, name, _one(a))


class StateLimit(Exception):
    """The SNAKES state graph grew beyond the given limit."""


def state_space(net: PetriNet, max_states: Optional[int] = None) -> Tup[int, int, int]:
    """(states, edges, dead markings) of ``net`` with SNAKES' StateGraph.

    With ``max_states``, raise ``StateLimit`` as soon as more states are known.
    """
    g = StateGraph(net)
    if max_states is None:
        g.build()
    else:
        for _ in g:  # breadth first, one state at a time
            if len(g) > max_states:
                raise StateLimit("more than %d states" % max_states)
    states = len(g)
    edges = dead = 0
    for s in range(states):
        n = sum(1 for _ in g.successors(s))
        edges += n
        dead += n == 0
    return states, edges, dead


# ================================================================ models
#
# Each builder mirrors models/examples/<name>.cpn; keyword arguments are the
# model's params with the same defaults.


def philosophers(N: int = 5) -> PetriNet:
    phil = range(1, N + 1)
    b = NetBuilder("Philosophers", left=lambda p: p, right=lambda p: p % N + 1)
    b.place("Think", phil)
    b.place("Fork", phil)
    for p in ("Catch1", "Catch2", "Eat"):
        b.place(p)
    p, f = V("p"), V("f")
    b.trans("FF1a", ins={"Think": [p], "Fork": [f]}, outs={"Catch1": [p]},
            guard="f == left(p)")
    b.trans("FF2a", ins={"Catch1": [p], "Fork": [f]}, outs={"Eat": [p]},
            guard="f == right(p)")
    b.trans("FF1b", ins={"Think": [p], "Fork": [f]}, outs={"Catch2": [p]},
            guard="f == right(p)")
    b.trans("FF2b", ins={"Catch2": [p], "Fork": [f]}, outs={"Eat": [p]},
            guard="f == left(p)")
    b.trans("End", ins={"Eat": [p]},
            outs={"Think": [p], "Fork": [E("left(p)"), E("right(p)")]})
    return b.net


def philosophers_fixed(N: int = 5) -> PetriNet:
    phil = range(1, N + 1)

    def left(p):
        return p

    def right(p):
        return p % N + 1

    b = NetBuilder("PhilosophersFixed", left=left, right=right,
                   first=lambda p: right(p) if p == N else left(p),
                   second=lambda p: left(p) if p == N else right(p))
    b.place("Think", phil)
    b.place("Fork", phil)
    b.place("HasOne")
    b.place("Eat")
    p, f = V("p"), V("f")
    b.trans("take_first", ins={"Think": [p], "Fork": [f]}, outs={"HasOne": [p]},
            guard="f == first(p)")
    b.trans("take_second", ins={"HasOne": [p], "Fork": [f]}, outs={"Eat": [p]},
            guard="f == second(p)")
    b.trans("release", ins={"Eat": [p]},
            outs={"Think": [p], "Fork": [E("left(p)"), E("right(p)")]})
    return b.net


def producer_consumer(CAP: int = 2, V: int = 2) -> PetriNet:
    b = NetBuilder("ProducerConsumer")
    b.place("Catalog", range(1, V + 1))
    b.place("Producer", [dot])
    b.place("Ready")
    b.place("Slots", [dot] * CAP)
    b.place("Buffer")
    b.place("Consumer", [dot])
    b.place("Using")
    x, u = Variable("x"), Value(dot)
    b.trans("produce", ins={"Producer": [u]}, reads={"Catalog": [x]},
            outs={"Ready": [x]})
    b.trans("put", ins={"Ready": [x], "Slots": [u]},
            outs={"Buffer": [x], "Producer": [u]})
    b.trans("get", ins={"Consumer": [u], "Buffer": [x]},
            outs={"Slots": [u], "Using": [x]})
    b.trans("done", ins={"Using": [x]}, outs={"Consumer": [u]})
    return b.net


def mutex(N: int = 3) -> PetriNet:
    b = NetBuilder("Mutex")
    b.place("Idle", range(1, N + 1))
    b.place("Waiting")
    b.place("Critical")
    b.place("Lock", [dot])
    p, u = V("p"), C(dot)
    b.trans("request", ins={"Idle": [p]}, outs={"Waiting": [p]})
    b.trans("enter", ins={"Waiting": [p], "Lock": [u]}, outs={"Critical": [p]})
    b.trans("leave", ins={"Critical": [p]}, outs={"Idle": [p], "Lock": [u]})
    return b.net


def peterson() -> PetriNet:
    b = NetBuilder("Peterson", other=lambda i: 3 - i)
    b.place("PC", [(1, "idle"), (2, "idle")])
    b.place("Flags", [(1, "down"), (2, "down")])
    b.place("Turn", [1])
    i, j, t = V("i"), V("j"), V("t")
    b.trans("raise_flag", ins={"PC": [T(i, C("idle"))], "Flags": [T(i, C("down"))]},
            outs={"Flags": [T(i, C("up"))], "PC": [T(i, C("setturn"))]})
    b.trans("give_turn", ins={"PC": [T(i, C("setturn"))], "Turn": [t]},
            outs={"Turn": [E("other(i)")], "PC": [T(i, C("waiting"))]})
    b.trans("enter_flag", ins={"PC": [T(i, C("waiting"))]},
            reads={"Flags": [T(j, C("down"))]}, guard="j != i",
            outs={"PC": [T(i, C("critical"))]})
    b.trans("enter_turn", ins={"PC": [T(i, C("waiting"))]}, reads={"Turn": [i]},
            outs={"PC": [T(i, C("critical"))]})
    b.trans("leave", ins={"PC": [T(i, C("critical"))], "Flags": [T(i, C("up"))]},
            outs={"Flags": [T(i, C("down"))], "PC": [T(i, C("idle"))]})
    return b.net


def token_ring(N: int = 4) -> PetriNet:
    b = NetBuilder("TokenRing", next=lambda n: n % N + 1)
    b.place("Idle", range(1, N + 1))
    b.place("Want")
    b.place("Busy")
    b.place("Token", [1])
    n = V("n")
    b.trans("wish", ins={"Idle": [n]}, outs={"Want": [n]})
    b.trans("enter", ins={"Want": [n], "Token": [n]}, outs={"Busy": [n]})
    b.trans("leave", ins={"Busy": [n]}, outs={"Idle": [n], "Token": [n]})
    b.trans("pass", ins={"Token": [n]}, inhibits={"Want": n},
            outs={"Token": [E("next(n)")]})
    return b.net


def leader_election(N: int = 3) -> PetriNet:
    def nxt(n):
        return n % N + 1

    def uid(n):
        return N + 1 - n

    b = NetBuilder("LeaderElection", next=nxt, uid=uid)
    b.place("Pending", range(1, N + 1))
    b.place("Chan")
    b.place("Elected")
    n, m = V("n"), V("m")
    b.trans("send", ins={"Pending": [n]}, outs={"Chan": [T(E("next(n)"), E("uid(n)"))]})
    # `out Chan : if m > uid(n) then (next(n), m) else empty` is split in two
    # SNAKES transitions with complementary guards (same modes overall).
    b.trans("receive_fwd", ins={"Chan": [T(n, m)]}, guard="m != uid(n) and m > uid(n)",
            outs={"Chan": [T(E("next(n)"), m)]})
    b.trans("receive_drop", ins={"Chan": [T(n, m)]}, guard="m != uid(n) and not m > uid(n)")
    b.trans("elect", ins={"Chan": [T(n, m)]}, guard="m == uid(n)",
            outs={"Elected": [n]})
    return b.net



def read_inhibit(R: int = 2, W: int = 1, V: int = 2) -> PetriNet:
    b = NetBuilder("ReadersWriters")
    b.place("Data", [0])
    b.place("Values", range(0, V + 1))
    b.place("RIdle", range(1, R + 1))
    b.place("Reading")
    b.place("WIdle", range(1, W + 1))
    b.place("Writing")
    r, v, w = var("r"), var("v"), var("w")
    b.trans("start_read", ins={"RIdle": [r]}, reads={"Data": [v]},
            inhibits={"Data": C(0), "Writing": ALL}, outs={"Reading": [T(r, v)]})
    b.trans("end_read", ins={"Reading": [T(r, v)]}, outs={"RIdle": [r]})
    b.trans("start_write", ins={"WIdle": [w]},
            inhibits={"Reading": ALL, "Writing": ALL}, outs={"Writing": [w]})
    b.trans("end_write", ins={"Writing": [w], "Data": [var("old")]},
            reads={"Values": [var("new")]}, guard="new != old and new != 0",
            outs={"Data": [var("new")], "WIdle": [w]})
    return b.net


def enums_products(C: int = 2) -> PetriNet:
    b = NetBuilder("RequestResponse",
                   answer=lambda k: "ok" if k == "get" else "failed")
    for p, init in (("Idle", range(1, C + 1)), ("Waiting", ()), ("Requests", ()),
                    ("Free", [dot]), ("Serving", ()), ("Responses", ()),
                    ("Done", ())):
        b.place(p, init)
    c, k, s, u = var("c"), var("k"), var("s"), Value(dot)
    K = Value  # enumeration constants are strings
    b.trans("send_get", ins={"Idle": [c]},
            outs={"Waiting": [c], "Requests": [T(c, K("get"))]})
    b.trans("send_put", ins={"Idle": [c]},
            outs={"Waiting": [c], "Requests": [T(c, K("put"))]})
    b.trans("accept", ins={"Requests": [T(c, k)], "Free": [u]},
            outs={"Serving": [T(c, k)]})
    b.trans("reject", ins={"Requests": [T(c, k)]}, inhibits={"Free": u},
            outs={"Responses": [T(c, K("busy"))]})
    b.trans("serve_ok", ins={"Serving": [T(c, k)]},
            outs={"Responses": [T(c, K("ok"))], "Free": [u]})
    b.trans("serve_fail", ins={"Serving": [T(c, K("put"))]},
            outs={"Responses": [T(c, E("answer('put')"))], "Free": [u]})
    b.trans("retry", ins={"Waiting": [c], "Responses": [T(c, K("busy"))]},
            outs={"Idle": [c]})
    b.trans("finish", ins={"Waiting": [c], "Responses": [T(c, s)]},
            guard="s != 'busy'", outs={"Done": [T(c, s)]})
    return b.net


def assembly(P: int = 4) -> PetriNet:
    b = NetBuilder("Assembly")
    b.place("Raw", [dot] * P)
    b.place("Paint", ["red", "blue"])
    for p in ("Parts", "Boxes", "Mixed"):
        b.place(p)
    c, c1, c2 = var("c"), var("c1"), var("c2")
    b.trans("paint", ins={"Raw": [C(dot)]}, reads={"Paint": [c]}, outs={"Parts": [c]})
    b.trans("pack_same", ins={"Parts": [c, c]}, outs={"Boxes": [c]})
    b.trans("pack_mixed", ins={"Parts": [c1, c2]}, guard="c1 != c2",
            outs={"Mixed": [C(dot)]})
    return b.net


# ================================================================ entry point

BUILDERS: Dict[str, Callable[..., PetriNet]] = {
    "philosophers": philosophers,
    "philosophers_fixed": philosophers_fixed,
    "producer_consumer": producer_consumer,
    "mutex": mutex,
    "peterson": peterson,
    "token_ring": token_ring,
    "leader_election": leader_election,
    "read_inhibit": read_inhibit,
    "enums_products": enums_products,
    "assembly": assembly,
}

# the params of each model and their defaults (must match the .cpn files)
DEFAULTS: Dict[str, Dict[str, int]] = {
    name: {p.name: p.default for p in inspect.signature(fn).parameters.values()}
    for name, fn in BUILDERS.items()
}


@functools.lru_cache(maxsize=None)
def _oracle(model: str, params: Tup[Tup[str, int], ...]) -> Tup[int, int, int]:
    return state_space(BUILDERS[model](**dict(params)))


def oracle(model: str, **params: int) -> Tup[int, int, int]:
    """``(states, edges, dead_markings)`` of example ``model`` (file stem of
    models/examples/<model>.cpn) with the given param overrides."""
    if model not in BUILDERS:
        raise KeyError("no SNAKES builder for model %r" % model)
    unknown = set(params) - set(DEFAULTS[model])
    if unknown:
        raise TypeError("unknown params for %s: %s" % (model, sorted(unknown)))
    return _oracle(model, tuple(sorted(params.items())))


if __name__ == "__main__":  # python tests/snakes_oracle.py MODEL [NAME=VALUE ...]
    import sys
    import time

    t0 = time.time()
    args = dict(a.split("=", 1) for a in sys.argv[2:])
    print(sys.argv[1], args,
          oracle(sys.argv[1], **{k: int(v) for k, v in args.items()}),
          "%.2fs" % (time.time() - t0))
