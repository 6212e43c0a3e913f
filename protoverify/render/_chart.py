"""Message sequence charts of runs: counterexamples, witnesses and recorded traces.

One lifeline per node (or role), one row per step.  A step whose event names
two nodes (``worker_reserved(coordinator = 3, worker = 1)`` taken by node 1)
is an arrow from the node that took it to the other; a step naming one node
is a box on its lifeline; a silent step (no ``emit``) is a grey dashed box.
The violating step is red, the cycle of a lasso is shaded and bracketed.

The SVG is written by hand (no layout engine), with integer coordinates and
no clock or random input, so the same run gives the same bytes.

>>> chart = Chart("demo", [ChartStep(1, "hello", "", "Node 1", ("Node 2",)),
...                        ChartStep(2, "tick", "", "Node 2", (), silent=True, highlight=True)])
>>> svg = chart_svg(chart)
>>> svg.count('class="step'), svg.count('class="arrow"'), svg.count('class="box silent"')
(2, 1, 1)
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ..net import colours as C
from ..net import ir

__all__ = ["Chart", "ChartStep", "chart_svg", "chart_from_steps", "chart_from_events", "node_colsets",
           "NET_LIFELINE"]

NET_LIFELINE = "(net)"  # steps that name no node
CHAR_W = 7  # px per character at the label font size, a generous estimate
ROW_H = 44
HEAD_H = 86
LEFT = 92  # the step numbers and the cycle bracket
MIN_GAP = 150
BOLD = ' font-weight="bold"'


@dataclass
class ChartStep:
    number: int  # as shown (1-based, trace seq for traces)
    label: str  # the event (or the transition, for a silent step)
    detail: str  # fields or binding, shown small under the label
    actor: str  # the lifeline that takes the step
    peers: tuple[str, ...] = ()  # lifelines it names besides the actor: an arrow to the first
    silent: bool = False
    cycle: bool = False  # part of a lasso's cycle
    highlight: bool = False  # the violating step
    title: str = ""  # full text, shown on hover
    changes: list[str] = field(default_factory=list)  # the marking diff (HTML step-through)
    marking: str = ""  # the marking after the step (HTML step-through)


@dataclass
class Chart:
    title: str
    steps: list[ChartStep]
    lifelines: list[str] | None = None  # None: every lifeline the steps name, in natural order
    note: str = ""  # written under the last step (what went wrong there)
    subtitle: str = ""
    elided: int = 0  # steps left out before the first one shown

    def lines(self) -> list[str]:
        if self.lifelines is not None:
            return self.lifelines
        names = {s.actor for s in self.steps} | {p for s in self.steps for p in s.peers}
        return sorted(names, key=_natural)


def _natural(name: str):
    """``Node 2`` before ``Node 10``; the net's own lifeline first."""
    parts = re.split(r"(\d+)", name)
    return (name != NET_LIFELINE, [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts])


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _width(text: str, size: int = 12) -> int:
    return int(len(text) * CHAR_W * size / 12) + 1


# ----------------------------------------------------------------------- SVG
def chart_svg(chart: Chart, *, element_id: str = "chart") -> str:
    lines = chart.lines() or [NET_LIFELINE]
    steps = chart.steps
    # the gap between lifelines fits the widest label drawn between two neighbours
    widest = MIN_GAP
    for s in steps:
        text = max(_width(s.label, 12), _width(s.detail, 10))
        if s.peers:
            span = abs(lines.index(s.peers[0]) - lines.index(s.actor)) or 1
            widest = max(widest, text // span + 24)
        else:
            widest = max(widest, text + 28)
    gap = min(widest, 320)
    first = LEFT + 20 + max(50, gap // 2)
    x_of = {name: first + k * gap for k, name in enumerate(lines)}
    width = first + max(0, len(lines) - 1) * gap + max(60, gap // 2) + 40
    top = HEAD_H + (18 if chart.elided else 0)
    bottom = top + len(steps) * ROW_H + 16
    note_lines = chart.note.split("\n") if chart.note else []
    height = bottom + 24 + 16 * len(note_lines) + 10
    width = max(width, 40 + max([_width(n, 12) for n in note_lines] + [_width(chart.title, 16),
                                                                        _width(chart.subtitle, 11)]))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{_esc(element_id)}" class="msc" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="DejaVu Sans, Verdana, sans-serif" font-size="12">',
           "<defs>"
           f'<marker id="{element_id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
           'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker>'
           f'<marker id="{element_id}-arrow-red" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
           'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c01c28"/></marker>'
           "</defs>",
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="16" y="22" font-size="15" font-weight="bold">{_esc(chart.title)}</text>']
    if chart.subtitle:
        out.append(f'<text x="16" y="40" font-size="11" fill="#5e5c64">{_esc(chart.subtitle)}</text>')
    # cycle shading and bracket
    cyc = [k for k, s in enumerate(steps) if s.cycle]
    if cyc:
        y0, y1 = top + cyc[0] * ROW_H, top + (cyc[-1] + 1) * ROW_H
        out.append(f'<rect class="cycle-band" x="{LEFT - 10}" y="{y0}" width="{width - LEFT}" height="{y1 - y0}" '
                   'fill="#fff6d5"/>')
        bx = LEFT - 18
        mid = (y0 + y1) // 2
        out.append(f'<g class="cycle"><path d="M{bx + 8},{y1 - 4} L{bx},{y1 - 4} L{bx},{y0 + 4} L{bx + 8},{y0 + 4}" '
                   f'fill="none" stroke="#c64600" stroke-width="2" marker-end="url(#{element_id}-arrow)"/>'
                   f'<text x="{bx - 6}" y="{mid - 2}" fill="#c64600" font-size="11" text-anchor="end">↻ cycle'
                   f'</text><text x="{bx - 6}" y="{mid + 11}" fill="#c64600" font-size="9" text-anchor="end">'
                   "forever</text></g>")
    # lifelines
    for name in lines:
        x = x_of[name]
        w = max(70, _width(name, 12) + 16)
        out.append(f'<g class="lifeline" data-name="{_esc(name)}">'
                   f'<rect x="{x - w // 2}" y="{HEAD_H - 30}" width="{w}" height="24" rx="4" fill="#f6f5f4" '
                   f'stroke="#77767b"/><text x="{x}" y="{HEAD_H - 13}" text-anchor="middle" font-weight="bold">'
                   f'{_esc(name)}</text>'
                   f'<line x1="{x}" y1="{HEAD_H - 6}" x2="{x}" y2="{bottom}" stroke="#9a9996" '
                   'stroke-dasharray="4 3"/></g>')
    if chart.elided:
        out.append(f'<text x="{LEFT + 40}" y="{HEAD_H + 12}" font-size="11" fill="#77767b">… {chart.elided:,} '
                   'earlier step(s) not shown</text>')
    # steps
    for k, s in enumerate(steps):
        y = top + k * ROW_H + ROW_H // 2 + 4
        red = s.highlight
        colour = "#c01c28" if red else "#77767b" if s.silent else "#1c1c1c"
        cls = "step" + (" violation" if red else "") + (" in-cycle" if s.cycle else "")
        g = [f'<g class="{cls}" data-step="{k}" id="{_esc(element_id)}-step-{k}">'
             f"<title>{_esc(s.title or s.label)}</title>"]
        if red:
            g.append(f'<rect class="violation-band" x="{LEFT - 10}" y="{top + k * ROW_H + 2}" '
                     f'width="{width - LEFT}" height="{ROW_H - 4}" fill="#fbe3e4"/>')
        g.append(f'<text x="{LEFT + 14}" y="{y + 4}" text-anchor="end" font-size="11" fill="#77767b">'
                 f"{s.number}</text>")
        x1 = x_of[s.actor]
        italic = ' font-style="italic"' if s.silent else ""
        bold = BOLD if red else ""
        if s.peers:
            x2 = x_of[s.peers[0]]
            marker = f"{element_id}-arrow-red" if red else f"{element_id}-arrow"
            dash = ' stroke-dasharray="5 3"' if s.silent else ""
            g.append(f'<line class="arrow" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" '
                     f'stroke-width="{2 if red else 1.4}"{dash} marker-end="url(#{marker})"/>')
            mid = (x1 + x2) // 2
            g.append(f'<text x="{mid}" y="{y - 6}" text-anchor="middle" fill="{colour}"'
                     f'{bold}{italic}>{_esc(s.label)}</text>')
            if s.detail:
                g.append(f'<text x="{mid}" y="{y + 14}" text-anchor="middle" font-size="10" fill="#5e5c64">'
                         f"{_esc(s.detail)}</text>")
            for extra in s.peers[1:]:
                g.append(f'<circle class="also" cx="{x_of[extra]}" cy="{y}" r="3" fill="{colour}"/>')
        else:
            w = max(_width(s.label, 12), _width(s.detail, 10)) + 16
            h = 34 if s.detail else 22
            kind = "box silent" if s.silent else "box"
            fill = "#fbe3e4" if red else "#f6f5f4" if s.silent else "#e4f6e4"
            stroke = "#c01c28" if red else "#9a9996" if s.silent else "#2e7d32"
            dash = ' stroke-dasharray="4 3"' if s.silent else ""
            g.append(f'<rect class="{kind}" x="{x1 - w // 2}" y="{y - h // 2 - 2}" width="{w}" height="{h}" rx="3" '
                     f'fill="{fill}" stroke="{stroke}"{dash}/>')
            ty = y + 2 if not s.detail else y - 4
            g.append(f'<text x="{x1}" y="{ty}" text-anchor="middle" fill="{colour}"'
                     f'{bold}{italic}>{_esc(s.label)}</text>')
            if s.detail:
                g.append(f'<text x="{x1}" y="{ty + 13}" text-anchor="middle" font-size="10" fill="#5e5c64">'
                         f"{_esc(s.detail)}</text>")
        g.append("</g>")
        out.append("".join(g))
    for j, line in enumerate(note_lines):
        out.append(f'<text class="note" x="16" y="{bottom + 22 + 16 * j}" fill="#c01c28"'
                   f'{BOLD if j == 0 else ""}>{_esc(line)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------- from a model's steps
def _unwrap(e: ir.Expr) -> ir.Expr:
    while isinstance(e, ir.CheckE):
        e = e.operand
    return e


def node_colsets(net: ir.Net) -> tuple[C.ColourSet, ...]:
    """The colour sets whose values are nodes: those of the variables bound to
    ``node = ...`` in ``emit`` labels, else the colour sets named ``Node``,
    else the colour set of the first field of most labels."""
    found: list = []
    for t in net.transitions:
        if t.emit is None:
            continue
        for name, e in t.emit.fields:
            e = _unwrap(e)
            if name == "node" and isinstance(e.type, C.ColourSet) and e.type not in found:
                found.append(e.type)
    if not found:
        found = [cs for name, cs in net.colsets.items() if name.lower() == "node"]
    if not found:
        # no node colour set: the one of the first field of the most labels (Phil for philosophers)
        counts: dict = {}
        for t in net.transitions:
            if t.emit is not None and t.emit.fields:
                e = _unwrap(t.emit.fields[0][1])
                if isinstance(e, ir.Var) and isinstance(e.type, (C.RangeSet, C.EnumSet)):
                    counts[e.type] = counts.get(e.type, 0) + 1
        if counts:
            found = [max(counts, key=lambda cs: (counts[cs], -list(net.colsets.values()).index(cs)
                                                 if cs in net.colsets.values() else 0))]
    return tuple(found)


class _Namer:
    """Lifeline names for a net's values: ``Node 3``."""

    def __init__(self, net: ir.Net, names: tuple[str, ...] | None):
        self.colsets = node_colsets(net)
        self.names = names  # explicit field / variable names, or None: by colour set

    def is_node(self, name: str, typ) -> bool:
        if self.names is not None:
            return name in self.names
        return name == "node" or any(typ is cs for cs in self.colsets)

    @staticmethod
    def show(typ, value) -> str:
        prefix = typ.name if isinstance(typ, C.ColourSet) else "node"
        return f"{prefix} {typ.show(value)}"


def chart_from_steps(net: ir.Net, steps: list, markings: list, *, cycle_from: int | None = None,
                     highlight_last: bool = True, lifelines: tuple[str, ...] | None = None,
                     title: str = "", note: str = "", subtitle: str = "") -> Chart:
    """A chart of firing ``steps`` (:class:`~protoverify.explore.statespace.Step`, or stutter steps).

    ``markings[k]`` is the marking before step ``k`` (one more than there are
    steps); steps from ``cycle_from`` on form the cycle of a lasso.
    """
    from ..net.show import show_marking
    from ._markings import marking_diff

    namer = _Namer(net, lifelines)
    out = []
    for k, step in enumerate(steps):
        before, after = markings[k], markings[k + 1]
        t = step.transition
        if t is None:  # a stutter step at a dead marking
            cs = ChartStep(k + 1, "(nothing fires)", "dead marking", NET_LIFELINE, silent=True,
                           title="dead marking: no transition can fire; the marking stays")
        else:
            env = list(step.env)
            actors: list[str] = []
            if t.emit is not None:
                from ..net.evaluate import compile_expr
                values = []
                for name, e in t.emit.fields:
                    v = compile_expr(e)(env)
                    typ = _unwrap(e).type
                    values.append((name, e.type, v))
                    if namer.is_node(name, typ):
                        who = namer.show(typ if isinstance(typ, C.ColourSet) else _node_type(namer), v)
                        if name == "node":
                            actors.insert(0, who)
                        elif who not in actors:
                            actors.append(who)
                detail = ", ".join(f"{n}={typ.show(v)}" for n, typ, v in values
                                   if not namer.is_node(n, _unwrap_type(t, n)))
                label = t.emit.label
                if t.name != label:  # several transitions may emit one event: say which fired
                    detail = f"{detail} · by {t.name}" if detail else f"by {t.name}"
            else:
                for i, (name, cs) in enumerate(t.variables):
                    if i < len(env) and env[i] is not None and namer.is_node(name, cs):
                        who = namer.show(cs, env[i])
                        if who not in actors:
                            actors.append(who)
                detail = step.show()[len(t.name):].strip("()")
                label = t.name
            actors = list(dict.fromkeys(actors)) or [NET_LIFELINE]
            # a silent step is a box on the first node it binds (the others are in its binding)
            peers = tuple(actors[1:]) if t.emit is not None else ()
            cs = ChartStep(k + 1, label, detail, actors[0], peers, silent=t.emit is None, title=step.show())
        cs.cycle = cycle_from is not None and k >= cycle_from
        cs.changes = marking_diff(net, before, after)
        cs.marking = show_marking(net, after)
        out.append(cs)
    if highlight_last and out and cycle_from is None:
        out[-1].highlight = True
    return Chart(title, out, note=note, subtitle=subtitle)


def _node_type(namer: _Namer):
    return namer.colsets[0] if namer.colsets else C.INT


def _unwrap_type(t: ir.Transition, field_name: str):
    for name, e in t.emit.fields:
        if name == field_name:
            return _unwrap(e).type
    return None


# ------------------------------------------------------- from trace events
def chart_from_events(events: list, *, first_number: int | None = None, highlight: int | None = None,
                      lifelines: tuple[str, ...] | None = None, title: str = "", note: str = "",
                      subtitle: str = "", elided: int = 0, known_nodes: set | None = None) -> Chart:
    """A chart of recorded trace events (:class:`~protoverify.conform.TraceEvent`).

    The event's ``node`` is its lifeline; another field whose value is a node
    id (a value some event has as its ``node``), or a field named in
    ``lifelines``, makes the step an arrow to that node.  ``highlight`` is the
    position (in ``events``) of the step to mark red.
    """
    nodes = known_nodes if known_nodes is not None else {_key(ev.node) for ev in events if ev.node is not None}
    out = []
    for k, ev in enumerate(events):
        actor = str(ev.node) if ev.node is not None else NET_LIFELINE
        peers: list[str] = []
        detail = []
        for name, value in ev.fields.items():
            if name == "node":
                continue
            is_node = (name in lifelines) if lifelines is not None else _key(value) in nodes
            if is_node and not isinstance(value, (dict, list)):
                if str(value) != actor and str(value) not in peers:
                    peers.append(str(value))
            else:
                detail.append(f"{name}={_show_json(value)}")
        number = ev.seq if first_number is None else first_number + k
        out.append(ChartStep(number, ev.event, ", ".join(detail), actor, tuple(peers),
                             highlight=(k == highlight), title=f"seq {ev.seq}, t={ev.time:g}: {ev.show()}"))
    return Chart(title, out, note=note, subtitle=subtitle, elided=elided)


def _key(v):
    return v if isinstance(v, (str, int)) and not isinstance(v, bool) else repr(v)


def _show_json(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
