"""A (small) state space as a graphviz graph.

One node per marking (``S0`` the initial one, bold), one edge per firing
labelled with the transition (and its binding when the space is tiny).
Dead markings are red octagons; every strongly connected component of two
or more markings (or one with a self-loop) is a shaded cluster, terminal
ones (no edge leaves them) outlined in green.

>>> from protoverify import load_model_text
>>> from protoverify.explore.statespace import explore
>>> net = load_model_text('''
...   model Toggle
...   colset Bit = 0..1
...   place P : Bit = 0
...   transition flip in P : b  out P : 1 - b
... ''')
>>> dot = statespace_dot(explore(net, keep_successors=True))
>>> dot.count("->"), "cluster_scc_0" in dot
(2, True)
"""

from __future__ import annotations

from ..net.show import show_binding, show_marking

__all__ = ["statespace_dot", "components", "DEFAULT_LIMIT", "HARD_LIMIT"]

DEFAULT_LIMIT = 200  # markings drawn without --max-states
HARD_LIMIT = 2000  # never more: graphviz would take minutes and nobody could read it
DETAIL_LIMIT = 40  # up to this many markings, nodes show their marking and edges their binding
FONT = "DejaVu Sans"


def components(space) -> list[list[int]]:
    """Strongly connected components that hold a cycle, each sorted, in order of their smallest state."""
    import networkx as nx
    g = nx.DiGraph()
    g.add_nodes_from(range(space.states))
    for s, outs in enumerate(space.successors):
        g.add_edges_from((s, d) for d, _, _ in outs)
    out = []
    for comp in nx.strongly_connected_components(g):
        comp = sorted(comp)
        if len(comp) > 1 or g.has_edge(comp[0], comp[0]):
            out.append(comp)
    out.sort()
    return out


def _terminal(space, comp: list[int]) -> bool:
    members = set(comp)
    return all(d in members for s in comp for d, _, _ in space.successors[s])


def statespace_dot(space) -> str:
    """The DOT text of ``space`` (explored with ``keep_successors=True``)."""
    import graphviz

    net = space.net
    n = space.states
    detail = n <= DETAIL_LIMIT
    expanded = space.expanded if not space.complete else n
    title = f"{net.name}: {n:,} marking(s), {space.edges:,} edge(s)" + ("" if space.complete else
                                                                     " (INCOMPLETE: stopped at the limit)")
    g = graphviz.Digraph(f"{net.name}_statespace", graph_attr={
        "rankdir": "TB", "fontname": FONT, "label": title, "labelloc": "t", "fontsize": "14", "pad": "0.3",
        "nodesep": "0.3", "ranksep": "0.45"})
    g.attr("node", fontname=FONT, fontsize="10", shape="box", style="rounded,filled", fillcolor="#ffffff",
           color="#5e5c64")
    g.attr("edge", fontname=FONT, fontsize="9", color="#5e5c64", arrowsize="0.6")
    comps = components(space) if space.successors is not None else []
    where = {}
    palette = ["#e8f0fb", "#fdf0d5", "#e4f6e4", "#f3e5f5", "#fde2e4", "#e0f7fa"]
    subs = []
    for k, comp in enumerate(comps):
        term = _terminal(space, comp) and all(s < expanded for s in comp)
        sub = graphviz.Digraph(f"cluster_scc_{k}", graph_attr={
            "label": f"SCC {k + 1}" + (" (terminal)" if term else ""), "style": "rounded,filled",
            "fillcolor": palette[k % len(palette)], "color": "#26a269" if term else "#9a9996",
            "penwidth": "2" if term else "1", "fontsize": "10", "fontcolor": "#3d3846"})
        subs.append(sub)
        for s in comp:
            where[s] = sub
    dead = set(space.dead)
    for s in range(n):
        label = f"S{s}"
        tooltip = show_marking(net, space.markings[s])
        if detail:
            label += "\n" + tooltip
        attrs = {"tooltip": tooltip}
        if s in dead:
            attrs.update(shape="octagon", style="filled", fillcolor="#f6d5d7", color="#c01c28", penwidth="2", fontcolor="#a51d2d")
            label += "\n(dead)"
        elif s >= expanded:
            attrs.update(style="rounded,dashed", color="#9a9996")
            label += "\n(not expanded)"
        if s == 0:
            attrs["penwidth"] = "2.5"
        (where.get(s, g)).node(f"S{s}", label, **attrs)
    for sub in subs:
        g.subgraph(sub)
    if space.successors is not None:
        for s, outs in enumerate(space.successors):
            for d, t, env in outs:
                tr = net.transitions[t]
                b = show_binding(tr, env)
                text = f"{tr.name}({b})" if detail and b else tr.name
                g.edge(f"S{s}", f"S{d}", text, tooltip=f"{tr.name}({b})" if b else tr.name)
    return g.source

