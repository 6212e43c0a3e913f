"""The explorer on small nets whose state spaces are worked out by hand."""

from __future__ import annotations

import networkx as nx
import pytest

from protoverify import ModelRuntimeError, explore, load_model_text


def space_of(text: str, **kw):
    return explore(load_model_text(text), **kw)


def markings_as_dicts(space):
    net = space.net
    return [{p.name: dict(m[p.index]) for p in net.places if m[p.index]} for m in space.markings]


def test_counter_with_guard_stops_at_the_top():
    s = space_of("""
        model Counter
        colset C = 0..3
        place P : C = 0
        transition inc in P : k out P : k + 1 guard k < 3
    """)
    assert (s.states, s.edges, s.dead_markings) == (4, 3, 1)
    assert markings_as_dicts(s)[s.dead[0]] == {"P": {3: 1}}
    assert [step.binding for step in s.path_to(s.dead[0])] == [{"k": 0}, {"k": 1}, {"k": 2}]


def test_value_leaving_its_colour_set_is_a_model_error_not_a_wrap():
    with pytest.raises(ModelRuntimeError) as info:
        space_of("""
            model Counter
            colset C = 0..3
            place P : C = 0
            transition inc in P : k out P : k + 1
        """)
    err = info.value
    assert err.transition == "inc"
    assert err.binding == {"k": "3"}
    assert "P: 3" in err.marking
    assert "not in colour set C" in err.message
    assert "<model>:5:" in err.render()


def test_two_bindings_to_the_same_marking_are_two_edges():
    # x=1,y=2 and x=2,y=1 both empty the place; x=y needs two equal tokens
    s = space_of("""
        model Pairs
        colset C = 1..2
        place P : C = 1 ++ 2
        transition t in P : x ++ y
    """)
    assert (s.states, s.edges, s.dead_markings) == (2, 2, 1)


def test_multiplicity_on_an_input_pattern():
    s = space_of("""
        model Mult
        colset C = 1..2
        place P : C = 3'1 ++ 2
        place Q : C
        transition t in P : 2'x out Q : x
    """)
    # only x=1 is enabled, once from 3'1 (leaving 1), then no longer
    assert (s.states, s.edges) == (2, 1)
    assert markings_as_dicts(s)[1] == {"P": {1: 1, 2: 1}, "Q": {1: 1}}


def test_read_arc_does_not_consume_and_read_plus_in_need_distinct_tokens():
    s = space_of("""
        model Read
        place Key : Unit = unit
        place Door : Unit = unit
        place Open : Unit
        transition open read Key : unit in Door : unit out Open : unit
        transition greedy in Key : unit read Key : unit
    """)
    # open fires once; greedy needs two Key tokens (one read, one taken) and never fires
    assert (s.states, s.edges, s.dead_markings) == (2, 1, 1)
    assert s.dead_transitions == ["greedy"]
    assert markings_as_dicts(s)[1] == {"Key": {0: 1}, "Open": {0: 1}}


def test_inhibitor_arc_blocks_on_a_matching_token_only():
    s = space_of("""
        model Inhibit
        colset C = 1..3
        place Todo : C = all
        place Done : C = 2
        transition work in Todo : x inhibit Done : x out Done : x
    """)
    # x=2 is inhibited forever; 1 and 3 in either order: {}, {1}, {3}, {1,3}
    assert s.states == 4
    assert s.edges == 4
    assert s.dead_markings == 1
    assert markings_as_dicts(s)[s.dead[0]] == {"Todo": {2: 1}, "Done": {1: 1, 2: 1, 3: 1}}


def test_enums_products_constants_in_patterns():
    s = space_of("""
        model Jobs
        colset Job = 1..2
        colset Status = { waiting, running, done }
        colset Entry = Job * Status
        place Table : Entry = (1, waiting) ++ (2, waiting)
        transition start in Table : (j, waiting) out Table : (j, running)
        transition finish in Table : (j, running) out Table : (j, done)
    """)
    # each job independently in 3 states
    assert s.states == 9
    assert s.dead_markings == 1
    dead = markings_as_dicts(s)[s.dead[0]]
    assert dead == {"Table": {(1, 2): 1, (2, 2): 1}}


def test_multiset_if_and_functions_and_integer_division():
    s = space_of("""
        model Arith
        colset C = -3..3
        fun half(n: int): int = n / 2
        fun rest(n: int): int = n % 2
        place P : C = -3
        place Halves : C
        place Rests : C
        transition step in P : k
            out P : if k < 3 then k + 1 else empty
            out Halves : half(k)
            out Rests : rest(k)
    """)
    assert s.states == 8
    last = markings_as_dicts(s)[s.dead[0]]
    # floor division and modulo, like SML div/mod: -3 / 2 = -2, -3 % 2 = 1
    assert last["Halves"] == {-2: 1, -1: 2, 0: 2, 1: 2}
    assert last["Rests"] == {1: 4, 0: 3}
    assert "P" not in last


def test_guard_on_constants_only_and_boolean_logic():
    s = space_of("""
        model Flags
        param ON = 1
        colset B = 0..1
        place P : B = 0
        transition never in P : x out P : 1 - x guard ON == 0
        transition flip in P : x out P : 1 - x guard not (x == 1 and ON == 0) or x == 0
    """)
    assert s.dead_transitions == ["never"]
    assert (s.states, s.edges) == (2, 2)


def test_division_by_zero_is_a_model_error():
    with pytest.raises(ModelRuntimeError) as info:
        space_of("""
            model Div
            colset C = 0..2
            place P : C = 0
            transition t in P : k out P : 2 / k
        """)
    assert "division by zero" in info.value.message
    assert info.value.binding == {"k": "0"}


def test_bounds_match_an_independent_scan():
    s = space_of("""
        model Grow
        colset C = 1..3
        place Src : C = all
        place Dst : C
        transition move in Src : x out Dst : 2'x
    """)
    for p in s.net.places:
        expected = max(sum(n for _, n in m[p.index]) for m in s.markings)
        assert s.bounds[p.index] == expected
    assert s.bound_of("Dst") == 6 and s.bound_of("Src") == 3


RING = """
    model Ring
    param N = 5
    colset Node = 1..N
    fun next(n: Node): Node = if n == N then 1 else n + 1
    place Token : Node = 1
    place Seen : Node
    transition pass in Token : n out Token : next(n) guard n < N
    transition mark in Token : n out Token : n out Seen : n inhibit Seen : n
"""


def test_shortest_paths_match_networkx_bfs_depths():
    s = explore(load_model_text(RING + " transition jump in Token : n out Token : 1 guard n == 3"),
                keep_successors=True)
    g = nx.DiGraph()
    for src, outs in enumerate(s.successors):
        g.add_node(src)
        for dst, _t, _env in outs:
            g.add_edge(src, dst)
    depth = nx.single_source_shortest_path_length(g, 0)
    assert len(depth) == s.states
    for state in range(s.states):
        path = s.path_to(state)
        assert len(path) == depth[state]
        # replaying the path really reaches the state
        if path:
            assert path[-1].target == state


def test_max_states_stops_cleanly():
    s = explore(load_model_text("""
        model Big
        colset C = 0..99999
        place P : C = 0
        transition inc in P : k out P : k + 1 guard k < 99999
    """), max_states=50)
    assert not s.complete and s.stop_reason == "max-states"
    assert s.states == 50


def test_timeout_stops_cleanly():
    s = explore(load_model_text("""
        model Big
        colset C = 0..999999
        place P : C = 0
        transition inc in P : k out P : k + 1 guard k < 999999
    """), timeout=0.05)
    assert not s.complete and s.stop_reason == "timeout"
    assert 0 < s.states < 1_000_000


def test_unknown_strategy_is_refused_up_front():
    with pytest.raises(ValueError, match="unknown strategy"):
        explore(load_model_text("model M place P : Unit"), strategy="dfs-random")
