"""Parallel exploration (``workers`` > 1) against the sequential compiled explorer.

Oracle: the same explorer with one worker.  Everything observable must be
equal (``snapshots.py``: numbering, markings, parents, successor lists with
bindings, dead markings, bounds, paths; or the same ``ModelRuntimeError``),
also where ``max_states`` stops the search, and ``protoverify check`` must
print the same bytes.  ``PROTOVERIFY_PARALLEL_BATCH=MIN,BATCH`` makes the
threads start at once and the batches tiny, so that small nets go through
many batches, traps, widenings and limits inside a batch.  Also: no thread
outlives a run (errors, limits, time-outs).  Cheap: a few seconds of CPU.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, note, settings

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[2]))

from bench.explorer import philosophers_pt  # noqa: E402  (the MCC net the benchmark measures)
from snapshots import outcome  # noqa: E402

from protoverify import ModelRuntimeError, explore, load_model, load_model_text  # noqa: E402
from protoverify.cli import main  # noqa: E402
from protoverify.explore.compiled import extension_available  # noqa: E402
from protoverify.explore.statespace import resolve_workers  # noqa: E402
from protoverify.report import build_report, render_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "models" / "examples").glob("*.cpn"))
needs_ext = pytest.mark.skipif(not extension_available(), reason="the compiled extension is not built")
pytestmark = needs_ext

TINY = "1,3"      # threads from the first state on, three states per batch


def _threads() -> int:
    return len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else 0


def same_as_sequential(net, workers=(2, 3), **kw):
    """Explore with 1 and with each of ``workers`` threads; assert the outcomes are equal.

    Returns the sequential outcome and the last parallel state space (None after an error)."""
    before = _threads()
    first, space = outcome(net, "compiled", workers=1, **kw)
    par = None
    for w in workers:
        other, par = outcome(net, "compiled", workers=w, **kw)
        assert first[0] == other[0], f"1 worker: {first[0]}, {w} workers: {other[0]}"
        if first[0] == "error":
            assert first == other
        else:
            for key in first[1]:
                assert first[1][key] == other[1][key], f"{key} differs with {w} workers"
            assert par.workers == w
    assert _threads() == before, "a worker thread outlived its run"
    return first, par


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_at_defaults(path, monkeypatch):
    monkeypatch.setenv("PROTOVERIFY_PARALLEL_BATCH", TINY)
    same_as_sequential(load_model(str(path)), keep_successors=True)


@pytest.mark.parametrize("batch", [TINY, "1,64", None])
@pytest.mark.parametrize("path,params", [
    ("philosophers", {"N": 6}),
    ("read_inhibit", {"R": 4, "W": 3, "V": 3}),
    ("producer_consumer", {"CAP": 4, "V": 3}),
    ("leader_election", {"N": 4}),
])
def test_examples_larger(path, params, batch, monkeypatch):
    if batch:
        monkeypatch.setenv("PROTOVERIFY_PARALLEL_BATCH", batch)
    net = load_model(str(ROOT / "models" / "examples" / f"{path}.cpn"), params)
    _, par = same_as_sequential(net, workers=(2,), keep_successors=batch != TINY)
    if batch:
        assert par.core.stats()["parallel_batches"] > 0


def _report(space):
    report = build_report(space)
    del report["stats"]
    return report, render_text(space, report)


@pytest.mark.parametrize("name", ["bonjourgrid", "pastrygrid"])
def test_protocol_models_at_defaults(name):
    """The whole state spaces, with the default batches (threads start at 256 queued states)."""
    net = load_model(str(ROOT / "models" / f"{name}.cpn"))
    before = _threads()
    seq = explore(net, explorer="compiled", workers=1)
    par = explore(net, explorer="compiled", workers=2)
    assert _threads() == before
    assert par.core.stats()["parallel_batches"] > 0
    assert (par.states, par.edges, par.complete) == (seq.states, seq.edges, True)
    assert par.dead == seq.dead and par.bounds == seq.bounds and par.fired == seq.fired
    n = seq.states
    assert [par.core.parent(s) for s in range(n)] == [seq.core.parent(s) for s in range(n)]
    sample = list(range(0, n, max(1, n // 300))) + seq.dead[:20]
    assert [par.markings[s] for s in sample] == [seq.markings[s] for s in sample]
    for s in sample[:: max(1, len(sample) // 15)]:
        assert [x.to_json() for x in par.path_to(s)] == [x.to_json() for x in seq.path_to(s)]
    assert _report(par) == _report(seq)


def test_generated_pt_net_with_default_batches():
    """Philosophers-PT N=9 (19,683 states): batches of the default size, a helper thread busy."""
    net = load_model_text(philosophers_pt(9))
    seq = explore(net, explorer="compiled", workers=1, keep_successors=True)
    par = explore(net, explorer="compiled", workers=2, keep_successors=True)
    assert par.states == seq.states == 3 ** 9
    assert par.core.stats()["parallel_states"] > 0
    assert [par.successors[s] for s in range(par.states)] == [seq.successors[s] for s in range(seq.states)]
    assert [par.core.parent(s) for s in range(par.states)] == [seq.core.parent(s) for s in range(seq.states)]


# ------------------------------------------------------------ limits, errors, widening, compaction
@pytest.mark.parametrize("batch", [TINY, "1,50"])
@pytest.mark.parametrize("limit", [1, 2, 17, 100, 700])
def test_state_limit_stops_at_the_same_place(limit, batch, monkeypatch):
    monkeypatch.setenv("PROTOVERIFY_PARALLEL_BATCH", batch)
    net = load_model(str(ROOT / "models" / "examples" / "philosophers.cpn"), {"N": 6})
    (kind, snap), _ = same_as_sequential(net, max_states=limit, keep_successors=True)
    assert snap["states"] == min(limit, 729) and snap["complete"] == (limit >= 729)


def test_run_time_errors_are_reported_identically(monkeypatch):
    from test_compiled_fallback import ERRORS
    monkeypatch.setenv("PROTOVERIFY_PARALLEL_BATCH", "1,1")
    for text in ERRORS.values():
        net = load_model_text(text)
        for limit in (None, 2, 3):
            same_as_sequential(net, workers=(2, 4), max_states=limit)


def test_counts_outgrowing_their_counters(monkeypatch):
    """Widening in the middle of a batch: the rest of the batch is expanded again."""
    monkeypatch.setenv("PROTOVERIFY_PARALLEL_BATCH", "1,16")
    net = load_model_text("""
        model Grow
        colset C = 1..3
        place Src : Unit = unit
        place Heap : C = 1
        transition make in Src : unit out Src : unit out Heap : 3'1 ++ 2
        transition take in Heap : 2'x inhibit Heap : 3 out Heap : 3
    """)
    _, par = same_as_sequential(net, workers=(2,), max_states=1500, keep_successors=True)
    assert par.core.stats()["widenings"] >= 3 and par.core.stats()["parallel_batches"] > 0


def test_failing_generated_nets(monkeypatch):
    """The hypothesis nets whose expressions fail at run time or whose counts grow."""
    from test_compiled_random import failing_nets
    from protoverify.errors import InputError
    monkeypatch.setenv("PROTOVERIFY_PARALLEL_BATCH", "1,2")

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(failing_nets())
    def run(text):
        note(text)
        try:
            net = load_model_text(text)
        except InputError:
            return
        same_as_sequential(net, workers=(2,), max_states=400, keep_successors=True)
    run()


def test_compaction(monkeypatch):
    monkeypatch.setenv("PROTOVERIFY_PARALLEL_BATCH", "1,40")
    net = load_model(str(ROOT / "models" / "examples" / "philosophers.cpn"), {"N": 6})
    seq = explore(net, explorer="compiled", compact=True)
    par = explore(net, explorer="compiled", compact=True, workers=2)
    assert (par.states, par.edges, par.dead) == (seq.states, seq.edges, seq.dead)
    assert [par.parent[s] for s in range(par.states)] == [seq.parent[s] for s in range(seq.states)]
    assert [par.markings[s] for s in range(0, par.states, 7)] == [seq.markings[s] for s in range(0, seq.states, 7)]


def test_python_explorer_runs_on_one_thread():
    net = load_model(str(ROOT / "models" / "examples" / "mutex.cpn"))
    assert explore(net, explorer="python", workers=4).workers == 1


def test_resolve_workers():
    assert resolve_workers(0) >= 1 and resolve_workers(5) == 5
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError):
            resolve_workers(bad)


# ------------------------------------------------------------ the command line
def _check(*args):
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.mark.parametrize("name,defines", [("philosophers", ["-D", "N=6"]), ("read_inhibit", []),
                                          ("token_ring", ["-D", "N=5"])])
def test_check_prints_the_same_bytes(name, defines, monkeypatch):
    monkeypatch.setenv("PROTOVERIFY_PARALLEL_BATCH", "1,5")
    path = str(ROOT / "models" / "examples" / f"{name}.cpn")
    seq = _check(path, *defines, "-q")
    assert _check(path, *defines, "-q", "--workers", "2") == seq
    assert _check(path, *defines, "-q", "--workers", "0") == seq
    code, js = _check(path, *defines, "-q", "--json")
    code2, js2 = _check(path, *defines, "-q", "--json", "--workers", "2")
    a, b = json.loads(js), json.loads(js2)
    assert "workers" not in a["stats"] and b["stats"]["workers"] == 2
    del a["stats"], b["stats"]
    assert (code2, b) == (code, a)


def test_check_limits_give_a_partial_report(monkeypatch):
    """--max-states: the same partial report; --timeout: a partial report; exit 3; no thread left."""
    monkeypatch.setenv("PROTOVERIFY_PARALLEL_BATCH", "1,7")
    path = str(ROOT / "models" / "examples" / "philosophers.cpn")
    before = _threads()
    seq = _check(path, "-D", "N=6", "-q", "--max-states", "300")
    par = _check(path, "-D", "N=6", "-q", "--max-states", "300", "--workers", "2")
    assert par == seq and par[0] == 3
    monkeypatch.delenv("PROTOVERIFY_PARALLEL_BATCH")
    code, js = _check(path, "-D", "N=16", "-q", "--timeout", "0.3", "--workers", "2", "--json")
    report = json.loads(js)
    assert code == 3 and report["verdict"] == "incomplete"
    assert 0 < report["states"] < 3 ** 16
    assert _threads() == before


def test_workers_in_help():
    out = CliRunner().invoke(main, ["check", "--help"]).output
    assert "--workers N" in out and "0: every core" in out


def test_model_error_leaves_no_thread(monkeypatch):
    from test_compiled_fallback import ERRORS
    monkeypatch.setenv("PROTOVERIFY_PARALLEL_BATCH", "1,1")
    before = _threads()
    net = load_model_text(ERRORS["division by zero in an output, after a few states"])
    with pytest.raises(ModelRuntimeError):
        explore(net, explorer="compiled", workers=3)
    assert _threads() == before
