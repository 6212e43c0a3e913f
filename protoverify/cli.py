"""The ``protoverify`` command.

Exit codes, the same for every subcommand:

    0  everything checked holds
    1  something fails (a dead marking, later a property or a trace)
    2  the input is wrong (syntax, types, parameters, files, options)
    3  incomplete: a limit (--max-states, --timeout) stopped the work first
    4  internal error in protoverify (please report it)
"""

from __future__ import annotations

import json
import sys
import traceback

import click

from . import __version__
from .errors import InputError, ProtoverifyError
from .report import EXIT_INPUT, EXIT_INTERNAL, build_report, exit_code, render_text

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


_MAIN_HELP = """Model distributed protocols as Coloured Petri Nets, verify them, and hold them
against their reference implementations.

\b
Exit codes, the same for every subcommand:
  0  everything checked holds
  1  something fails (a dead marking, a property, a trace)
  2  the input is wrong (syntax, types, parameters, files, options)
  3  incomplete: a limit (--max-states, --timeout) stopped the work first
  4  internal error in protoverify (please report it)

Start with: protoverify check models/bonjourgrid.cpn
"""


@click.group(context_settings=CONTEXT, help=_MAIN_HELP)
@click.version_option(__version__, prog_name="protoverify")
def main() -> None:
    pass


def _parse_defines(defines: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in defines:
        name, sep, value = d.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise InputError(f"-D expects NAME=VALUE, got `{d}` [PV403]\n  hint: for example -D N=5")
        out[name] = value
    return out


def _fail(err: ProtoverifyError, json_out: bool) -> None:
    if isinstance(err, ProtoverifyError) and hasattr(err, "render"):
        click.echo(err.render(), err=True)
    else:  # pragma: no cover
        click.echo(f"error: {err}", err=True)
    if json_out:
        payload = {"error": str(getattr(err, "message", err))}
        diags = getattr(err, "diagnostics", None)
        if diags:
            payload["diagnostics"] = [d.to_json() for d in diags]
            payload["error"] = diags[0].message
        click.echo(json.dumps(payload, indent=2, sort_keys=False))
    sys.exit(EXIT_INPUT)


class _Progress:
    """A live line on stderr (only when stderr is a terminal)."""

    def __init__(self):
        from rich.console import Console
        from rich.live import Live
        self.console = Console(stderr=True)
        self.live = Live(console=self.console, refresh_per_second=8, transient=True)
        self.live.start()
        import time
        self.time = time
        self.t0 = time.monotonic()

    def __call__(self, space) -> None:
        dt = max(1e-9, self.time.monotonic() - self.t0)
        queue = space.states - space.expanded
        self.live.update(f"[bold]exploring[/]  states {space.states:,}  edges {space.edges:,}  "
                         f"queue {queue:,}  {space.expanded / dt:,.0f} states/s")

    def stop(self) -> None:
        self.live.stop()


@main.command(context_settings=CONTEXT)
@click.argument("model", type=click.Path(dir_okay=True, path_type=str))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE",
              help="Override a `param` of the model (repeatable), e.g. -D N=6.")
@click.option("--max-states", type=click.IntRange(min=1), default=None, metavar="N",
              help="Stop after N distinct markings and report what is known (exit 3). "
                   "Default: 2,000,000, which fits comfortably in memory.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Stop after this many seconds and report what is known (exit 3).")
@click.option("--props", "prop_files", multiple=True, type=click.Path(path_type=str), metavar="FILE",
              help="Check the properties of FILE too (repeatable). Properties written in the model after a "
                   "line `properties` are always checked.")
@click.option("--home", "home_flag", is_flag=True, help="Also report whether home markings exist.")
@click.option("--explain", metavar="NAME", default=None,
              help="Print property NAME's counterexample (or witness) in full, with the marking after each step.")
@click.option("--counterexample-trace", "cex_trace", type=click.Path(path_type=str), default=None, metavar="FILE",
              help="Write the first failing property's counterexample as a trace (JSON Lines).")
@click.option("--json", "json_out", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--explorer", type=click.Choice(["auto", "python", "compiled"]), default=None,
              help="Which explorer builds the state space: the compiled core (the model unfolded into a P/T "
                   "net, explored in C) or the Python one. Both give the same report; auto (the default) "
                   "picks the compiled one when it is built and the unfolding is small.")
@click.option("--compact", is_flag=True,
              help="Hash compaction: keep 64-bit fingerprints instead of markings (for state spaces beyond "
                   "memory). A state may then be missed; the report gives the probability.")
@click.option("--workers", type=click.IntRange(min=0), default=1, show_default=True, metavar="N",
              help="Threads that expand states (compiled explorer; 0: every core). The report is the same "
                   "for every N: batches of states are expanded in parallel and committed in BFS order.")
@click.option("--symmetry", is_flag=True,
              help="Symmetry reduction: one marking per orbit under permutations of the `symmetric` colour "
                   "sets. Keeps dead markings, bounds, and invariant/reachable/home/bound/live properties that "
                   "name no individual value of a symmetric set; other properties are checked without it "
                   "(the report says so). Runs in the Python explorer.")
@click.option("--por", is_flag=True,
              help="Partial-order reduction (stubborn sets): explores a subset of the markings that keeps every "
                   "dead marking and the verdicts of invariant/reachable/bound properties; other properties are "
                   "checked without it. Bounds become lower bounds. Combines with --symmetry.")
@click.option("--quiet", "-q", is_flag=True, help="No timing line on stderr.")
@click.option("--debug", is_flag=True, hidden=True, help="Show Python tracebacks of internal errors.")
def check(model: str, defines: tuple[str, ...], max_states: int | None, timeout: float | None,
          prop_files: tuple[str, ...], home_flag: bool, explain: str | None, cex_trace: str | None,
          json_out: bool, explorer: str | None, compact: bool, workers: int, symmetry: bool, por: bool,
          quiet: bool, debug: bool) -> None:
    """Explore the state space of MODEL and report what is wrong with it.

    Builds every reachable marking breadth-first and reports the number of
    markings and edges, the bound of each place, the transitions that can
    never fire, and every dead marking (no transition enabled), each with a
    shortest firing sequence from the initial marking.

    \b
    Examples:
      protoverify check models/examples/philosophers.cpn
      protoverify check models/examples/philosophers.cpn -D N=6 --json
      protoverify check big.cpn --max-states 100000 --timeout 60

    Without properties, any dead marking is a failure.  With properties
    (--props, or inline), each gets a verdict — holds, FAILS or unknown — with
    a shortest counterexample or witness; dead markings fail unless the
    properties say `deadlock only final` and a `final` predicate accepts them.

    Exit status: 0 everything holds, 1 something fails (a dead marking, a
    property), 2 the input is wrong, 3 a limit stopped the exploration before
    a verdict.
    """
    from .explore.statespace import explore
    from .loader import load_checked, property_files
    from .props.check import check_all
    from .props.model import Property

    progress = None
    try:
        params = _parse_defines(defines)
        net, props = load_checked(model, params, list(prop_files), discover=True)
        used = property_files(model, net, list(prop_files), discover=True)
        if used and not quiet:
            click.echo("properties from: " + ", ".join(used), err=True)
        if props and not any(p.kind == "deadlock" for p in props):
            props.insert(0, Property("deadlock", "deadlock", net.transitions[0].loc if net.transitions else None,
                                     "no dead marking"))
        names = [p.name for p in props]
        if explain is not None and explain not in names:
            raise InputError(f"--explain: no property named `{explain}`; the properties are: "
                             f"{', '.join(names) or 'none'}")
        if sys.stderr.isatty() and not quiet:
            progress = _Progress()
        need_graph = home_flag or any(p.needs_graph for p in props)
        if compact and need_graph:
            raise InputError("--compact keeps no state graph, which "
                             + ("--home" if home_flag else "property `"
                                + next(p.name for p in props if p.needs_graph) + "`")
                             + " needs\n  hint: check it without --compact, or check the safety "
                               "properties alone with --compact")
        reductions = None
        if symmetry or por:
            if compact:
                raise InputError("--compact cannot be combined with --symmetry or --por\n  hint: the reduced "
                                 "explorer keeps markings; drop --compact")
            from .explore.reduce.run import check_reduced
            space, results, reductions, full = check_reduced(
                net, props, symmetry=symmetry, por=por, max_states=max_states, timeout=timeout,
                progress=progress, home=home_flag, explorer=explorer)
            home = _home_markings(full) if home_flag else None
        else:
            space = explore(net, max_states=max_states, timeout=timeout, progress=progress,
                            keep_successors=need_graph, explorer=explorer, compact=compact, workers=workers)
        if progress is not None:
            progress.stop()
            progress = None
        if reductions is None:
            results = check_all(space, props) if props else None
            home = _home_markings(space) if home_flag else None
    except ProtoverifyError as err:
        if progress is not None:
            progress.stop()
        _fail(err, json_out)
        return
    except Exception as err:  # a bug of ours: never a bare traceback
        if progress is not None:
            progress.stop()
        _internal(err, debug)
        return
    if progress is not None:
        progress.stop()
    report = build_report(space, results, home, reductions)
    if cex_trace is not None:
        _write_trace(space, results or [], cex_trace)
    if json_out:
        click.echo(json.dumps(report, indent=2))
    elif explain is not None:
        from .report import render_result
        r = next(r for r in results if r.name == explain)
        click.echo("\n".join(render_result(space, r, full=True)))
    else:
        click.echo(render_text(space, report, results), nl=False)
    if not quiet:
        s = report["stats"]
        rate = f" ({s['states_per_second']:,} states/s)" if s["states_per_second"] else ""
        how = f"{s['explorer']} explorer"
        if s.get("workers", 1) > 1:
            how += f", {s['workers']} threads"
        if s.get("bytes_per_state") is not None:
            how += f", {s['bytes_per_state']:,.0f} bytes/state"
        if s.get("fallback"):
            how += f"; not compiled: {s['fallback']}"
        click.echo(f"explored {space.expanded:,} markings in {s['seconds']:.2f} s{rate} ({how})", err=True)
    sys.exit(exit_code(report))


def _home_markings(space) -> dict:
    """Home markings exist iff the graph has exactly one terminal strongly connected component."""
    if not space.complete or space.successors is None:
        return {"count": None, "complete": False}
    import networkx as nx
    g = nx.DiGraph()
    g.add_nodes_from(range(space.states))
    for s, outs in enumerate(space.successors):
        g.add_edges_from((s, d) for d, _, _ in outs)
    cond = nx.condensation(g)
    terminal = [c for c in cond.nodes if cond.out_degree(c) == 0]
    if len(terminal) != 1:
        return {"count": 0, "terminal_components": len(terminal)}
    members = sorted(cond.nodes[terminal[0]]["members"])
    return {"count": len(members), "first": members[0],
            "path": [s.to_json() for s in space.path_to(members[0])]}


def _write_trace(space, results, path: str) -> None:
    """The first failing property's counterexample as a trace in the project's format."""
    failing = next((r for r in results if r.verdict == "fails" and (r.stem or r.cycle)), None)
    header = {"trace": "protoverify/1", "protocol": space.net.name, "seed": None,
              "params": dict(space.net.params)}
    lines = []
    if failing is not None:
        header["counterexample"] = failing.name
        seq = 0
        for part, steps in (("stem", failing.stem), ("cycle", failing.cycle)):
            for step in steps:
                ev = step.event
                if ev is None:
                    continue
                seq += 1
                if part == "cycle" and "cycle_from_seq" not in header:
                    header["cycle_from_seq"] = seq  # a lasso: the events from this seq on repeat forever
                lines.append({"seq": seq, "time": float(seq), **ev})
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(header) + "\n")
            for line in lines:
                fh.write(json.dumps(line) + "\n")
    except OSError as err:
        raise InputError(f"cannot write `{path}`: {err.strerror or err}") from None


def _internal(err: BaseException, debug: bool) -> None:
    if isinstance(err, MemoryError):
        click.echo("error: out of memory; use --max-states to bound the exploration", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(f"internal error: {type(err).__name__}: {err}\n"
               "  this is a bug in protoverify, not in your model; please report it with the model attached"
               + ("" if debug else "\n  (run again with --debug to see the Python traceback)"), err=True)
    if debug:
        traceback.print_exc()
    sys.exit(EXIT_INTERNAL)


def _register_reference_commands() -> None:
    """``simulate`` and ``experiment`` live with the reference implementations."""
    from .reference.cli import register
    register(main)


_register_reference_commands()


def _register_conform_command() -> None:
    """``conform`` lives with trace conformance."""
    from .conform.cli import register
    register(main)


_register_conform_command()


def _register_render_commands() -> None:
    """``render`` and ``report`` live with the renderers."""
    from .render.cli import register
    register(main)


_register_render_commands()


def _register_pnml_commands() -> None:
    """``import`` and ``export`` live with PNML."""
    from .pnml.cli import register
    register(main)


_register_pnml_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
