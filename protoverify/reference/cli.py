"""``protoverify simulate`` and ``protoverify experiment``: the reference implementations from the shell.

``register(group)`` adds both commands to a click group (``protoverify.cli.main``).
Exit codes: 0 the run completed; 2 the input is wrong (a bad fault spec, an
option out of range, an unwritable file, a protocol not available).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

import click

from ..errors import InputError, ProtoverifyError

__all__ = ["register", "simulate", "experiment", "render_summary"]

EXIT_INPUT = 2
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _fail(err: ProtoverifyError) -> None:
    click.echo(err.render() if hasattr(err, "render") else f"error: {err}", err=True)
    sys.exit(EXIT_INPUT)


def _workload(tasks: str | None, duration: str | None, gap: float | None):
    from .bonjourgrid_run import Workload
    base = Workload()
    kw: dict = {}
    if tasks is not None:
        try:
            kw["tasks"] = tuple(int(x) for x in tasks.split(","))
        except ValueError:
            raise InputError(f"--tasks expects integers separated by commas, got `{tasks}`\n"
                             "  hint: for example --tasks 2,4,8") from None
        if not kw["tasks"] or min(kw["tasks"]) < 1:
            raise InputError(f"--tasks expects positive integers, got `{tasks}`")
    if duration is not None:
        lo, sep, hi = duration.partition("-")
        try:
            pair = (float(lo), float(hi if sep else lo))
        except ValueError:
            raise InputError(f"--duration expects MIN-MAX in seconds, got `{duration}`\n"
                             "  hint: for example --duration 1-500") from None
        if not 0 <= pair[0] <= pair[1]:
            raise InputError(f"--duration expects 0 <= MIN <= MAX, got `{duration}`")
        kw["duration"] = pair
    if gap is not None:
        kw["interarrival"] = gap
    return dataclasses.replace(base, **kw)


def _scenario_runner(protocol: str, name: str, spec, until: float | None, apps: int):
    """``--scenario``: a runner with :func:`run_pastrygrid`'s signature that runs the named scenario."""
    from .pastrygrid_scenarios import parse_scenario, run_scenario
    ctx = click.get_current_context()
    if protocol != "pastrygrid":
        raise InputError("--scenario is an option of pastrygrid only")
    apps_given = ctx.get_parameter_source("apps").name != "DEFAULT" and apps != 1
    if str(spec) or until is not None or apps_given:
        raise InputError("--scenario runs one application with the crashes its name says: "
                         "--faults, --until and --apps do not apply")
    explicit = {k: ctx.params[k] for k in ("nodes", "seed") if ctx.get_parameter_source(k).name != "DEFAULT"}
    try:
        sc = parse_scenario(name, nodes=explicit.get("nodes", 3), seed=explicit.get("seed", 1))
    except ValueError as err:
        raise InputError(f"--scenario: {err}") from None

    def run(nodes, apps, seed, faults, until, recorder):
        summary = run_scenario(sc, recorder=recorder)
        summary.pop("crashed", None)
        return summary
    return run


def render_summary(s: dict) -> str:
    """The ``--report`` table of a run summary (any protocol's runner)."""
    def num(key: str, digits: int = 1) -> str:
        v = s.get(key)
        return "–" if v is None else f"{v:,.{digits}f}" if isinstance(v, float) else f"{v:,}"
    apps = s.get("apps", 0)
    rows = [
        ("protocol", f"{s.get('protocol', '?')}  nodes {num('nodes')}  apps {num('apps')}  seed {s.get('seed')}"
                     + (f"  replicas {s['replicas']}" if "replicas" in s else "")),
        ("faults", s.get("faults") or "none"),
        ("run", f"virtual time {num('end_time')} s  events {num('events')}  messages {num('messages')}"
                + (f"  ({s['stopped']})" if s.get("stopped") else "")),
        ("faults seen", f"crashes {num('crashes')}  coordinator crashes {num('coordinator_crashes')}  "
                        f"takeovers {num('takeovers')}"),
        ("applications", f"done {num('done')}  failed {num('failed')}  lost {num('lost')}  "
                         f"unfinished {num('unfinished')}  (of {apps})"),
        ("delayed", f"{num('delayed')} of {apps} (> {s.get('delay_threshold', 0):g} s later than with every "
                    f"worker at once)  median {num('delay_median')} s  mean {num('delay_mean')} s  "
                    f"max {num('delay_max')} s"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows) + "\n"


@click.command(context_settings=CONTEXT)
@click.argument("protocol", type=click.Choice(["bonjourgrid", "pastrygrid"]))
@click.option("--nodes", type=click.IntRange(min=1), default=200, show_default=True, help="Number of machines.")
@click.option("--apps", type=click.IntRange(min=0), default=100, show_default=True, help="Applications submitted.")
@click.option("--seed", type=int, default=1, show_default=True, help="The one seed of the run.")
@click.option("--faults", default="", metavar="SPEC",
              help="Faults to inject, e.g. 'crash:0.2:for:600; loss:0.01' (grammar: docs/simulator.md).")
@click.option("--until", type=click.FloatRange(min=0, min_open=True), default=None, metavar="T",
              help="Stop at virtual time T (default: when every application has ended).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None, metavar="TRACE",
              help="Write the trace (JSON Lines) to TRACE; '-' for stdout.")
@click.option("--report", is_flag=True, help="Print a summary table: applications done/failed, delays.")
@click.option("--json", "json_out", is_flag=True, help="Print the summary as JSON.")
@click.option("--replicas", type=click.IntRange(min=0), default=None, metavar="K",
              help="[bonjourgrid] passive replicas per coordinator (default 1).")
@click.option("--tasks", default=None, metavar="N,N,...",
              help="[bonjourgrid] parallel tasks per application, chosen uniformly (default 2,4,...,128).")
@click.option("--duration", default=None, metavar="MIN-MAX",
              help="[bonjourgrid] task durations in seconds (default 1-500).")
@click.option("--gap", type=click.FloatRange(min=0), default=None, metavar="S",
              help="[bonjourgrid] mean gap between submissions in seconds (default 60; 0: all at once).")
@click.option("--scenario", default=None, metavar="NAME",
              help="[pastrygrid] a run of models/pastrygrid.cpn's shape, for `protoverify conform`: `model`, or "
                   "a name such as n3_diamond_u1_worker-busy_rdv_s4 (docs/conformance.md, PastryGrid); "
                   "--nodes and --seed fill the parts it leaves out.")
def simulate(protocol: str, nodes: int, apps: int, seed: int, faults: str, until: float | None,
             output: str | None, report: bool, json_out: bool, replicas: int | None, tasks: str | None,
             duration: str | None, gap: float | None, scenario: str | None) -> None:
    """Run PROTOCOL's reference implementation in the simulator and record its trace.

    \b
    Examples:
      protoverify simulate bonjourgrid --nodes 200 --apps 130 -o bg.jsonl --report
      protoverify simulate bonjourgrid --faults 'crash:1:on:coordinator:for:300' --report
      protoverify simulate pastrygrid --nodes 200 --apps 100 --faults 'crash:0.2:for:600' -o pg.jsonl
      protoverify simulate pastrygrid --scenario n3_diamond_u1_worker-busy_s2 -o t.jsonl

    The same seed and options give a byte-identical trace.
    """
    from .experiments import load_runner
    from .faults import parse_faults
    from .trace import TraceRecorder
    options: dict = {}
    try:
        spec = parse_faults(faults)
        if protocol == "bonjourgrid":
            options["workload"] = _workload(tasks, duration, gap)
            if replicas is not None:
                options["replicas"] = replicas
        elif replicas is not None or tasks is not None or duration is not None or gap is not None:
            raise InputError("--replicas, --tasks, --duration and --gap are options of bonjourgrid only")
        runner = load_runner(protocol)
        if scenario is not None:
            runner = _scenario_runner(protocol, scenario, spec, until, apps)
        sink = None
        if output == "-":
            sink = sys.stdout
        elif output is not None:
            try:
                sink = open(output, "w", encoding="utf-8")
            except OSError as err:
                raise InputError(f"cannot write `{output}`: {err.strerror or err}") from None
        t0 = time.perf_counter()
        try:
            summary = runner(nodes, apps, seed, str(spec), until, TraceRecorder(sink, keep=False), **options)
        finally:
            if sink is not None and sink is not sys.stdout:
                sink.close()
        wall = time.perf_counter() - t0
    except ProtoverifyError as err:
        _fail(err)
        return
    out = sys.stderr if output == "-" else sys.stdout
    if json_out:
        click.echo(json.dumps(summary, indent=2), file=out)
    if report:
        click.echo(render_summary(summary), file=out, nl=False)
    if not (json_out or report):
        click.echo(f"{protocol}: {summary.get('done', 0)} done, {summary.get('failed', 0)} failed, "
                   f"{summary.get('lost', 0)} lost, {summary.get('unfinished', 0)} unfinished of "
                   f"{summary.get('apps', apps)} "
                   f"applications" + (f"; trace in {output}" if output and output != "-" else ""), file=out)
    click.echo(f"simulated {summary.get('end_time', 0):,.0f} virtual seconds in {wall:.1f} s", err=True)


@click.command(context_settings=CONTEXT)
@click.argument("protocol", type=click.Choice(["bonjourgrid", "pastrygrid", "all"]), default="bonjourgrid")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True, help="Seeds 1..N per setting.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Run settings in this many processes (results do not depend on it).")
@click.option("--quick", is_flag=True, help="[bonjourgrid] one load (a submission every 120 s) instead of four.")
def experiment(protocol: str, seeds: int, jobs: int, quick: bool) -> None:
    """Re-run the seed experiments of the founding presentation and print Markdown tables.

    \b
    bonjourgrid: 200 nodes, 130 applications of 2..128 parallel tasks lasting 1..500 s,
                 submissions every 60/120/240/480 s on average; without faults, with
                 coordinators crashing (replicas take over), with any machine crashing.
    pastrygrid:  200 nodes, 100 applications, every machine failing with probability
                 20%, 40%, 80% for 600 s; delays against each application's critical path.
                 (bench/pastrygrid_experiment.py compares with fault-free runs instead:
                 the table in docs/experiments.md.)
    """
    from .experiments import bonjourgrid_settings, pastrygrid_settings, render_table, run_settings
    protocols = ["bonjourgrid", "pastrygrid"] if protocol == "all" else [protocol]
    try:
        for proto in protocols:
            if proto == "bonjourgrid":
                settings = bonjourgrid_settings(gaps=(120.0,) if quick else (60.0, 120.0, 240.0, 480.0))
            else:
                from .experiments import load_runner
                load_runner("pastrygrid")  # fail early and clearly
                settings = pastrygrid_settings()
            t0 = time.perf_counter()
            results = run_settings(settings, list(range(1, seeds + 1)), jobs=jobs,
                                   progress=lambda msg: click.echo(f"  {proto}: {msg}", err=True))
            cpu = sum(c for _, _, c in results)
            click.echo(f"### {proto}: {settings[0].nodes} nodes, {settings[0].apps} applications, "
                       f"seeds 1..{seeds}\n")
            click.echo(render_table(results))
            click.echo(f"{proto}: {len(settings) * seeds} runs, {cpu:.0f} s of CPU, "
                       f"{time.perf_counter() - t0:.0f} s wall", err=True)
    except ProtoverifyError as err:
        _fail(err)


def register(group: click.Group) -> None:
    """Add ``simulate`` and ``experiment`` to ``group``."""
    group.add_command(simulate, "simulate")
    group.add_command(experiment, "experiment")
