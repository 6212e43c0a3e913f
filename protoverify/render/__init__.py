"""Pictures of nets, state spaces and runs, and the HTML report.

* :func:`net_dot` — a net as graphviz DOT text (places, transitions, arcs by kind);
* :func:`statespace_dot` — a small state space, dead markings and cycles marked;
* :func:`chart_svg` with :class:`Chart` — a message sequence chart as SVG, built by
  :func:`chart_from_steps` (a counterexample) or :func:`chart_from_events` (a trace);
* :func:`build_html` — the self-contained report of ``protoverify report``.

The commands are in :mod:`protoverify.render.cli`.  Nothing here reads the
model language: everything starts from the Net IR.
"""

from ._chart import Chart, ChartStep, chart_from_events, chart_from_steps, chart_svg
from ._html import build_html
from ._net import net_dot
from ._statespace import statespace_dot

__all__ = ["net_dot", "statespace_dot", "Chart", "ChartStep", "chart_svg", "chart_from_steps", "chart_from_events",
           "build_html"]
