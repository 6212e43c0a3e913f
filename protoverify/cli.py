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


@click.group(context_settings=CONTEXT, help=__doc__)
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
@click.option("--json", "json_out", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No timing line on stderr.")
@click.option("--debug", is_flag=True, hidden=True, help="Show Python tracebacks of internal errors.")
def check(model: str, defines: tuple[str, ...], max_states: int | None, timeout: float | None, json_out: bool,
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

    Exit status: 0 no dead marking, 1 a dead marking exists, 2 the input is
    wrong, 3 a limit stopped the exploration before a verdict.
    """
    from .explore.statespace import explore
    from .loader import load_model

    progress = None
    try:
        params = _parse_defines(defines)
        net = load_model(model, params)
        if sys.stderr.isatty() and not quiet:
            progress = _Progress()
        space = explore(net, max_states=max_states, timeout=timeout, progress=progress)
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
    report = build_report(space)
    if json_out:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(render_text(space, report), nl=False)
    if not quiet:
        s = report["stats"]
        rate = f" ({s['states_per_second']:,} states/s)" if s["states_per_second"] else ""
        click.echo(f"explored {space.expanded:,} markings in {s['seconds']:.2f} s{rate}", err=True)
    sys.exit(exit_code(report))


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


if __name__ == "__main__":  # pragma: no cover
    main()
