"""State-space sizes of the protocol models over growing parameters.

    python bench/model_sizes.py                      # every model, a Markdown table each
    python bench/model_sizes.py --model bonjourgrid  # one model
    python bench/model_sizes.py --max-states 300000 --json out.json
    python bench/model_sizes.py --from-json out.json   # the tables again, from saved rows

Runs ``protoverify check MODEL -D ... --json -q --max-states M`` (and ``--timeout T`` if given)
for each parameter set (the model's defaults first, then one or two
parameters grown at a time) and prints one row per run: the parameters, the
markings and edges found, whether the exploration was complete (if not, why
it stopped: the state limit or the time limit), the CPU seconds of the whole
check (exploration + properties; CPU rather than wall clock, so that a busy
machine does not inflate them) and its wall-clock seconds, and the verdict
with the properties that fail or stay unknown.  An incomplete run
says so: its counts are a lower bound and its verdict only covers what was
explored (a counterexample found there is real; "holds" is never claimed).

models/bonjourgrid.cpn and models/pastrygrid.cpn have hand-picked lists of
parameter sets; any other model listed in MODELS with ``None`` gets its
defaults and then each parameter grown by one.  The tables in
docs/models.md are this script's output.  Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# model file -> parameter overrides, in the order of the table (None: defaults, then each param + 1)
MODELS: dict[str, list[dict[str, int]] | None] = {
    "models/bonjourgrid.cpn": [
        {},                                                  # N=3 APPS=1 W=1 K=1 CRASH=1
        {"CRASH": 0},
        {"K": 0, "CRASH": 0},
        {"K": 0},                                            # a crash with no replica: give_up
        {"CRASH": 2},                                        # the (K+1)-th failure: takeover_last, fail_end
        {"W": 2},
        {"K": 2},
        {"W": 0, "K": 2},                                    # the correct model at the double_takeover mutant's size
        {"K": 2, "CRASH": 2},                                # two replicas, two failures: a second term (abstraction 6)
        {"N": 4, "CRASH": 0},
        {"N": 4, "K": 0, "CRASH": 0},
        {"APPS": 2, "K": 0, "CRASH": 0},
        {"APPS": 2, "W": 2, "K": 0, "CRASH": 0},          # the liveness caveat (docs/models.md)
        {"N": 4},                                            # reaches the 300,000-marking limit
        {"APPS": 2},                                         # reaches the 300,000-marking limit
    ],
    "models/pastrygrid.cpn": [
        {},                                                  # N=3 DAG=1 WCRASH=1 RCRASH=1 UNFIT=1 RETRY=1
        {"DAG": 2},                                          # chain A -> B -> C
        {"DAG": 3},                                          # join A + B -> C
        {"UNFIT": 3},                                        # no node meets the requirements: every run fails
        {"WCRASH": 0, "RCRASH": 0},
        {"RETRY": 2},
        {"WCRASH": 2},                                       # = defaults at N=3: no second node a worker crash may hit
        {"UNFIT": 0},                                        # every node may work, the FTC's too
        {"N": 4},
        {"N": 4, "WCRASH": 0, "RCRASH": 0},
        {"N": 5},                                            # reaches the 300,000-marking limit
    ],
}


KILL_AFTER = 1800  # seconds of wall clock


def default_params(model: Path) -> dict[str, int]:
    from protoverify import load_model
    return dict(load_model(model).params)


def param_sets(model: str) -> list[dict[str, int]]:
    sets = MODELS.get(model)
    if sets is not None:
        return sets
    defaults = default_params(ROOT / model)
    return [{}] + [{name: value + 1} for name, value in defaults.items()]


def run(model: str, overrides: dict[str, int], max_states: int, timeout: float | None) -> dict:
    cmd = [sys.executable, "-m", "protoverify", "check", model, "--json", "-q", "--max-states", str(max_states)]
    if timeout is not None:
        cmd += ["--timeout", str(timeout)]
    for name, value in overrides.items():
        cmd += ["-D", f"{name}={value}"]
    t0 = time.perf_counter()
    cpu0 = _children_cpu()
    try:
        # a safety net only: a run that takes this long is reported as killed
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=KILL_AFTER)
    except subprocess.TimeoutExpired:
        return {"overrides": overrides, "killed": True, "seconds": round(time.perf_counter() - t0, 1)}
    seconds = round(time.perf_counter() - t0, 1)
    cpu = round(_children_cpu() - cpu0, 1)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"overrides": overrides, "error": proc.stderr.strip() or f"exit {proc.returncode}",
                "seconds": seconds}
    if "error" in report:
        return {"overrides": overrides, "error": report["error"], "seconds": seconds}
    props = report.get("properties", [])
    return {
        "overrides": overrides,
        "params": report["params"],
        "exit": proc.returncode,
        "states": report["states"],
        "edges": report["edges"],
        "complete": report["complete"],
        "stop_reason": report["stop_reason"],
        "cpu_seconds": cpu,
        "seconds": seconds,
        "explore_seconds": round(report["stats"]["seconds"], 1),
        "verdict": report["verdict"],
        "fails": [p["name"] for p in props if p["verdict"] == "fails"],
        "unknown": [p["name"] for p in props if p["verdict"] == "unknown"],
    }


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _params_cell(row: dict, defaults: dict[str, int]) -> str:
    if not row["overrides"]:
        return "defaults: " + " ".join(f"{k}={v}" for k, v in defaults.items())
    return " ".join(f"{k}={v}" for k, v in row["overrides"].items())


def _verdict_cell(row: dict) -> str:
    v = row["verdict"]
    if v == "ok":
        return "every property holds"
    parts = []
    if row["fails"]:
        parts.append("FAILS: " + ", ".join(row["fails"]))
    if row["unknown"]:
        n = len(row["unknown"])
        if n <= 3:
            parts.append("unknown: " + ", ".join(row["unknown"]))
        else:
            parts.append(f"{'the other ' if row['fails'] else 'all '}{n} unknown")
    return "; ".join(parts) or v


def table(model: str, rows: list[dict], defaults: dict[str, int]) -> str:
    out = [f"`{model}`", "",
           "| params | states | edges | complete | CPU s | wall s | verdict |",
           "|---|---:|---:|---|---:|---:|---|"]
    for row in rows:
        params = _params_cell(row, defaults)
        if row.get("killed"):
            out.append(f"| {params} | ? | ? | **no** (killed) | ? | {row['seconds']} | — |")
            continue
        if "error" in row:
            out.append(f"| {params} | — | — | — | — | {row['seconds']} | error: {row['error'].splitlines()[0]} |")
            continue
        complete = "yes" if row["complete"] else f"**no** ({row['stop_reason']})"
        states = f"{row['states']:,}" if row["complete"] else f"≥ {row['states']:,}"
        edges = f"{row['edges']:,}" if row["complete"] else f"≥ {row['edges']:,}"
        out.append(f"| {params} | {states} | {edges} | {complete} | {row['cpu_seconds']} | {row['seconds']} | "
                   f"{_verdict_cell(row)} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", action="append", metavar="NAME",
                    help="only this model (file stem, e.g. bonjourgrid; repeatable)")
    ap.add_argument("--max-states", type=int, default=300_000, help="per run (default 300,000)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="also stop each exploration after this many wall-clock seconds (default: none, so "
                         "that the counts depend on the state limit only and are reproducible)")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    ap.add_argument("--from-json", metavar="FILE", help="print the tables of rows saved by --json, run nothing")
    args = ap.parse_args(argv)
    everything = {}
    saved = json.loads(Path(args.from_json).read_text()) if args.from_json else None
    first = True
    for model in MODELS:
        if args.model and Path(model).stem not in args.model:
            continue
        if not (ROOT / model).is_file():
            print(f"({model}: not there, skipped)", file=sys.stderr)
            continue
        defaults = default_params(ROOT / model)
        if saved is not None:
            if model not in saved:
                continue
            rows = saved[model]
        else:
            rows = []
            for overrides in param_sets(model):
                print(f"{model} {overrides or 'defaults'} ...", file=sys.stderr, flush=True)
                rows.append(run(model, overrides, args.max_states, args.timeout))
        everything[model] = rows
        if not first:
            print()
        first = False
        print(table(model, rows, defaults))
        sys.stdout.flush()
    limits = f"--max-states {args.max_states:,}" + (f", --timeout {args.timeout:g} s" if args.timeout else "")
    print(f"\nLimits per run: {limits}. CPU s and wall s cover the whole check: exploration, then the "
          "properties. '≥': the exploration stopped at the limit, the counts are lower bounds, failures found "
          "are real and nothing else is decided.")
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
