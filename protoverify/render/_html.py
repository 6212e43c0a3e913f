"""``protoverify report``: one self-contained HTML page about a model.

Everything is inline (CSS, SVG, a little JavaScript) so the file can be
mailed, archived by CI or opened offline.  Without JavaScript the page still
shows every table, chart and step; the script only adds the step-through
(click a step of a chart, or use the buttons, to see the marking after it).
The page holds nothing that varies from run to run: the same model gives the
same bytes.
"""

from __future__ import annotations

import html
import json

from .. import __version__
from ..errors import ProtoverifyError
from ..net.show import show_marking

__all__ = ["build_html"]

CSS = """
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 0; color: #1c1c1c; background: #fafafa; }
header { background: #241f31; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px 0; font-size: 24px; }
header .sub { color: #c0bfbc; font-size: 13px; }
nav { padding: 8px 28px; background: #ecebe9; font-size: 13px; }
nav a { margin-right: 16px; color: #1a5fb4; text-decoration: none; }
main { padding: 8px 28px 40px 28px; }
section { margin-top: 28px; }
h2 { font-size: 19px; border-bottom: 2px solid #d0cfcc; padding-bottom: 4px; }
h3 { font-size: 16px; margin-bottom: 6px; }
table { border-collapse: collapse; font-size: 13px; background: #fff; }
th, td { border: 1px solid #d0cfcc; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f1f0ee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { font-weight: bold; padding: 2px 8px; border-radius: 4px; white-space: nowrap; }
.verdict.holds, .verdict.ok, .verdict.conforms { background: #dcf5dc; color: #1e6b1e; }
.verdict.fails, .verdict.nonconforming { background: #fbe3e4; color: #a51d2d; }
.verdict.unknown, .verdict.incomplete { background: #fdf0d5; color: #865e00; }
.banner { margin-top: 10px; font-size: 15px; }
.picture { overflow: auto; max-height: 85vh; border: 1px solid #d0cfcc; background: #fff; padding: 6px; }
.picture.fit svg { max-width: 100%; height: auto; }
.chart { overflow-x: auto; background: #fff; border: 1px solid #d0cfcc; padding: 4px; }
.stepper { margin-top: 8px; display: flex; gap: 14px; align-items: flex-start; flex-wrap: wrap; }
.stepper .controls button { font-size: 13px; margin-right: 6px; }
.stepper pre { background: #fff; border: 1px solid #d0cfcc; padding: 8px 12px; margin: 6px 0 0 0;
               font-size: 12px; min-width: 420px; max-height: 340px; overflow: auto; }
.stepper .changes { color: #1a5fb4; }
.msc g.step { cursor: pointer; }
.msc g.step.selected rect.box, .msc g.step.selected line.arrow { stroke-width: 3; }
.msc g.step.selected text { text-decoration: underline; }
details { margin-top: 8px; font-size: 13px; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, monospace; }
.muted { color: #77767b; }
.row { display: flex; gap: 32px; flex-wrap: wrap; align-items: flex-start; }
"""

JS = """
(function () {
  function show(box, data, k) {
    var n = data.steps.length;
    k = Math.max(-1, Math.min(n - 1, k));
    box.dataset.current = k;
    var svg = box.querySelector('svg.msc');
    if (svg) {
      svg.querySelectorAll('g.step').forEach(function (g) {
        g.classList.toggle('selected', Number(g.dataset.step) === k);
      });
    }
    var head = box.querySelector('.step-head');
    var changes = box.querySelector('.changes');
    var marking = box.querySelector('.marking');
    if (k < 0) {
      head.textContent = 'initial marking (before step 1)';
      changes.textContent = '';
      marking.textContent = data.initial;
    } else {
      var s = data.steps[k];
      head.textContent = 'step ' + s.number + ' of ' + n + ': ' + s.title;
      changes.textContent = s.changes.length ? s.changes.join('\\n') : '(no place changes)';
      marking.textContent = s.marking;
    }
  }
  document.querySelectorAll('.walk').forEach(function (box) {
    var data = JSON.parse(box.querySelector('script.walk-data').textContent);
    box.querySelector('.stepper').hidden = false;
    box.querySelector('.prev').addEventListener('click', function () { show(box, data, Number(box.dataset.current) - 1); });
    box.querySelector('.next').addEventListener('click', function () { show(box, data, Number(box.dataset.current) + 1); });
    box.querySelectorAll('svg.msc g.step').forEach(function (g) {
      g.addEventListener('click', function () { show(box, data, Number(g.dataset.step)); });
    });
    show(box, data, -1);
  });
  document.querySelectorAll('button.fit').forEach(function (b) {
    b.addEventListener('click', function () {
      document.getElementById(b.dataset.target).classList.toggle('fit');
    });
  });
})();
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _json_script(data, cls: str) -> str:
    text = json.dumps(data, indent=None, sort_keys=True, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/json" class="{cls}">{text}</script>'


def _strip_svg(svg: bytes) -> str:
    text = svg.decode("utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _table(rows: list[tuple], head: tuple | None = None, *, table_id: str = "", cls: str = "") -> str:
    out = [f'<table{f" id={chr(34)}{table_id}{chr(34)}" if table_id else ""}'
           f'{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>']
    if head:
        out.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        cells = []
        for c in row:
            if isinstance(c, tuple):  # (html, class): already escaped
                cells.append(f'<td class="{c[1]}">{c[0]}</td>')
            elif isinstance(c, int):
                cells.append(f'<td class="num">{c:,}</td>')
            else:
                cells.append(f"<td>{_e(c)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _walk(chart, element_id: str, initial: str) -> str:
    """A chart with its step-through: the SVG, the controls, and a table of every step."""
    from ._chart import chart_svg
    data = {"initial": initial, "steps": [{"number": s.number, "title": s.title or s.label,
                                           "changes": s.changes, "marking": s.marking} for s in chart.steps]}
    rows = []
    for s in chart.steps:
        mark = " ✗" if s.highlight else " ↻" if s.cycle else ""
        rows.append((f"{s.number}{mark}", s.title or s.label, ("<br>".join(_e(c) for c in s.changes) or
                                                                '<span class="muted">none</span>', "")))
    return (f'<div class="walk" id="{_e(element_id)}">'
            f'<div class="chart">{chart_svg(chart, element_id=element_id + "-svg")}</div>'
            '<div class="stepper" hidden><div><div class="controls"><button class="prev">◀ previous</button>'
            '<button class="next">next ▶</button> <span class="step-head"></span></div>'
            '<pre class="changes"></pre></div><div><div>marking:</div><pre class="marking"></pre></div></div>'
            f"<details><summary>every step, with the places it changes ({len(chart.steps)})</summary>"
            + _table(rows, ("step", "transition (binding)", "places changed"), cls="steps")
            + "</details>" + _json_script(data, "walk-data") + "</div>")


def build_html(model: str, params: dict, prop_files=(), traces=(), *, max_states: int | None = None,
               cluster: tuple[str, ...] = (), lifelines: tuple[str, ...] | None = None) -> tuple[str, int]:
    """The report page and the exit code its verdicts call for."""
    from ..report import build_report
    from . import _run
    from ._net import net_dot
    from .cli import layout

    a = _run.analyse(model, params, prop_files, max_states=max_states)
    net, space, results = a.net, a.space, a.results
    rep = build_report(space, results)
    verdict = rep["verdict"]

    # ---------------------------------------------------------- traces first (their verdicts count)
    trace_parts = []
    trace_bad = False
    for k, path in enumerate(traces):
        trace_parts.append(_trace_section(model, path, params, k, lifelines))
        trace_bad = trace_bad or 'class="verdict nonconforming"' in trace_parts[-1]

    code = 1 if verdict == "fails" or trace_bad else 3 if verdict == "incomplete" else 0
    banner = {"fails": ("fails", "some property FAILS"), "incomplete": ("unknown", "INCOMPLETE: some verdicts unknown"),
              "ok": ("ok", "every property holds")}.get(verdict, ("ok", verdict))
    p = [f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
         f'<meta name="generator" content="protoverify {_e(__version__)}">'
         f"<title>protoverify report: {_e(net.name)}</title><style>{CSS}</style></head><body>",
         f'<header><h1>{_e(net.name)}</h1><div class="sub">{_e(model)} · protoverify {_e(__version__)}</div>'
         f'<div class="banner"><span id="overall" class="verdict {banner[0]}">{_e(banner[1])}</span>'
         + (' <span class="verdict nonconforming">a trace does not conform</span>' if trace_bad else "")
         + "</div></header>",
         '<nav><a href="#model">model</a><a href="#statespace">state space</a><a href="#properties">properties</a>'
         '<a href="#net">net</a><a href="#counterexamples">counterexamples</a>'
         + ('<a href="#traces">traces</a>' if traces else "") + "</nav><main>"]

    # ------------------------------------------------------------------ model
    colsets = [(name, cs.describe() if hasattr(cs, "describe") else name, cs.size) for name, cs in net.colsets.items()]
    p.append('<section id="model"><h2>Model</h2><div class="row"><div><h3>Summary</h3>')
    p.append(_table([("file", model), ("places", len(net.places)), ("transitions", len(net.transitions)),
                     ("property files", ", ".join(a.prop_files) or "none (inline properties only)")]))
    p.append("</div><div><h3>Parameters</h3>")
    p.append(_table([(k, v) for k, v in net.params.items()], ("parameter", "value"), table_id="params")
             if net.params else '<p class="muted">none</p>')
    p.append("</div><div><h3>Colour sets</h3>")
    p.append(_table(colsets, ("name", "definition", "values")))
    p.append("</div></div></section>")

    # ------------------------------------------------------------ state space
    status = "complete" if rep["complete"] else f"INCOMPLETE ({rep['stop_reason']})"
    p.append('<section id="statespace"><h2>State space</h2><div class="row"><div><h3>Exploration</h3>')
    p.append(_table([("reachable markings", rep["states"]), ("edges (firings)", rep["edges"]),
                     ("exploration", status), ("dead markings", rep["dead_markings"]),
                     ("dead transitions", ", ".join(rep["dead_transitions"]) or "none")], table_id="stats"))
    p.append("</div><div><h3>Bounds</h3>")
    bounds = list(rep["bounds"].items())
    half = (len(bounds) + 1) // 2
    p.append('<div class="row">' + _table(bounds[:half], ("place", "most tokens"))
             + _table(bounds[half:], ("place", "most tokens")) + "</div>")
    p.append("</div></div></section>")

    # ------------------------------------------------------------- properties
    rows = []
    for r in results:
        link = f'<a href="#cex-{_e(r.name)}">chart</a>' if (r.stem or r.cycle or r.state is not None) else ""
        rows.append((r.kind, r.name, (f'<span class="verdict {r.verdict}">{_e(r.verdict)}</span>', "verdict-cell"),
                     r.note or "", (link, "")))
    p.append('<section id="properties"><h2>Properties</h2>')
    p.append(_table(rows, ("kind", "name", "verdict", "note", "evidence"), table_id="properties-table"))
    p.append("</section>")

    # -------------------------------------------------------------------- net
    p.append('<section id="net"><h2>The net</h2>')
    try:
        svg = _strip_svg(layout(net_dot(net, cluster=cluster), "svg"))
        p.append('<p class="muted">Places are ellipses (colour set, initial marking), transitions boxes '
                 '(guard, emitted event); dashed blue arcs read, red arcs with a circle inhibit; dashed places '
                 'are copies of a place used by many transitions. <button class="fit" data-target="net-picture">'
                 'fit to width / actual size</button></p>')
        p.append(f'<div class="picture fit" id="net-picture">{svg}</div>')
    except ProtoverifyError as err:
        p.append(f'<p class="muted">The net picture is missing: {_e(err)}</p>')
    p.append("</section>")

    # ------------------------------------------------------- counterexamples
    p.append('<section id="counterexamples"><h2>Counterexamples and witnesses</h2>')
    shown = 0
    for r in results:
        if not (r.stem or r.cycle or r.state is not None):
            continue
        shown += 1
        chart = _run.counterexample_chart(a, r, lifelines)
        what = "Witness" if r.verdict == "holds" else "Counterexample"
        p.append(f'<article class="counterexample {r.verdict}" id="cex-{_e(r.name)}"><h3>{what}: {_e(r.kind)} '
                 f'{_e(r.name)} <span class="verdict {r.verdict}">{_e(r.verdict)}</span></h3>')
        p.append(_walk(chart, f"walk-{shown}", show_marking(net, space.markings[0])))
        p.append("</article>")
    if not shown:
        p.append('<p class="muted">No property has a counterexample (or witness) to show.</p>')
    p.append("</section>")

    if traces:
        p.append('<section id="traces"><h2>Trace conformance</h2>')
        p.extend(trace_parts)
        p.append("</section>")
    p.append(f'</main><footer class="muted" style="padding: 0 28px 20px 28px">protoverify {_e(__version__)}</footer>')
    p.append(f"<script>{JS}</script></body></html>\n")
    return "\n".join(p), code


def _trace_section(model: str, path: str, params: dict, k: int, lifelines) -> str:
    from ._chart import chart_svg
    from . import _run
    try:
        trace = _run.load_trace(path)
        result = _run.conform_trace(model, trace, params)
    except ProtoverifyError as err:
        text = err.render() if hasattr(err, "render") else str(err)
        return (f'<article class="trace" id="trace-{k}"><h3>{_e(path)} <span class="verdict unknown">error</span>'
                f"</h3><pre>{_e(text)}</pre></article>")
    n = len(trace.events)
    out = [f'<article class="trace" id="trace-{k}"><h3>{_e(path)} ']
    if result.ok:
        out.append(f'<span class="verdict conforms">conforms</span></h3><p>All {n:,} event(s) matched; '
                   f"parameters {_e(', '.join(f'{a}={b}' for a, b in result.params.items()))}.</p>")
    else:
        f = result.failure
        out.append(f'<span class="verdict nonconforming">does not conform</span></h3>'
                   f"<p>{result.matched:,} of {n:,} event(s) matched; event {f.index + 1} (seq {f.event.seq}, line "
                   f"{f.event.line}) <code>{_e(f.event.show())}</code>: {_e(f.message)}</p>")
        out.append(_table([(c["transition"], c["reason"]) for c in f.candidates], ("candidate", "why not"),
                          cls="candidates") if f.candidates else "<p>No transition emits this event.</p>")
        net = result.net
        marks = f.markings[:3]
        out.append(f"<details><summary>the {len(f.markings):,} marking(s) the model may be in before it"
                   + (" (first 3)" if len(f.markings) > 3 else "") + "</summary>"
                   + "".join(f"<pre>{_e(show_marking(net, m))}</pre>" for m in marks) + "</details>")
    for note in result.notes:
        out.append(f'<p class="muted">{_e(note)}</p>')
    chart = _run.trace_chart(trace, result=result, lifelines=lifelines, max_events=60)
    out.append(f'<div class="chart">{chart_svg(chart, element_id=f"trace-{k}-svg")}</div></article>')
    return "".join(out)
