"""``render --what net``: every place, transition and arc of the IR is in the picture, drawn by its kind.

Oracle: the Net IR itself (places, transitions, arcs and their kinds) against
what graphviz laid out, read back from the SVG; and, for the inscriptions and
guards printed on the picture, a second model written from those texts alone
must have the same state space as the original.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from protoverify.explore.statespace import explore
from protoverify.loader import load_model, load_model_text
from protoverify.net import colours as C
from protoverify.render._expr import show_expr, show_guard, show_inscription
from protoverify.render._net import ARC_STYLE, DEFAULT_SPLIT, hub_places, net_dot
from render_helpers import DATA, ROOT, graphviz_svg, run

PROTOCOLS = [ROOT / "models" / "bonjourgrid.cpn", ROOT / "models" / "pastrygrid.cpn"]
EXAMPLES = sorted((ROOT / "models" / "examples").glob("*.cpn"))


def _owner(node_id: str) -> str:
    """``P_Idle~submit`` (a copy) -> ``P_Idle``."""
    return node_id.split("~")[0]


def _expected_arcs(net) -> Counter:
    out = Counter()
    for t in net.transitions:
        for a in t.arcs:
            pair = (f"T_{t.name}", f"P_{a.place.name}") if a.kind == "out" else (f"P_{a.place.name}", f"T_{t.name}")
            out[pair + (a.kind,)] += 1
    return out


def _kind_of(edge) -> str:
    """Tell an arc's kind from its drawing alone: colour, dashes, arrowhead shape."""
    path = edge.find("{http://www.w3.org/2000/svg}path")
    heads = [c.tag.split("}")[1] for c in edge if c.tag.split("}")[1] in ("polygon", "ellipse")]
    colour = path.get("stroke")
    if colour == ARC_STYLE["inhibit"]["color"]:
        assert "ellipse" in heads, "an inhibitor arc ends in a circle"
        return "inhibit"
    if colour == ARC_STYLE["read"]["color"]:
        assert path.get("stroke-dasharray"), "a read arc is dashed"
        return "read"
    assert not path.get("stroke-dasharray")
    return "flow"


@pytest.mark.parametrize("model", PROTOCOLS + EXAMPLES[:3], ids=lambda p: p.stem)
def test_every_node_and_arc_is_drawn(model: Path, tmp_path):
    out = tmp_path / "net.svg"
    code, _, err = run("render", model, "-o", out)
    assert code == 0, err
    net = load_model(model)
    nodes, edges = graphviz_svg(out)
    owners = Counter(_owner(n) for n in nodes)
    assert {f"P_{p.name}" for p in net.places} | {f"T_{t.name}" for t in net.transitions} == set(owners)
    assert all(owners[f"T_{t.name}"] == 1 for t in net.transitions)
    # one edge per IR arc, between the right ends, in the right direction, drawn as its kind
    drawn = Counter()
    for tail, head, g in edges:
        kind = _kind_of(g)
        pair = (_owner(tail), _owner(head))
        drawn[pair + (kind,)] += 1
    want = Counter()
    for (a, b, kind), n in _expected_arcs(net).items():
        want[(a, b, "flow" if kind in ("in", "out") else kind)] += n
    assert drawn == want
    assert len(edges) == sum(len(t.arcs) for t in net.transitions)
    # a copy of a place is used by one transition only, and only hubs have copies
    hubs = hub_places(net, DEFAULT_SPLIT)
    for n in nodes:
        if "~" in n:
            place, tname = n[2:].split("~")
            assert place in hubs
            assert {h if t == n else t for t, h, _ in edges if n in (t, h)} == {f"T_{tname}"}


def test_split_zero_draws_each_place_once(tmp_path):
    net = load_model(PROTOCOLS[0])
    dot = net_dot(net, split=0)
    assert "~" not in dot
    assert dot.count("->") == sum(len(t.arcs) for t in net.transitions)


def test_labels_show_colour_set_initial_marking_guard_and_event(tmp_path):
    out = tmp_path / "net.svg"
    assert run("render", DATA / "grouped.cpn", "-o", out)[0] == 0
    text = out.read_text()
    for needle in ("Idle", "Node", "= all", "send_req", "emit request", "Msg", "(n, s)"):
        assert needle in text, needle


def test_cluster_by_group_annotation():
    net = load_model(DATA / "grouped.cpn")
    dot = net_dot(net, cluster=("group",))
    # each cluster holds exactly the declarations written under its `// group:` line
    blocks = {}
    current = None
    for line in dot.splitlines():
        if line.strip().startswith("subgraph cluster_"):
            current = []
        elif current is not None and line.strip().startswith("graph ["):
            blocks[re.search(r"label=(\w+)", line).group(1)] = current
        elif current is not None and line.strip() == "}":
            current = None
        elif current is not None and line.strip().startswith(("P_", "T_")):
            current.append(line.strip().split(" ")[0])
    assert blocks == {"client": ["T_send_req", "P_Idle", "P_Waiting"], "network": ["T_drop_msg", "P_Net"],
                      "server": ["T_serve", "P_Served"]}


def test_cluster_by_prefix_and_by_given_prefixes():
    net = load_model(DATA / "grouped.cpn")
    dot = net_dot(net, cluster=("prefix",))
    assert dot.count("subgraph cluster_") == 0  # send_, drop_, serve: no word shared by two names
    dot = net_dot(net, cluster=("send", "drop", "serv"))
    assert dot.count("subgraph cluster_") == 3
    code, _, err = run("render", DATA / "grouped.cpn", "--cluster", "group,prefix", "-o", "never-written.dot")
    assert code == 2 and "cannot be combined" in err
    assert not Path("never-written.dot").exists()


def test_dot_output_is_deterministic(tmp_path):
    a, b = tmp_path / "a.dot", tmp_path / "b.dot"
    assert run("render", PROTOCOLS[1], "--cluster", "group", "-o", a)[0] == 0
    assert run("render", PROTOCOLS[1], "--cluster", "group", "-o", b)[0] == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text().startswith("digraph")


# ------------------------------------------------- the printed text is the model
def _type_text(t) -> str:
    if isinstance(t, C.ProductSet):
        return " * ".join(c.name for c in t.components)
    return t.name


def _rewrite(net) -> str:
    """A model written only from the texts the pictures print (parameters already substituted)."""
    from protoverify.net.show import show_multiset
    lines = [f"model {net.name}Again"]
    for name, cs in net.colsets.items():
        if name == "Unit":
            continue
        if isinstance(cs, C.RangeSet):
            lines.append(f"colset {name} = {cs.lo}..{cs.hi}")
        elif isinstance(cs, C.EnumSet):
            lines.append(f"colset {name} = {{ {', '.join(cs.constants)} }}")
        elif isinstance(cs, C.ProductSet) and cs.name == name:
            lines.append(f"colset {name} = " + " * ".join(c.name for c in cs.components))
    for f in net.functions.values():
        params = ", ".join(f"{n}: {_type_text(t)}" for n, t in f.params)
        lines.append(f"fun {f.name}({params}): {_type_text(f.result)} = {show_expr(f.body)}")
    for p in net.places:
        init = f" = {show_multiset(p.colset, p.initial)}" if p.initial else ""
        lines.append(f"place {p.name} : {_type_text(p.colset)}{init}")
    for t in net.transitions:
        lines.append(f"transition {t.name}")
        lines += [f"  {a.kind} {a.place.name} : {show_inscription(a.inscription)}" for a in t.arcs]
        if t.guard:
            lines.append(f"  guard {show_guard(t)}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("model", EXAMPLES + [DATA / "grouped.cpn"], ids=lambda p: p.stem)
def test_printed_inscriptions_and_guards_mean_the_same(model: Path):
    net = load_model(model)
    again = load_model_text(_rewrite(net), name=f"{model.stem}-again")
    a, b = explore(net), explore(again)
    assert (a.states, a.edges, a.dead_markings) == (b.states, b.edges, b.dead_markings)


def test_printed_protocol_model_means_the_same():
    net = load_model(PROTOCOLS[1])
    again = load_model_text(_rewrite(net), name="pastrygrid-again")
    a, b = explore(net), explore(again)
    assert (a.states, a.edges, a.dead_markings) == (b.states, b.edges, b.dead_markings)


def test_renderers_never_read_the_model_language():
    """Downstream of the IR: no module of protoverify.render imports lark or the DSL."""
    for path in (ROOT / "protoverify" / "render").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+lark\b", text, re.M), path.name
        assert not re.search(r"from \.\.dsl\b|protoverify\.dsl", text), path.name
