"""``protoverify conform MODEL TRACE...``: replay traces on a model, per trace a verdict.

Exit codes: 0 every trace conforms; 1 some trace does not; 2 bad input (the
model, a trace line, an option); 3 a limit was reached (the silent closure or
the set of possible markings grew past its bound).  The worst wins: 2, then
3, then 1.
"""

from __future__ import annotations

import json
import sys

import click

from ..errors import InputError, ProtoverifyError
from ..net.show import show_marking
from .junit import write_junit
from .replay import DEFAULT_SET_LIMIT, DEFAULT_SILENT_LIMIT, ConformResult, SilentClosureTooLarge, conform
from .trace import read_trace

__all__ = ["register", "conform_command", "render_result"]

EXIT_OK, EXIT_NONCONFORMING, EXIT_INPUT, EXIT_LIMIT = 0, 1, 2, 3


@click.command("conform", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("traces", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-D", "defines", multiple=True, metavar="NAME=VALUE",
              help="Override a model parameter (repeatable); wins over the trace header's `params`.")
@click.option("--junit", "junit_path", metavar="FILE", help="Also write JUnit XML (one test case per trace).")
@click.option("--json", "json_out", is_flag=True, help="Print the results as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="One line per trace, no explanations.")
@click.option("--silent-limit", type=click.IntRange(min=1), default=DEFAULT_SILENT_LIMIT, show_default=True,
              help="Most markings one silent closure may reach before the replay gives up (exit 3).")
@click.option("--set-limit", type=click.IntRange(min=1), default=DEFAULT_SET_LIMIT, show_default=True,
              help="Most possible markings tracked at once (exit 3 beyond).")
def conform_command(model, traces, defines, junit_path, json_out, quiet, silent_limit, set_limit):
    """Replay each recorded TRACE on MODEL and say whether the model can produce it.

    Every event must be matched, in order, by a transition whose `emit` label
    has the event's name and fields; unlabelled (silent) transitions may fire
    in between.  Where the model could have taken several paths, all are kept,
    so a trace is never rejected for an early wrong guess.  For a trace that
    does not conform you get the first event that could not be matched, the
    marking(s) the model could be in, and for each transition with that label
    the precondition that failed.

    Model parameters come from the trace header's `params` (keys that name a
    `param` of the model), then from -D.

    \b
    Examples:
      protoverify conform models/bonjourgrid.cpn traces/bonjourgrid/*.jsonl
      protoverify conform models/pastrygrid.cpn run.jsonl -D N=4 --junit conform.xml

    \b
    Exit codes: 0 all conform, 1 one does not, 2 bad input, 3 a limit was reached.
    """
    from ..cli import _parse_defines
    from ..loader import load_model

    outcomes = []  # (trace path, ConformResult | None, error text | None, exit code)
    try:
        overrides = _parse_defines(defines)
        base = load_model(model, overrides)
    except ProtoverifyError as err:
        click.echo(err.render() if hasattr(err, "render") else f"error: {err}", err=True)
        if json_out:
            click.echo(json.dumps({"error": str(err)}, indent=2))
        sys.exit(EXIT_INPUT)
    nets = {}
    for path in traces:
        try:
            trace = read_trace(path)
            params, notes = _params(base, trace, overrides, path)
            key = tuple(sorted(params.items()))
            if key not in nets:
                nets[key] = load_model(model, params)
            result = conform(nets[key], trace, silent_limit=silent_limit, set_limit=set_limit)
            result.notes.extend(notes)
            outcomes.append((path, result, None, EXIT_OK if result.ok else EXIT_NONCONFORMING))
        except SilentClosureTooLarge as err:
            outcomes.append((path, None, f"{path}: error: {err}", EXIT_LIMIT))
        except ProtoverifyError as err:
            outcomes.append((path, None, err.render() if hasattr(err, "render") else f"error: {err}", EXIT_INPUT))
        except RecursionError:
            outcomes.append((path, None, f"{path}: error: the model's expressions nest too deeply", EXIT_INPUT))

    for path, result, error, _ in outcomes:
        if json_out:
            continue
        if error is not None:
            click.echo(error, err=True)
        else:
            click.echo(render_result(result, quiet=quiet))
    codes = [c for *_, c in outcomes]
    code = next((c for c in (EXIT_INPUT, EXIT_LIMIT, EXIT_NONCONFORMING) if c in codes), EXIT_OK)
    good = sum(1 for *_, c in outcomes if c == EXIT_OK)
    if json_out:
        click.echo(json.dumps({"model": model, "traces": [
            r.to_json() if r is not None else {"trace": p, "error": e} for p, r, e, _ in outcomes],
            "conforming": good, "total": len(outcomes), "exit": code}, indent=2))
    elif len(outcomes) > 1 or not quiet:
        click.echo(f"{good} of {len(outcomes)} trace(s) conform", err=True)
    if junit_path:
        try:
            write_junit(junit_path, model, outcomes, render_result)
        except OSError as err:
            click.echo(f"error: cannot write `{junit_path}`: {err.strerror or err}", err=True)
            code = EXIT_INPUT
    sys.exit(code)


def _params(base, trace, overrides: dict, path: str) -> tuple[dict, list[str]]:
    params, notes = {}, []
    for name, value in trace.params.items():
        if name not in base.params:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{path}:1: error: the header's params give `{name}` = {json.dumps(value)}; "
                             f"model parameters are integers [PV402]")
        params[name] = value
    ignored = sorted(k for k in trace.params if k not in base.params)
    if ignored:
        notes.append(f"header params not in the model, ignored: {', '.join(ignored)}")
    params.update(overrides)
    return params, notes


def render_result(result: ConformResult, *, quiet: bool = False) -> str:
    """The text report of one trace."""
    n = len(result.trace.events)
    params = " ".join(f"{k}={v}" for k, v in result.params.items())
    if result.ok:
        line = (f"{result.trace.path}: conforms ({n:,} event(s); at most {result.max_markings:,} possible "
                f"marking(s) at once; params {params or 'none'})")
        return line if quiet or not result.notes else line + "".join(f"\n  note: {x}" for x in result.notes)
    f = result.failure
    ev = f.event
    out = [f"{result.trace.path}:{ev.line}: DOES NOT CONFORM at event {f.index + 1} of {n} (seq {ev.seq}, "
           f"time {ev.time:g}): {ev.show()}"]
    if quiet:
        return out[0]
    out.append(f"  {f.message}")
    if f.candidates:
        out.append("  candidates:")
        for c in f.candidates:
            out.append(f"    {c['transition']}: {c['reason']}")
            out.extend(f"      - {d}" for d in c.get("details", []))
    k = len(f.markings)
    head = (f"  after {f.index:,} matched event(s) the model is in this marking:" if k == 1 else
            f"  after {f.index:,} matched event(s) the model may be in {k:,} markings"
            + (f"; the first {min(k, 3)}:" if k > 3 else ":"))
    out.append(head)
    net = result.net
    for i, m in enumerate(f.markings[:3], 1):
        if k > 1:
            out.append(f"    #{i}")
        text = show_marking(net, m) if net is not None else json.dumps(f.markings_json[i - 1])
        out.extend("      " + line for line in text.splitlines())
    out.append(f"  params: {params or 'none'}")
    out.extend(f"  note: {x}" for x in result.notes)
    return "\n".join(out)


def register(group: click.Group) -> None:
    group.add_command(conform_command, "conform")
