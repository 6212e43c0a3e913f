"""Benchmark of the explorers: compiled core, Python explorer, SNAKES and Spin, in one run.

    python bench/explorer.py                 # the default cases, a table on stdout (a few minutes)
    python bench/explorer.py --quick         # small sizes only
    python bench/explorer.py --large         # adds 10^7 states exact and 10^8 with --compact (GBs, many minutes)
    python bench/explorer.py --large-only --workers 2   # only those two, on two threads
    python bench/explorer.py --json out.json # the same figures, machine-readable
    python bench/explorer.py --markdown      # tables for docs/performance.md

Every case builds the full state space of one net.  protoverify runs in
this process through ``protoverify.explore.explore`` (the compiled explorer,
unfolding included in its time; the Python explorer with
``explorer="python"``); SNAKES 0.9.33's ``StateGraph`` runs in this process
too on the nets of ``tests/snakes_oracle.py`` (built by hand) or, for the
protocol and P/T nets, on the IR translation of ``python -m bench`` when it
is importable; Spin (``spin`` + ``gcc``) on the Promela philosophers of
``python -m bench``.  Times are wall clock and CPU time of this process (the
machine is shared: CPU time is the steadier figure); "B/state" is the
compiled core's own accounting of its memory (records, table, parents) per
state, or the Python explorer's estimate.  State and edge counts are
compared between tools, and with the published MCC counts.  Nothing here is
a test and no time is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from protoverify import load_model, load_model_text  # noqa: E402
from protoverify.explore.compiled import extension_available  # noqa: E402
from protoverify.explore.statespace import explore  # noqa: E402

PYTHON_MAX = 100_000    # states: ~30 s for the Python explorer
SNAKES_MAX = 20_000     # states: ~40 s for SNAKES
PUBLISHED = {  # MCC StateSpace oracle (shared/BENCHMARKS.md)
    "Philosophers-PT-000010": (59_049, 459_270), "TokenRing-PT-010": (58_905, 294_050),
    # Dekker: bench/mcc's net makes the flags explicit places (same states, more arcs; bench/mcc/README.md)
    "SharedMemory-PT-000010": (1_830_519, 19_486_170), "Dekker-PT-015": (278_528, None),
    "Kanban-PT-0005": (2_546_432, 24_460_016), "Referendum-PT-0010": (59_050, None),
}


def philosophers_pt(n: int) -> str:
    """Philosophers-PT-N (MCC) in the model language: one Unit place per MCC place."""
    lines = [f"model PhilosophersPT{n}"]
    for i in range(1, n + 1):
        lines += [f"place Think_{i} : Unit = unit", f"place Fork_{i} : Unit = unit", f"place Catch1_{i} : Unit",
                  f"place Catch2_{i} : Unit", f"place Eat_{i} : Unit"]
    for i in range(1, n + 1):
        j = n if i == 1 else i - 1
        lines += [f"transition FF1a_{i} in Think_{i} : unit in Fork_{j} : unit out Catch1_{i} : unit",
                  f"transition FF1b_{i} in Think_{i} : unit in Fork_{i} : unit out Catch2_{i} : unit",
                  f"transition FF2a_{i} in Catch1_{i} : unit in Fork_{i} : unit out Eat_{i} : unit",
                  f"transition FF2b_{i} in Catch2_{i} : unit in Fork_{j} : unit out Eat_{i} : unit",
                  f"transition End_{i} in Eat_{i} : unit out Think_{i} : unit out Fork_{i} : unit "
                  f"out Fork_{j} : unit"]
    return "\n".join(lines) + "\n"


def _load(case: dict):
    if "text" in case:
        return load_model_text(case["text"])
    return load_model(str(ROOT / case["source"]), case.get("params", {}))


def _ours(net, explorer: str, compact: bool = False, workers: int = 1) -> dict:
    w0, c0 = time.perf_counter(), time.process_time()
    space = explore(net, explorer=explorer, compact=compact, max_states=10 ** 9, workers=workers)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    out = {"states": space.states, "edges": space.edges, "wall": wall, "cpu": cpu,
           "rate_wall": space.states / wall if wall else None, "rate_cpu": space.states / cpu if cpu else None,
           "bytes_per_state": space.bytes_per_state(), "explorer": space.explorer}
    if compact and space.compact:
        out["missed_state_probability"] = space.missed_state_probability
    if workers != 1:
        out["workers"] = workers
        out["core"] = {k: v for k, v in getattr(space, "core_stats", {}).items() if isinstance(v, (int, float))}
    return out


def _snakes(case: dict, net) -> dict | None:
    """SNAKES' StateGraph on the same net, or None when no translation is available."""
    try:
        import snakes_oracle as so
    except ImportError:
        return None
    if case.get("snakes") == "oracle":
        pn = so.BUILDERS[Path(case["source"]).stem](**case.get("params", {}))
    elif case.get("snakes") == "ir":
        try:
            import importlib
            bench_main = importlib.import_module("bench.__main__")
            pn = bench_main._to_snakes(net)
        except Exception:  # the suite's translator is missing or refuses the net
            return None
    else:
        return None
    w0, c0 = time.perf_counter(), time.process_time()
    states, edges, _dead = so.state_space(pn)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {"states": states, "edges": edges, "wall": wall, "cpu": cpu, "rate_wall": states / wall,
            "rate_cpu": states / cpu}


def _spin(n: int) -> dict | None:
    try:
        import importlib
        bench_main = importlib.import_module("bench.__main__")
        got = bench_main._spin(n, 600)
    except Exception:
        return None
    if got.get("status") != "ok":
        return {"status": got.get("status"), "reason": got.get("reason")}
    got["rate_wall"] = got["states"] / got["seconds"] if got["seconds"] else None
    return got


def cases(quick: bool, large: bool) -> list[dict]:
    out: list[dict] = []
    coloured = [("philosophers", {"N": 6}), ("philosophers", {"N": 8}), ("token_ring", {"N": 6}),
                ("leader_election", {"N": 5}), ("mutex", {"N": 6}), ("read_inhibit", {"R": 4, "W": 3, "V": 3}),
                ("producer_consumer", {"CAP": 4, "V": 3}), ("assembly", {"P": 8}), ("enums_products", {"C": 3})]
    if quick:
        coloured = coloured[:3]
    for name, params in coloured:
        out.append({"group": "coloured", "name": f"{name} " + " ".join(f"{k}={v}" for k, v in params.items()),
                    "source": f"models/examples/{name}.cpn", "params": params, "snakes": "oracle",
                    "python": True})
    out.append({"group": "coloured", "name": "philosophers N=10", "source": "models/examples/philosophers.cpn",
                "params": {"N": 10}, "python": not quick})
    protocols = [("bonjourgrid", {}, True), ("pastrygrid", {}, True)]
    if not quick:
        protocols += [("bonjourgrid", {"N": 4}, False), ("pastrygrid", {"N": 4}, False)]
    for name, params, small in protocols:
        out.append({"group": "protocol", "name": f"{name} " + (" ".join(f"{k}={v}" for k, v in params.items())
                                                               or "defaults"),
                    "source": f"models/{name}.cpn", "params": params, "snakes": "ir" if small else None,
                    "python": small})
    for n in ([8, 10] if quick else [8, 10, 12, 14]):
        out.append({"group": "pt", "name": f"Philosophers-PT N={n}", "text": philosophers_pt(n), "n": n,
                    "python": n <= 8, "snakes": "ir" if n <= 8 else None, "spin": n in (10, 12) and not quick,
                    "compact": n >= 12})
    if not quick:
        for name in ("TokenRing-PT-010", "Dekker-PT-015", "Referendum-PT-0010", "SharedMemory-PT-000010",
                     "Kanban-PT-0005"):
            out.append({"group": "mcc", "name": name, "source": f"bench/mcc/{name}.pnml"})
    if large:
        out.append({"group": "large", "name": "Philosophers-PT N=15 (exact)", "text": philosophers_pt(15),
                    "subprocess": True})
        out.append({"group": "large", "name": "Philosophers-PT N=17 (--compact)", "text": philosophers_pt(17),
                    "subprocess": True, "only_compact": True})
    return out


def _in_subprocess(case: dict) -> dict:
    """A large case alone in a fresh process: its peak memory is its own."""
    spec = json.dumps({"text": case["text"], "compact": bool(case.get("only_compact")),
                       "workers": case.get("workers", 1)})
    r = subprocess.run([sys.executable, __file__, "--worker", spec], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _worker(spec: str) -> None:
    spec = json.loads(spec)
    net = load_model_text(spec["text"])
    got = _ours(net, "compiled", compact=spec["compact"], workers=spec.get("workers", 1))
    got["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(got))


def machine() -> dict:
    info = {"date": time.strftime("%Y-%m-%d %H:%M"), "python": platform.python_version(),
            "cpus": os.cpu_count(), "load_average": os.getloadavg()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in ("Model name", "CPU(s)", "L2 cache", "L3 cache", "Hypervisor vendor"):
                info[k.strip()] = v.strip()
    except OSError:
        pass
    with open("/proc/meminfo") as fh:
        info["memory"] = fh.readline().split(":")[1].strip()
    return info


def run(args) -> dict:
    result = {"machine": machine(), "extension": extension_available(), "rows": []}
    for case in cases(args.quick, args.large or args.large_only):
        if args.large_only and case["group"] != "large":
            continue
        case["workers"] = args.workers
        print(f"... {case['name']}", file=sys.stderr, flush=True)
        row = {"group": case["group"], "name": case["name"]}
        if case.get("subprocess"):
            row["compiled"] = _in_subprocess(case)
            row["loadavg"] = os.getloadavg()[0]
            result["rows"].append(row)
            continue
        net = _load(case)
        row["compiled"] = _ours(net, "compiled")
        if case.get("compact"):
            row["compact"] = _ours(net, "compiled", compact=True)
        states = row["compiled"]["states"]
        # the slow tools only where they finish in about a minute (models change size)
        if case.get("python") and states <= PYTHON_MAX:
            row["python"] = _ours(net, "python")
        if case.get("snakes") and not args.no_snakes and states <= SNAKES_MAX:
            got = _snakes(case, net)
            if got is not None:
                row["snakes"] = got
        if case.get("spin") and not args.no_spin:
            got = _spin(case["n"])
            if got is not None:
                row["spin"] = got
        published = PUBLISHED.get(case["name"].split(" ")[0]) if case["group"] == "mcc" else None
        if case["group"] == "pt":
            published = (3 ** case["n"], None)
        c = row["compiled"]
        checks = []
        for tool in ("python", "snakes", "compact"):
            if tool in row:
                checks.append((row[tool]["states"], row[tool]["edges"]) == (c["states"], c["edges"]))
        if "spin" in row and "states" in row["spin"]:
            checks.append(row["spin"]["states"] == c["states"])
        if published:
            checks.append(published[0] == c["states"] and published[1] in (None, c["edges"]))
        row["counts_agree"] = all(checks)
        row["loadavg"] = os.getloadavg()[0]
        result["rows"].append(row)
    result["machine"]["load_average_end"] = os.getloadavg()
    return result


def _f(v, fmt="{:,.0f}") -> str:
    return "—" if v is None else fmt.format(v)


def render(result: dict, markdown: bool) -> str:
    head = ["group", "net", "states", "edges", "compiled st/s (CPU)", "compiled st/s (wall)", "B/state",
            "Python st/s", "SNAKES st/s", "Spin st/s (wall)", "x SNAKES", "x Python", "x Spin (wall)", "counts"]
    rows = []
    for r in result["rows"]:
        c = r["compiled"]
        if "error" in c:
            rows.append([r["group"], r["name"], "error: " + c["error"]] + [""] * (len(head) - 3))
            continue
        py, sn, sp = r.get("python"), r.get("snakes"), r.get("spin")
        x_snakes = c["rate_cpu"] / sn["rate_cpu"] if sn and c["rate_cpu"] else None
        x_python = c["rate_cpu"] / py["rate_cpu"] if py and c["rate_cpu"] else None
        x_spin = c["rate_wall"] / sp["rate_wall"] if sp and sp.get("rate_wall") else None
        name = r["name"]
        if "compact" in r:
            name += f" (compact: {_f(r['compact']['rate_cpu'])} st/s, {_f(r['compact']['bytes_per_state'], '{:.1f}')} B)"
        if "peak_rss" in c:
            name += f" (peak RSS {c['peak_rss'] / 2 ** 30:.2f} GiB)"
        if "missed_state_probability" in c:
            name += f" (P(miss) {c['missed_state_probability']:.1e})"
        rows.append([r["group"], name, _f(c["states"]), _f(c["edges"]), _f(c["rate_cpu"]), _f(c["rate_wall"]),
                     _f(c["bytes_per_state"], "{:.1f}"), _f(py and py["rate_cpu"]), _f(sn and sn["rate_cpu"]),
                     _f(sp and sp.get("rate_wall")), _f(x_snakes, "{:,.0f}"), _f(x_python, "{:,.0f}"), _f(x_spin, "{:.1f}"),
                     "ok" if r.get("counts_agree", True) else "DIFFER"])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    out = ["  ".join(str(x).ljust(w) for x, w in zip(head, widths))]
    out += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in rows]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--large", action="store_true")
    ap.add_argument("--large-only", action="store_true", help="only the 10^7 exact and 10^8 compacted runs")
    ap.add_argument("--workers", type=int, default=1, help="threads for the large runs (default 1)")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--no-snakes", action="store_true")
    ap.add_argument("--no-spin", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        _worker(args.worker)
        return 0
    result = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    m = result["machine"]
    print(f"{m['date']}  {m.get('Model name', platform.processor())}  {m['cpus']} CPUs  {m['memory']}  "
          f"load {m['load_average'][0]:.1f} -> {m['load_average_end'][0]:.1f}  extension: {result['extension']}")
    print(render(result, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
