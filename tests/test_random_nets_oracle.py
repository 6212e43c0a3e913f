"""Random small coloured nets: protoverify against SNAKES.

Hypothesis draws a small net description (places over Unit, 1..2, 1..3 or
the product R2 * R3; transitions with variable / constant / tuple patterns,
``k'x`` multiplicities, simple guards, read and inhibitor arcs, output arcs
over bound variables, constants and small expressions) and renders it twice:
as model text in our language, and as a SNAKES net built with the helpers of
``tests/snakes_oracle.py``.  States, edges and dead markings must agree.

Every transition produces at most as many tokens as it consumes, so the
token count never grows and the state space is finite; exploration is still
capped (``max_states=2000``) and incomplete examples are discarded, as are
examples with more than ``ORACLE_MAX_STATES`` states (SNAKES is slow).
``hypothesis.target`` steers the search away from trivial one-state nets.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, assume, given, note, settings, target
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from snakes_oracle import ALL, NetBuilder, StateLimit, state_space  # noqa: E402
from snakes.nets import Expression, MultiArc, Tuple as STuple, Value, Variable, dot  # noqa: E402

from protoverify import explore  # noqa: E402

try:  # load model text directly when the loader offers it
    from protoverify import load_model_text as _load_text
except ImportError:  # pragma: no cover - fall back on a temporary file
    _load_text = None

settings.register_profile("random_nets", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.filter_too_much])
RANDOM_NETS = settings.get_profile("random_nets")

MAX_STATES = 2000          # protoverify's exploration cap
ORACLE_MAX_STATES = 300    # larger complete examples are skipped (SNAKES is slow)

# ------------------------------------------------------------- colour sets

COLSETS = ["Unit", "R2", "R3", "Pair"]
VALUES = {
    "Unit": [dot],
    "R2": [1, 2],
    "R3": [1, 2, 3],
    "Pair": [(a, b) for a in (1, 2) for b in (1, 2, 3)],
}
# variables available for each colour set (a variable keeps one type)
VARS = {"Unit": ["u"], "R2": ["a", "b"], "R3": ["c", "d"], "Pair": ["q", "r"]}
DECLS = "colset R2 = 1..2\ncolset R3 = 1..3\ncolset Pair = R2 * R3\n"


# --------------------------------------------------------- term language
#
# A term is one token inscription:
#   ("var", name)            a variable
#   ("const", value)         a constant (dot for unit, int, tuple of ints)
#   ("tuple", t1, t2)        a tuple of terms (patterns or values)
#   ("expr", text, python)   an output-only expression
#   ("inexpr", text, python, fresh)
#                            an expression on an INPUT arc (not a pattern:
#                            evaluated once its variables are bound); SNAKES
#                            gets the fresh variable plus `fresh == python`
#                            in the guard


def render(t) -> str:
    kind = t[0]
    if kind == "var":
        return t[1]
    if kind == "const":
        v = t[1]
        if v == dot:
            return "unit"
        if isinstance(v, tuple):
            return "(%d, %d)" % v
        return str(v)
    if kind == "tuple":
        return "(%s, %s)" % (render(t[1]), render(t[2]))
    return t[1]


def annot(t):
    kind = t[0]
    if kind == "var":
        return Variable(t[1])
    if kind == "const":
        if isinstance(t[1], tuple):  # a tuple constant is a tuple of values
            return STuple((Value(t[1][0]), Value(t[1][1])))
        return Value(t[1])
    if kind == "tuple":
        return STuple((annot(t[1]), annot(t[2])))
    if kind == "inexpr":
        return Variable(t[3])
    return Expression(t[2])


def term_vars(t) -> List[Tuple[str, str]]:
    """(variable, colour set) pairs of a pattern term."""
    if t[0] == "var":
        return [(t[1], _VAR_TYPE[t[1]])]
    if t[0] == "tuple":
        return term_vars(t[1]) + term_vars(t[2])
    return []


_VAR_TYPE = {v: cs for cs, vs in VARS.items() for v in vs}


@dataclass
class Arc:
    place: int
    terms: List[Tuple[int, tuple]]      # (multiplicity, term)
    split: bool = False                 # render one arc line per term


@dataclass
class Trans:
    ins: List[Arc] = field(default_factory=list)
    reads: List[Arc] = field(default_factory=list)
    # (place, term or ALL); several entries on one place forbid all their values
    inhibits: List[Tuple[int, object]] = field(default_factory=list)
    join_inhibits: bool = False         # render them as one `a ++ b` line
    guard: Optional[Tuple[str, str]] = None   # (our text, python text)
    outs: List[Arc] = field(default_factory=list)


@dataclass
class RandomNet:
    types: List[str]
    init: List[List[Tuple[int, object]]]   # per place: (count, value); None = all
    trans: List[Trans]


# ------------------------------------------------------------- strategies


def pattern(draw, cs: str, used: set):
    """A pattern term for a place of colour set cs; ``used`` holds the
    variables already in the transition's patterns (a variable met again
    joins the two patterns; fresh ones are preferred to keep nets lively)."""
    if cs == "Pair":
        choice = draw(st.sampled_from(["tuple", "var", "const", "tuple"]))
        if choice == "tuple":
            return ("tuple", pattern(draw, "R2", used), pattern(draw, "R3", used))
        if choice == "const":
            return ("const", draw(st.sampled_from(VALUES["Pair"])))
    elif draw(st.integers(0, 3)) == 0:
        return ("const", draw(st.sampled_from(VALUES[cs])))
    fresh = [v for v in VARS[cs] if v not in used]
    if fresh and draw(st.integers(0, 3)) > 0:
        v = fresh[0]
    else:
        v = draw(st.sampled_from(VARS[cs]))
    used.add(v)
    return ("var", v)


def value_term(draw, cs: str, bound: Dict[str, str]):
    """An output term of colour set cs using bound variables or constants."""
    same = [v for v, t in bound.items() if t == cs]
    options = ["const"] + (["var", "var"] if same else [])
    if cs == "Pair":
        options.append("tuple")
    if cs == "R2" and same:
        options.append("flip")
    if cs == "R3" and same:
        options.append("succ")
    choice = draw(st.sampled_from(options))
    if choice == "var":
        return ("var", draw(st.sampled_from(same)))
    if choice == "flip":          # 1 <-> 2
        v = draw(st.sampled_from(same))
        return ("expr", "3 - %s" % v, "3 - %s" % v)
    if choice == "succ":          # 1 -> 2 -> 3 -> 1
        v = draw(st.sampled_from(same))
        return ("expr", "%s %% 3 + 1" % v, "%s %% 3 + 1" % v)
    if choice == "tuple":
        return ("tuple", value_term(draw, "R2", bound), value_term(draw, "R3", bound))
    return ("const", draw(st.sampled_from(VALUES[cs])))


def pattern_arc(draw, place: int, cs: str, used: set, max_terms: int = 2) -> Arc:
    n = 1 if max_terms == 1 or draw(st.integers(0, 3)) else 2
    terms = [(draw(st.sampled_from([1, 1, 1, 1, 2])), pattern(draw, cs, used))
             for _ in range(n)]
    return Arc(place, terms, split=n > 1 and draw(st.booleans()))


@st.composite
def random_nets(draw) -> RandomNet:
    np_ = draw(st.integers(2, 4))
    types = [draw(st.sampled_from(COLSETS)) for _ in range(np_)]
    init = []
    for cs in types:
        if draw(st.integers(0, 3)) == 0:
            init.append(None)                       # `all`
        else:
            k = draw(st.integers(1, 3)) if draw(st.integers(0, 5)) else 0
            init.append([(draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from(VALUES[cs])))
                         for _ in range(k)])
    # initially marked places are twice as likely to be consumed from
    marked = [p for p in range(np_) if init[p] is None or init[p]]
    trans = []
    for _ in range(draw(st.integers(1, 4))):
        t = Trans()
        bound: Dict[str, str] = {}
        used: set = set()
        consumed = 0
        no_input = draw(st.integers(0, 7)) == 0     # rarely: only read/inhibit arcs
        in_places = [] if no_input else draw(
            st.lists(st.sampled_from(marked + list(range(np_))), min_size=1,
                     max_size=2, unique=True))
        for p in in_places:
            arc = pattern_arc(draw, p, types[p], used)
            t.ins.append(arc)
            consumed += sum(k for k, _ in arc.terms)
        if draw(st.integers(0, 2)) == 0:            # a read arc
            p = draw(st.integers(0, np_ - 1))
            t.reads.append(pattern_arc(draw, p, types[p], used, max_terms=1))
        for arc in t.ins + t.reads:
            for _, term in arc.terms:
                bound.update(term_vars(term))
        if draw(st.integers(0, 4)) == 0:            # inhibitor arcs,
            unmarked = [p for p in range(np_) if p not in marked]  # rather on
            for _ in range(1 if draw(st.integers(0, 3)) else 2):   # empty places
                p = draw(st.sampled_from(unmarked * 2 + list(range(np_))))
                kind = draw(st.sampled_from(["all", "value", "value", "value"]))
                t.inhibits.append(
                    (p, ALL if kind == "all" else value_term(draw, types[p], bound)))
            t.join_inhibits = draw(st.booleans())
        same_type = [p for p in range(np_) if types[p] in ("R2", "R3")
                     and any(cs == types[p] for cs in bound.values())]
        if same_type and draw(st.integers(0, 3)) == 0:   # an input expression
            p = draw(st.sampled_from(same_type))
            v = draw(st.sampled_from(sorted(x for x, cs in bound.items() if cs == types[p])))
            text = "3 - %s" % v if types[p] == "R2" else "%s %% 3 + 1" % v
            term = ("inexpr", text, text, "fresh%d" % len(trans))
            arc = next((a for a in t.ins if a.place == p), None)
            if arc is None:
                arc = Arc(p, [])
                t.ins.append(arc)
            arc.terms.append((1, term))
            consumed += 1
        ints = [v for v, cs in bound.items() if cs in ("R2", "R3")]
        if ints and draw(st.booleans()):            # a guard
            x = draw(st.sampled_from(ints))
            others = [v for v in ints if v != x and bound[v] == bound[x]]
            if others and draw(st.booleans()):
                y = draw(st.sampled_from(others))
                op = draw(st.sampled_from(["!=", "==", "<"]))
                g = "%s %s %s" % (x, op, y)
            else:
                op = draw(st.sampled_from(["==", "!=", ">="]))
                g = "%s %s %d" % (x, op, draw(st.integers(1, 2)))
            t.guard = (g, g)
        # never more out than in; often exactly as many (the net keeps running)
        budget = consumed if draw(st.booleans()) else draw(st.integers(0, consumed))
        outs: Dict[int, Arc] = {}
        for _ in range(budget):
            p = draw(st.integers(0, np_ - 1))
            outs.setdefault(p, Arc(p, [])).terms.append((1, value_term(draw, types[p], bound)))
        t.outs = list(outs.values())
        trans.append(t)
    return RandomNet(types, init, trans)


# ------------------------------------------------------------- rendering


def _ms(terms: List[Tuple[int, tuple]]) -> str:
    return " ++ ".join(render(t) if k == 1 else "%d'%s" % (k, render(t)) for k, t in terms)


def to_text(net: RandomNet) -> str:
    lines = ["model Random", DECLS]
    for i, cs in enumerate(net.types):
        init = net.init[i]
        if init is None:
            lines.append("place p%d : %s = all" % (i, cs))
        elif init:
            lines.append("place p%d : %s = %s" % (
                i, cs, _ms([(k, ("const", v)) for k, v in init])))
        else:
            lines.append("place p%d : %s" % (i, cs))
    for j, t in enumerate(net.trans):
        lines.append("transition t%d" % j)
        for kind, arcs in (("in", t.ins), ("read", t.reads)):
            for arc in arcs:
                parts = [[kt] for kt in arc.terms] if arc.split else [arc.terms]
                for terms in parts:
                    lines.append("  %s p%d : %s" % (kind, arc.place, _ms(terms)))
        inhibits: Dict[int, List[str]] = {}
        for p, term in t.inhibits:
            inhibits.setdefault(p, []).append("all" if term is ALL else render(term))
        for p, texts in inhibits.items():
            for text in [" ++ ".join(texts)] if t.join_inhibits else texts:
                lines.append("  inhibit p%d : %s" % (p, text))
        if t.guard:
            lines.append("  guard %s" % t.guard[0])
        for arc in t.outs:
            lines.append("  out p%d : %s" % (arc.place, _ms(arc.terms)))
    return "\n".join(lines) + "\n"


def to_snakes(net: RandomNet):
    b = NetBuilder("Random")
    for i, cs in enumerate(net.types):
        init = net.init[i]
        tokens = list(VALUES[cs]) if init is None else [v for k, v in init for _ in range(k)]
        b.place("p%d" % i, tokens)

    def arcs(lst: List[Arc]):
        d: Dict[str, list] = {}
        for arc in lst:
            d.setdefault("p%d" % arc.place, []).extend(
                annot(term) for k, term in arc.terms for _ in range(k))
        return d

    for j, t in enumerate(net.trans):
        guards = [t.guard[1]] if t.guard else []
        guards += ["%s == (%s)" % (term[3], term[2])
                   for arc in t.ins for _, term in arc.terms if term[0] == "inexpr"]
        forbidden: Dict[str, list] = {}
        for p, term in t.inhibits:
            forbidden.setdefault("p%d" % p, []).append(term)
        inhibits = {p: ALL if any(x is ALL for x in terms) else
                    (annot(terms[0]) if len(terms) == 1 else
                     MultiArc(tuple(annot(x) for x in terms)))
                    for p, terms in forbidden.items()}
        b.trans("t%d" % j, ins=arcs(t.ins), reads=arcs(t.reads), outs=arcs(t.outs),
                inhibits=inhibits,
                guard=" and ".join("(%s)" % g for g in guards) if guards else None)
    return b.net


def protoverify_counts(text: str):
    if _load_text is not None:
        model = _load_text(text)
    else:  # pragma: no cover
        import tempfile

        from protoverify import load_model
        with tempfile.NamedTemporaryFile("w", suffix=".cpn", delete=False) as f:
            f.write(text)
        model = load_model(f.name)
    space = explore(model, max_states=MAX_STATES)
    return space


# ------------------------------------------------------------------ tests


@pytest.mark.slow
@RANDOM_NETS
@given(random_nets())
def test_random_net_matches_snakes(net):
    text = to_text(net)
    note(text)
    space = protoverify_counts(text)
    assume(space.complete)
    # SNAKES manages ~30-100 states/s on these nets: keep each example quick
    assume(space.states <= ORACLE_MAX_STATES and space.edges <= 5 * ORACLE_MAX_STATES)
    target(float(min(space.states, 60)), label="states")  # steer towards livelier nets
    got = (space.states, space.edges, space.dead_markings)
    try:
        expected = state_space(to_snakes(net), max_states=2 * MAX_STATES)
    except StateLimit:
        raise AssertionError("protoverify found %s but SNAKES has more than %d states for\n%s"
                             % (got, 2 * MAX_STATES, text))
    assert got == expected, "protoverify %s != SNAKES %s for\n%s" % (got, expected, text)


def test_fixed_net_matches_snakes():
    """A fixed net exercising every feature of the generator (quick smoke test)."""
    net = RandomNet(
        types=["R2", "Pair", "Unit", "R3"],
        init=[[(2, 1), (1, 2)], [(1, (1, 1)), (1, (2, 3)), (1, (1, 2))], [], [(1, 3)]],
        trans=[
            # multiplicity, input expression, tuple pattern, read, constant
            # inhibitor, guard, output expressions
            Trans(ins=[Arc(0, [(2, ("var", "a")), (1, ("inexpr", "3 - a", "3 - a", "fresh0"))]),
                       Arc(1, [(1, ("tuple", ("var", "b"), ("var", "c")))])],
                  reads=[Arc(3, [(1, ("var", "d"))])],
                  inhibits=[(2, ("const", dot))],
                  guard=("a != b", "a != b"),
                  outs=[Arc(1, [(1, ("tuple", ("var", "a"), ("expr", "d % 3 + 1", "d % 3 + 1")))]),
                        Arc(0, [(1, ("expr", "3 - b", "3 - b")), (1, ("const", 1))]),
                        Arc(2, [(1, ("const", dot))])]),
            # Unit variable
            Trans(ins=[Arc(2, [(1, ("var", "u"))])], outs=[]),
            # read and consume on one place, tuple pattern with a constant
            Trans(ins=[Arc(1, [(1, ("var", "q"))])],
                  reads=[Arc(1, [(1, ("tuple", ("const", 1), ("var", "c")))])],
                  inhibits=[(0, ("const", 2))],
                  guard=("c < 3", "c < 3"),
                  outs=[Arc(1, [(1, ("tuple", ("const", 2), ("var", "c")))])]),
            # inhibit `all` (emptiness test)
            Trans(ins=[Arc(0, [(1, ("var", "a"))])], inhibits=[(2, ALL)],
                  outs=[Arc(0, [(1, ("expr", "3 - a", "3 - a"))])]),
            # two in lines on one place, two inhibit values on one place
            Trans(ins=[Arc(0, [(1, ("var", "a")), (1, ("var", "b"))], split=True)],
                  inhibits=[(1, ("tuple", ("var", "a"), ("const", 3))),
                            (1, ("tuple", ("var", "b"), ("const", 3)))],
                  guard=("a < b", "a < b"),
                  outs=[Arc(0, [(1, ("var", "b")), (1, ("var", "b"))])]),
            # inhibiting a value it consumes: never enabled
            Trans(ins=[Arc(0, [(1, ("var", "a"))])], inhibits=[(0, ("var", "a"))],
                  outs=[Arc(0, [(1, ("var", "a"))])]),
            Trans(),                                  # no arc: always enabled
        ])
    text = to_text(net)
    space = protoverify_counts(text)
    assert space.complete
    expected = state_space(to_snakes(net))
    assert expected[0] > 10, "the fixed net should not be trivial"
    assert (space.states, space.edges, space.dead_markings) == expected, text
