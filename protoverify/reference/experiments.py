"""The seed experiments of the founding presentation, re-run on the reference implementations.

BonjourGrid: 200 nodes, 130 applications of 2 to 128 parallel tasks (powers
of two, uniformly), tasks of 1 s to 500 s (uniformly), with and without
coordinators failing.  The presentation does not say how submissions were
spread in time, so the experiment sweeps the mean gap between submissions
(the offered load).  PastryGrid: 200 nodes, 100 applications, every machine
failing with probability 20%, 40%, 80% for X seconds.

Every run is deterministic (seeded); ``protoverify experiment`` prints the
tables; ``docs/experiments.md`` holds the results and the command.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import InputError

__all__ = ["Setting", "bonjourgrid_settings", "pastrygrid_settings", "run_settings", "render_table",
           "load_runner"]


@dataclass(frozen=True)
class Setting:
    protocol: str
    nodes: int
    apps: int
    faults: str
    options: tuple[tuple[str, object], ...] = ()
    label: str = ""


def bonjourgrid_settings(gaps: Sequence[float] = (60.0, 120.0, 240.0, 480.0),
                         faults: Sequence[str] = ("", "crash:1:on:coordinator:for:300",
                                                  "crash:0.2:for:300")) -> list[Setting]:
    from .bonjourgrid_run import Workload
    out = []
    for f in faults:
        for gap in gaps:
            out.append(Setting("bonjourgrid", 200, 130, f, (("workload", Workload(interarrival=gap)),),
                               label=f"{gap:g} s"))
    return out


def pastrygrid_settings(down_for: float = 600.0) -> list[Setting]:
    return [Setting("pastrygrid", 200, 100, f"crash:{p}:for:{down_for:g}") for p in (0.2, 0.4, 0.8)]


def load_runner(protocol: str) -> Callable[..., dict]:
    """The ``run_<protocol>(nodes, apps, seed, faults, until, recorder, **options) -> dict`` function."""
    if protocol == "bonjourgrid":
        from .bonjourgrid_run import run_bonjourgrid
        return run_bonjourgrid
    if protocol == "pastrygrid":
        try:
            from . import pastrygrid
        except ImportError as err:
            raise InputError(f"pastrygrid is not available: protoverify.reference.pastrygrid cannot be "
                             f"imported ({err})") from None
        runner = getattr(pastrygrid, "run_pastrygrid", None)
        if runner is None:
            raise InputError("pastrygrid is not available yet: protoverify.reference.pastrygrid has no "
                             "run_pastrygrid(nodes, apps, seed, faults, until, recorder) function")
        return runner
    raise InputError(f"unknown protocol `{protocol}`; expected bonjourgrid or pastrygrid")


def _one(job: tuple[Setting, int]) -> tuple[dict, float]:
    setting, seed = job
    runner = load_runner(setting.protocol)
    t0 = time.process_time()
    summary = runner(setting.nodes, setting.apps, seed, setting.faults, None, None, **dict(setting.options))
    return summary, time.process_time() - t0


def run_settings(settings: Sequence[Setting], seeds: Sequence[int], *, jobs: int = 1,
                 progress: Callable[[str], None] | None = None) -> list[tuple[Setting, list[dict], float]]:
    """Run every setting with every seed; returns ``(setting, summaries, cpu_seconds)`` per setting."""
    work = [(s, seed) for s in settings for seed in seeds]
    if jobs > 1:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            results = pool.map(_one, work, chunksize=1)
    else:
        results = []
        for i, job in enumerate(work, 1):
            results.append(_one(job))
            if progress is not None:
                progress(f"{i}/{len(work)} done")
    out = []
    for i, setting in enumerate(settings):
        chunk = results[i * len(seeds):(i + 1) * len(seeds)]
        out.append((setting, [s for s, _ in chunk], sum(c for _, c in chunk)))
    return out


def _fmt(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def render_table(results: list[tuple[Setting, list[dict], float]]) -> str:
    """A Markdown table: one row per setting, figures over all seeds."""
    lines = ["| faults | gap between submissions | runs | apps done / failed / lost / unfinished | "
             "delayed (> threshold) | delay of delayed apps: median / mean / max (s) | "
             "crashes / takeovers per run (BonjourGrid: of coordinators; PastryGrid: of any machine / of RDVs) |",
             "|---|---|---|---|---|---|---|"]
    for setting, summaries, _ in results:
        n = len(summaries)
        total = sum(s.get("apps", 0) for s in summaries)
        done = sum(s.get("done", 0) for s in summaries)
        failed = sum(s.get("failed", 0) for s in summaries)
        lost = sum(s.get("lost", 0) for s in summaries)
        unfinished = sum(s.get("unfinished", 0) for s in summaries)
        delays = [r["delay"] for s in summaries for r in s.get("per_app", ())
                  if r.get("delay") is not None and r["delay"] > s.get("delay_threshold", 0)]
        share = 100.0 * len(delays) / total if total else 0.0
        med = statistics.median(delays) if delays else None
        mean = statistics.fmean(delays) if delays else None
        top = max(delays) if delays else None
        crashes = statistics.fmean(s.get("coordinator_crashes", s.get("crashes", 0)) for s in summaries) if n else 0
        takeovers = statistics.fmean(s.get("takeovers", 0) for s in summaries) if n else 0
        threshold = summaries[0].get("delay_threshold", 0) if summaries else 0
        lines.append(f"| `{setting.faults or 'none'}` | {setting.label or '–'} | {n} | "
                     f"{done} / {failed} / {lost} / {unfinished} | {share:.0f}% ({len(delays)} of {total}, "
                     f"> {threshold:g} s) | {_fmt(med)} / {_fmt(mean)} / {_fmt(top)} | "
                     f"{crashes:.1f} / {takeovers:.1f} |")
    return "\n".join(lines) + "\n"
