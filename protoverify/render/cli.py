"""``protoverify render`` and ``protoverify report``: pictures of nets, state spaces and runs.

``register(group)`` adds both commands to a click group (``protoverify.cli.main``).
Exit codes: ``render`` 0 the picture was written, 2 the input is wrong
(including a state space too large to draw); ``report`` the verdict's code
as ``check`` gives it (0 all hold, 1 something fails, 3 unknown), the report
being written in every case, and 2 when the input is wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InputError, ProtoverifyError

__all__ = ["register", "render", "report"]

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
WHATS = ("net", "statespace", "counterexample", "trace")


def _fail(err: ProtoverifyError) -> None:
    click.echo(err.render() if hasattr(err, "render") else f"error: {err}", err=True)
    sys.exit(EXIT_INPUT)


def _internal(err: BaseException, debug: bool) -> None:
    from ..cli import _internal as report_internal
    report_internal(err, debug)


def _defines(defines: tuple[str, ...]) -> dict:
    from ..cli import _parse_defines
    return _parse_defines(defines)


def _names(values: tuple[str, ...]) -> tuple[str, ...] | None:
    out = tuple(v.strip() for item in values for v in item.split(",") if v.strip())
    return out or None


def _format(path: str, allowed: tuple[str, ...], what: str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in allowed:
        raise InputError(f"-o {path}: {what} can be written as " + ", ".join(f".{a}" for a in allowed)
                         + (f", not .{suffix}" if suffix else "; the file name needs one of these endings"))
    return suffix


def _write(path: str, data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        if path == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            with open(path, "wb") as fh:
                fh.write(data)
    except OSError as err:
        raise InputError(f"cannot write `{path}`: {err.strerror or err}") from None


def layout(dot_source: str, fmt: str) -> bytes:
    """Run graphviz's ``dot`` on DOT text: SVG or PNG bytes."""
    if fmt == "dot":
        return dot_source.encode("utf-8")
    import graphviz
    try:
        return graphviz.Source(dot_source).pipe(format=fmt, engine="dot", quiet=True)
    except graphviz.ExecutableNotFound:
        raise InputError("drawing needs graphviz's `dot` program, which is not installed\n"
                         "  hint: apt-get install graphviz (or write DOT text with -o FILE.dot)") from None
    except graphviz.CalledProcessError as err:  # pragma: no cover - dot rejecting our own DOT is a bug
        from ..errors import InternalError
        raise InternalError(f"graphviz failed: {err.stderr.decode('utf-8', 'replace')[:500]}") from None


@click.command(context_settings=CONTEXT)
@click.argument("source", type=click.Path(path_type=str))
@click.option("--what", type=click.Choice(WHATS), default=None,
              help="What to draw (default: trace for a .jsonl SOURCE, else net).")
@click.option("-o", "--output", required=True, metavar="FILE",
              help="Where to write: .svg, .png or .dot for nets and state spaces; .svg for charts; '-' for stdout "
                   "(SVG, or DOT with --format dot).")
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a `param` of the model.")
@click.option("--props", "prop_files", multiple=True, type=click.Path(path_type=str), metavar="FILE",
              help="[counterexample] check the properties of FILE too (as `check --props`).")
@click.option("--property", "prop_name", metavar="NAME", default=None,
              help="[counterexample] the property to draw (default: the first that fails).")
@click.option("--cluster", multiple=True, metavar="group|prefix|PREFIX",
              help="[net] draw groups as boxes: `group` by `// group: NAME` comments (or the model's section "
                   "rulers), `prefix` by the first word of names, or name prefixes (repeatable, or comma "
                   "separated).")
@click.option("--split-hubs", type=click.IntRange(min=0), default=None, metavar="N",
              help="[net] draw copies of places connected to more than N transitions (default 5; 0: never).")
@click.option("--rankdir", type=click.Choice(["TB", "LR"]), default="TB", show_default=True,
              help="[net] top to bottom, or left to right.")
@click.option("--max-states", type=click.IntRange(min=1), default=None, metavar="N",
              help="[statespace] draw the first N markings (breadth-first) even if there are more; "
                   "[counterexample] stop exploring after N markings.")
@click.option("--lifelines", multiple=True, metavar="FIELD,...",
              help="[counterexample, trace] the event fields (and, for silent steps, variables) that name "
                   "nodes (default: the node colour set's, or values that are node ids in a trace).")
@click.option("--model", "model_path", metavar="MODEL", default=None,
              help="[trace] replay the trace on MODEL and mark the first event it cannot match.")
@click.option("--max-events", type=click.IntRange(min=1), default=200, show_default=True, metavar="N",
              help="[trace] events drawn (the first N, or the N up to the first non-conforming one).")
@click.option("--debug", is_flag=True, hidden=True)
def render(source: str, what: str | None, output: str, defines: tuple[str, ...], prop_files: tuple[str, ...],
           prop_name: str | None, cluster: tuple[str, ...], split_hubs: int | None, rankdir: str,
           max_states: int | None, lifelines: tuple[str, ...], model_path: str | None, max_events: int,
           debug: bool) -> None:
    """Draw SOURCE: a model's net, its state space, a counterexample, or a recorded trace.

    \b
    Examples:
      protoverify render models/bonjourgrid.cpn -o bonjourgrid.svg
      protoverify render models/pastrygrid.cpn --cluster group -o pastrygrid.png
      protoverify render models/examples/mutex.cpn --what statespace -o mutex.svg
      protoverify render models/mutants/bonjourgrid_second_request.cpn --what counterexample -o cex.svg
      protoverify render run.jsonl --what trace --model models/bonjourgrid.cpn -o run.svg

    Nets and state spaces are laid out by graphviz (`dot` must be installed
    for .svg and .png); sequence charts are SVG written directly.  The same
    input gives the same bytes.  docs/rendering.md explains the pictures.
    """
    if what is None:
        what = "trace" if source.lower().endswith((".jsonl", ".json")) else "net"
    try:
        params = _defines(defines)
        wrote = _render(source, what, output, params, prop_files, prop_name, _names(cluster) or (), split_hubs, rankdir,
                        max_states, _names(lifelines), model_path, max_events)
    except ProtoverifyError as err:
        _fail(err)
        return
    except RecursionError:
        _fail(InputError("the model's expressions nest too deeply to draw"))
        return
    except Exception as err:  # a bug of ours: never a bare traceback
        _internal(err, debug)
        return
    if wrote and output != "-":
        click.echo(wrote, err=True)
    sys.exit(EXIT_OK)


def _render(source, what, output, params, prop_files, prop_name, cluster, split_hubs, rankdir, max_states,
            lifelines, model_path, max_events) -> str:
    from . import _run

    if what == "net":
        from ..loader import load_model
        from ._net import DEFAULT_SPLIT, net_dot
        fmt = _format(output, ("svg", "png", "dot"), "a net") if output != "-" else "svg"
        net = load_model(source, params)
        dot = net_dot(net, cluster=cluster, rankdir=rankdir,
                      split=DEFAULT_SPLIT if split_hubs is None else split_hubs)
        _write(output, layout(dot, fmt))
        return f"net {net.name}: {len(net.places)} places, {len(net.transitions)} transitions -> {output}"
    if what == "statespace":
        from ..explore.statespace import explore
        from ..loader import load_model
        from ._statespace import DEFAULT_LIMIT, HARD_LIMIT, statespace_dot
        fmt = _format(output, ("svg", "png", "dot"), "a state space") if output != "-" else "svg"
        net = load_model(source, params)
        if max_states is not None and max_states > HARD_LIMIT:
            raise InputError(f"--max-states {max_states:,}: at most {HARD_LIMIT:,} markings can be drawn legibly\n"
                             f"  hint: `protoverify check {source}` reports on state spaces of any size")
        limit = max_states if max_states is not None else DEFAULT_LIMIT + 1
        space = explore(net, max_states=limit, keep_successors=True)
        if max_states is None and not space.complete:
            raise InputError(
                f"{source}: the state space has more than {DEFAULT_LIMIT} markings, too many to draw legibly\n"
                f"  hint: draw the first ones with --max-states {DEFAULT_LIMIT // 2}, try smaller parameters "
                f"(-D), or use `protoverify check {source}` for its statistics")
        _write(output, layout(statespace_dot(space), fmt))
        return (f"state space of {net.name}: {space.states:,} markings, {space.edges:,} edges"
                + ("" if space.complete else " (the first ones only)") + f" -> {output}")
    if what == "counterexample":
        from ._chart import chart_svg
        if output != "-":
            _format(output, ("svg",), "a sequence chart")
        analysis = _run.analyse(source, params, prop_files, max_states=max_states)
        r = _run.failing_result(analysis, prop_name)
        if r is None:
            state = "every property holds" if analysis.space.complete else \
                "no property fails in the explored part (the exploration was incomplete)"
            click.echo(f"{source}: {state}: there is no counterexample to draw", err=True)
            return ""
        if not (r.stem or r.cycle or r.state is not None):
            raise InputError(f"property `{r.name}` {r.verdict}" + (f" ({r.note})" if r.note else "")
                             + " with no run to draw")
        chart = _run.counterexample_chart(analysis, r, lifelines)
        _write(output, chart_svg(chart))
        return f"{r.kind} {r.name} {r.verdict}: {len(chart.steps)} step(s) -> {output}"
    # trace
    from ._chart import chart_svg
    if output != "-":
        _format(output, ("svg",), "a sequence chart")
    trace = _run.load_trace(source)
    result = _run.conform_trace(model_path, trace, params) if model_path is not None else None
    chart = _run.trace_chart(trace, result=result, lifelines=lifelines, max_events=max_events)
    _write(output, chart_svg(chart))
    verdict = "" if result is None else (" (conforms)" if result.ok else
                                        f" (does not conform at event {result.failure.index + 1})")
    return f"trace {source}: {len(chart.steps)} event(s) drawn{verdict} -> {output}"


@click.command(context_settings=CONTEXT)
@click.argument("model", type=click.Path(path_type=str))
@click.option("-o", "--output", required=True, metavar="FILE.html", help="Where to write the report.")
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE", help="Override a `param` of the model.")
@click.option("--props", "prop_files", multiple=True, type=click.Path(path_type=str), metavar="FILE",
              help="Check the properties of FILE too (repeatable), as `check --props`.")
@click.option("--trace", "traces", multiple=True, type=click.Path(path_type=str), metavar="TRACE.jsonl",
              help="Replay this recorded trace on the model and report its conformance (repeatable).")
@click.option("--max-states", type=click.IntRange(min=1), default=None, metavar="N",
              help="Stop exploring after N markings (the report then says what is unknown).")
@click.option("--cluster", multiple=True, metavar="group|prefix|PREFIX", help="As for `render --what net`.")
@click.option("--lifelines", multiple=True, metavar="FIELD,...", help="As for `render --what counterexample`.")
@click.option("--debug", is_flag=True, hidden=True)
def report(model: str, output: str, defines: tuple[str, ...], prop_files: tuple[str, ...], traces: tuple[str, ...],
           max_states: int | None, cluster: tuple[str, ...], lifelines: tuple[str, ...], debug: bool) -> None:
    """Write one self-contained HTML page about MODEL: its net, state space, verdicts and counterexamples.

    The page needs no network: pictures are inline SVG, the step-through of
    each counterexample's markings is a few lines of inline JavaScript (and a
    plain table without it).  With --trace, each trace is replayed on the
    model and its conformance reported, with the chart of the first event the
    model cannot match.

    \b
    Examples:
      protoverify report models/bonjourgrid.cpn -o bonjourgrid.html
      protoverify report models/mutants/bonjourgrid_second_request.cpn -o mutant.html
      protoverify report models/bonjourgrid.cpn --trace run.jsonl -o run.html

    Exit status: as `check` (0 every property holds, 1 one fails or a trace
    does not conform, 3 unknown), once the report is written; 2 bad input.
    """
    from ._html import build_html
    if not output.lower().endswith((".html", ".htm")):
        _fail(InputError(f"-o {output}: the report is an HTML file; name it FILE.html"))
        return
    try:
        params = _defines(defines)
        page, code = build_html(model, params, prop_files, traces, max_states=max_states, cluster=_names(cluster) or (),
                                lifelines=_names(lifelines))
        _write(output, page)
    except ProtoverifyError as err:
        _fail(err)
        return
    except RecursionError:
        _fail(InputError("the model's expressions nest too deeply"))
        return
    except Exception as err:
        _internal(err, debug)
        return
    click.echo(f"report -> {output}", err=True)
    sys.exit(code)


def register(group: click.Group) -> None:
    """Add ``render`` and ``report`` to ``group``."""
    group.add_command(render, "render")
    group.add_command(report, "report")
