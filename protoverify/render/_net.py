"""A net as a graphviz graph: places, transitions, and the arcs between them.

Places are ellipses showing their name, colour set and initial marking;
transitions are boxes showing their name, guard and the event they emit.
Arcs carry their inscription: input and output arcs are solid arrows, read
(test) arcs dashed lines with a hollow diamond at the transition, inhibitor
arcs dark red with a circle at the transition.

Node identifiers in the DOT text are ``P_<place>`` and ``T_<transition>``,
so the SVG's ``<title>`` elements name every node (the tests read them).

>>> from protoverify import load_model_text
>>> net = load_model_text('''
...   model Toggle
...   colset Bit = 0..1
...   place P : Bit = 0
...   place Q : Bit
...   transition flip in P : b  read Q : b  out P : 1 - b  guard b == 0
... ''')
>>> dot = net_dot(net)
>>> [line.strip().split(" ")[0] for line in dot.splitlines() if "->" in line]
['P_P', 'P_Q', 'T_flip']
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..errors import InputError
from ..net import ir
from ..net.show import show_multiset
from ._expr import show_expr, show_guard, show_inscription

__all__ = ["net_dot", "net_groups", "hub_places", "DEFAULT_SPLIT", "ARC_STYLE", "place_id", "transition_id"]

FONT = "DejaVu Sans"
DEFAULT_SPLIT = 5  # hub places connected to more transitions than this are drawn once per transition
MAX_LABEL = 44  # characters on one line of a label before it is wrapped

#: graphviz edge attributes of each arc kind (the legend in docs/rendering.md)
ARC_STYLE = {
    "in": {"color": "#333333"},
    "out": {"color": "#333333"},
    "read": {"color": "#1c71d8", "style": "dashed", "arrowhead": "ediamond"},
    "inhibit": {"color": "#a51d2d", "arrowhead": "odot", "penwidth": "1.4"},
}


def place_id(p: ir.Place) -> str:
    return f"P_{p.name}"


def transition_id(t: ir.Transition) -> str:
    return f"T_{t.name}"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _wrap(text: str, width: int = MAX_LABEL, *, max_lines: int = 4) -> list[str]:
    """Break ``text`` at ``++``, ``and``, ``,`` or spaces so no line is much wider than ``width``."""
    if len(text) <= width:
        return [text]
    pieces = re.split(r"(?<= \+\+ )|(?<= and )|(?<=, )|(?<= )", text)
    lines, cur = [], ""
    for piece in pieces:
        if cur and len(cur) + len(piece) > width:
            lines.append(cur.rstrip())
            cur = ""
        cur += piece
    if cur:
        lines.append(cur.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] += " …"
    return lines


def _initial_text(p: ir.Place) -> str:
    if not p.initial:
        return ""
    if p.colset.size == len(p.initial) and all(n == 1 for _, n in p.initial):
        return "all"
    return show_multiset(p.colset, p.initial)


def _place_label(p: ir.Place) -> str:
    rows = [f"<B>{_esc(p.name)}</B>",
            f'<FONT POINT-SIZE="9" COLOR="#555555">{_esc(p.colset.name)}</FONT>']
    init = _initial_text(p)
    if init:
        for k, line in enumerate(_wrap(init, 28, max_lines=2)):
            rows.append(f'<FONT POINT-SIZE="9" COLOR="#1a5fb4">{"= " if k == 0 else ""}{_esc(line)}</FONT>')
    return "<" + "<BR/>".join(rows) + ">"


def _copy_label(p: ir.Place) -> str:
    return f'<<B>{_esc(p.name)}</B><BR/><FONT POINT-SIZE="8" COLOR="#777777">copy</FONT>>'


def _transition_label(t: ir.Transition) -> str:
    rows = [f"<B>{_esc(t.name)}</B>"]
    guard = show_guard(t)
    if guard:
        for k, line in enumerate(_wrap(guard, 34)):
            text = ("[" if k == 0 else " ") + line
            rows.append(f'<FONT POINT-SIZE="9" COLOR="#613583">{_esc(text)}</FONT>')
        rows[-1] = rows[-1].replace("</FONT>", "]</FONT>")
    if t.emit is not None:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="#26a269"><I>emit {_esc(t.emit.label)}</I></FONT>')
    return "<" + "<BR/>".join(rows) + ">"


def _arc_label(a: ir.Arc) -> str:
    return "\n".join(_wrap(show_inscription(a.inscription)))


# ------------------------------------------------------------------ clusters
_GROUP_RE = re.compile(r"^\s*//\s*group\s*:\s*(\S.*?)\s*$")
_RULER_RE = re.compile(r"^\s*//\s*-{3,}\s*(\S.*?)\s*-*\s*$")


def _source_lines(net: ir.Net) -> list[str]:
    try:
        return Path(net.file).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"--cluster group: cannot read the model source `{net.file}` for its group "
                         f"annotations: {getattr(err, 'strerror', None) or err}") from None


def net_groups(net: ir.Net, cluster: tuple[str, ...] = ()) -> dict[str, str]:
    """Node id -> cluster title, for the ``--cluster`` option.

    * ``("group",)``: a comment line ``// group: TITLE`` in the model starts
      a group; every place and transition declared after it (until the next
      one) belongs to it.  A model without such lines is grouped by its
      section rulers, comment lines like ``// ------ TITLE``.
    * ``("prefix",)``: by the name's first ``_``-separated word (lower-cased),
      for words shared by two or more nodes.
    * anything else: the given name prefixes (``("crash", "rdv_")``); a node
      joins the longest prefix its name starts with.
    """
    nodes = [(place_id(p), p.name, p.loc) for p in net.places] + \
            [(transition_id(t), t.name, t.loc) for t in net.transitions]
    if not cluster:
        return {}
    if cluster == ("group",):
        lines = _source_lines(net)
        marks = [(k + 1, m.group(1)) for k, line in enumerate(lines) if (m := _GROUP_RE.match(line))]
        if not marks:
            marks = [(k + 1, m.group(1)) for k, line in enumerate(lines) if (m := _RULER_RE.match(line))]
        out = {}
        for nid, _, loc in nodes:
            title = None
            for line, t in marks:
                if line < loc.line:
                    title = t
            if title is not None:
                out[nid] = title
        return out
    if cluster == ("prefix",):
        words = {nid: name.split("_")[0].lower() for nid, name, _ in nodes if "_" in name.strip("_")}
        counts: dict[str, int] = {}
        for w in words.values():
            counts[w] = counts.get(w, 0) + 1
        return {nid: w for nid, w in words.items() if counts[w] >= 2}
    if "group" in cluster or "prefix" in cluster:
        raise InputError("--cluster: `group` and `prefix` cannot be combined with other values")
    out = {}
    for nid, name, _ in nodes:
        best = max((p for p in cluster if name.startswith(p)), key=len, default=None)
        if best is not None:
            out[nid] = best
    return out


# --------------------------------------------------------------------- graph
def hub_places(net: ir.Net, split: int) -> set[str]:
    """Places connected to more than ``split`` transitions (0: none)."""
    if split <= 0:
        return set()
    users: dict[str, set[str]] = {}
    for t in net.transitions:
        for a in t.arcs:
            users.setdefault(a.place.name, set()).add(t.name)
    return {p for p, ts in users.items() if len(ts) > split}


def net_dot(net: ir.Net, *, cluster: tuple[str, ...] = (), rankdir: str = "TB", split: int = DEFAULT_SPLIT) -> str:
    """The DOT text of ``net`` (deterministic: declaration order throughout).

    A place connected to more than ``split`` transitions (a hub) gets a
    dashed copy beside each transition that only reads or inhibits it (like
    CPN Tools' fusion places), so context arcs do not cross the picture from
    end to end.  Its input and output arcs get copies too when it is a pool
    (initially marked, like ``Idle = all``) or they number more than twice
    ``split``; otherwise they stay on the place, showing the protocol's flow.  Copies are named
    ``P_<place>~<transition>``.  ``split=0`` draws every place once.
    """
    import graphviz

    g = graphviz.Digraph(net.name, graph_attr={
        "rankdir": rankdir, "fontname": FONT, "nodesep": "0.25", "ranksep": "0.6",
        "label": _graph_title(net), "labelloc": "t", "fontsize": "16", "newrank": "true",
        "pad": "0.3"})
    g.attr("node", fontname=FONT, fontsize="11", margin="0.06,0.03")
    g.attr("edge", fontname=FONT, fontsize="9", arrowsize="0.7", fontcolor="#333333")
    groups = net_groups(net, cluster)
    titles = sorted(set(groups.values()), key=lambda s: _first_index(s, groups, net))
    subgraphs = {}
    for k, title in enumerate(titles):
        sub = graphviz.Digraph(f"cluster_{k}", graph_attr={
            "label": title, "style": "rounded,filled", "fillcolor": "#f6f5f4", "color": "#c0bfbc",
            "fontsize": "12", "fontcolor": "#5e5c64", "labeljust": "l"})
        subgraphs[title] = sub

    def target(nid):
        title = groups.get(nid)
        return g if title is None else subgraphs[title]

    for t in net.transitions:
        target(transition_id(t)).node(transition_id(t), _transition_label(t), shape="box",
                                      style="filled", fillcolor="#e8f0fb" if t.emit is None else "#e4f6e4",
                                      color="#4a6fa5" if t.emit is None else "#2e7d32")
    hubs = hub_places(net, split)
    copies: dict[tuple[str, str], str] = {}  # (place, transition) -> node id of its copy
    for p in net.places:
        target(place_id(p)).node(place_id(p), _place_label(p), shape="ellipse", style="filled",
                                 fillcolor="#fdf6e3", color="#b5835a")
        if p.name not in hubs:
            continue
        flow, context = [], []
        for t in net.transitions:
            kinds = {a.kind for a in t.arcs if a.place is p}
            if kinds & {"in", "out"}:
                flow.append(t)
            elif kinds:
                context.append(t)
        # a pool (a place marked from the start, like Idle = all) is every node's state, and every
        # step touches it: copies read better; a message place's arcs show the protocol's flow
        split_flow = bool(p.initial) or len(flow) > 2 * split
        split_ts = [t for t in net.transitions if t in context or (split_flow and t in flow)]
        if len(split_ts) == len(flow) + len(context):
            split_ts = split_ts[1:]  # the place itself stays with its first transition
        for t in split_ts:
            nid = f"{place_id(p)}~{t.name}"
            copies[(p.name, t.name)] = nid
            # a copy sits in its transition's cluster
            target(transition_id(t)).node(nid, _copy_label(p), shape="ellipse", style="filled,dashed",
                                          fillcolor="#fdf6e3", color="#b5835a")
    for sub in subgraphs.values():
        g.subgraph(sub)
    for t in net.transitions:
        for a in t.arcs:
            label = _arc_label(a)
            attrs = dict(ARC_STYLE[a.kind])
            pid = copies.get((a.place.name, t.name), place_id(a.place))
            if a.kind == "out":
                g.edge(transition_id(t), pid, label, **attrs)
            else:
                g.edge(pid, transition_id(t), label, **attrs)
    return g.source


def _first_index(title: str, groups: dict, net: ir.Net) -> int:
    order = [place_id(p) for p in net.places] + [transition_id(t) for t in net.transitions]
    return min(order.index(n) for n, t in groups.items() if t == title)


def _graph_title(net: ir.Net) -> str:
    params = ", ".join(f"{k} = {v}" for k, v in net.params.items())
    return net.name + (f"  ({params})" if params else "")


def show_arc(a: ir.Arc) -> str:
    """``kind Place : inscription`` as written in the model."""
    return f"{a.kind} {a.place.name} : {show_inscription(a.inscription)}"


def show_transition(t: ir.Transition) -> str:
    lines = [f"transition {t.name}"] + [f"  {show_arc(a)}" for a in t.arcs]
    lines += [f"  guard {show_expr(g)}" for g in t.guard]
    return "\n".join(lines)
