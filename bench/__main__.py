"""The benchmark suite: protoverify against SNAKES (and Spin) on the same nets, in one run.

    nice python -m bench                  # the full suite, tables on stdout and in docs/performance.md
    nice python -m bench --quick          # small nets, short SNAKES time-out
    python -m bench --json out.json       # the same figures, machine-readable
    python -m bench --only Philosophers   # cases whose name contains a word
    python -m bench --large               # adds the 10^6-state nets (minutes, GBs)
    python -m bench --from-json out.json  # the table and doc again from saved figures

For every net of the suite (the example models, the two protocol models at
two sizes each, the Model Checking Contest nets of bench/mcc) the state
space is built, each run in a fresh subprocess so that peak memory is its
own:

* by protoverify, through its public API ``protoverify.explore.explore``
  (whatever explorer that picks);
* by SNAKES 0.9.33's ``StateGraph``, capped by ``--snakes-timeout`` seconds
  (the process is killed past it).  The example models use the nets built
  by hand in tests/snakes_oracle.py; the other nets are translated from
  protoverify's IR (places, arcs as SNAKES patterns, guards and computed
  arcs as Python closures SNAKES calls);
* by Spin (if ``spin`` and ``gcc`` are installed) on a Promela translation
  of the Philosophers P/T net, one atomic guarded option per transition, so
  that a Spin state is exactly a marking; compiled with ``-O2 -DNOREDUCE``.

Figures: states, edges, exploration seconds (CPU time of the process and
wall clock, loading and importing excluded), states/s, peak resident memory
of the process, and bytes per state = (peak RSS - RSS before the
exploration) / states.  Speed ratios use CPU time (the machine is shared).
The parallel section runs protoverify with ``workers=1`` and ``workers=2``
on the same nets (wall clock is what parallelism buys; CPU time is summed
over the threads).  Counts are checked: against
the contest's published counts (MCC nets) and between the tools; a mismatch
is printed.  Nothing here is a test and no time is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MCC = ROOT / "bench" / "mcc"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- python -m bench: begin -->", "<!-- python -m bench: end -->"

# (name, group, source, params, SNAKES builder: "oracle" | "ir", in --quick, only with --large)
EXAMPLES = ["assembly", "enums_products", "leader_election", "mutex", "peterson", "philosophers",
            "philosophers_fixed", "producer_consumer", "read_inhibit", "token_ring"]
CASES: list[dict] = []
for _name in EXAMPLES:
    CASES.append({"name": _name, "group": "example", "source": f"models/examples/{_name}.cpn", "params": {},
                  "snakes": "oracle", "quick": True})
# the examples again at sizes where the exploration, not the start-up, dominates
for _name, _params, _quick in [("philosophers", {"N": 7}, True), ("mutex", {"N": 8}, True),
                               ("producer_consumer", {"CAP": 4, "V": 4}, True), ("token_ring", {"N": 8}, False),
                               ("enums_products", {"C": 4}, False), ("leader_election", {"N": 6}, False),
                               ("philosophers", {"N": 8}, False), ("read_inhibit", {"R": 10, "W": 4, "V": 4}, False),
                               ("assembly", {"P": 16}, False), ("philosophers_fixed", {"N": 9}, False)]:
    CASES.append({"name": _name + " " + " ".join(f"{k}={v}" for k, v in _params.items()), "group": "example",
                  "source": f"models/examples/{_name}.cpn", "params": _params, "snakes": "oracle",
                  "quick": _quick})
CASES += [
    {"name": "philosophers N=10", "group": "example", "source": "models/examples/philosophers.cpn",
     "params": {"N": 10}, "snakes": "oracle"},
    {"name": "bonjourgrid", "group": "protocol", "source": "models/bonjourgrid.cpn", "params": {},
     "snakes": "ir", "quick": True},
    {"name": "bonjourgrid N=4", "group": "protocol", "source": "models/bonjourgrid.cpn", "params": {"N": 4},
     "snakes": "ir"},
    {"name": "pastrygrid DAG=2", "group": "protocol", "source": "models/pastrygrid.cpn", "params": {"DAG": 2},
     "snakes": "ir", "quick": True},
    {"name": "pastrygrid", "group": "protocol", "source": "models/pastrygrid.cpn", "params": {},
     "snakes": "ir"},
]
for _stem, _quick, _large in [
    ("Philosophers-PT-000005", True, False), ("Philosophers-COL-000005", True, False),
    ("TokenRing-PT-005", True, False), ("SharedMemory-PT-000005", True, False), ("Kanban-PT-0002", True, False),
    ("Philosophers-PT-000010", False, False), ("TokenRing-PT-010", False, False), ("Dekker-PT-010", False, False),
    ("Referendum-PT-0010", False, False),
    ("Dekker-PT-015", False, True), ("SharedMemory-PT-000010", False, True), ("Kanban-PT-0005", False, True),
]:
    CASES.append({"name": _stem, "group": "mcc", "source": f"bench/mcc/{_stem}.pnml", "params": {},
                  "snakes": "ir", "quick": _quick, "large": _large})
SPIN_SIZES = {"quick": [10], "full": [10, 12], "large": [10, 12, 14]}
# parallel exploration: (name, source or Philosophers-PT size, params), by mode
PARALLEL = {"quick": [("Philosophers-PT N=10", 10, {})],
            "full": [("Philosophers-PT N=12", 12, {}), ("Philosophers-PT N=13", 13, {}),
                     ("bonjourgrid N=4", "models/bonjourgrid.cpn", {"N": 4}),
                     ("pastrygrid", "models/pastrygrid.cpn", {})]}
PARALLEL["large"] = PARALLEL["full"] + [("Philosophers-PT N=15", 15, {})]


# ====================================================================== workers
def _rss_now() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux
        return 0


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _worker(spec: dict) -> dict:
    """Run one tool on one case in this process and return its figures."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    case = spec["case"]
    if spec["tool"] == "protoverify":
        from protoverify import load_model
        try:
            from protoverify.explore import explore
        except ImportError:  # the package's front door, before protoverify.explore exported it
            from protoverify import explore
        try:  # imported lazily by explore(): loading, not exploring
            import protoverify.explore.compiled  # noqa: F401
        except ImportError:
            pass
        net = load_model(ROOT / case["source"], case["params"])
        base = _rss_now()
        t0, c0 = time.perf_counter(), time.process_time()
        workers = case.get("workers", 1)
        space = explore(net, max_states=10**9, **({"workers": workers} if workers != 1 else {}))
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        out = {"states": space.states, "edges": space.edges, "dead": space.dead_markings}
        # what the explorer says about itself, where it says it (names vary across versions)
        own = getattr(space, "bytes_per_state", None)
        stats = getattr(space, "stats", None)
        if callable(own):
            own = own()
        if own is None and isinstance(stats, dict):
            own = stats.get("bytes_per_state")
        if own is not None:
            out["own_bytes_per_state"] = own
        which = getattr(space, "explorer", None) or (stats.get("backend") if isinstance(stats, dict) else None)
        if which is not None:
            out["explorer"] = str(which)
        core = getattr(space, "core_stats", None)
        if isinstance(core, dict):
            out["core"] = {k: v for k, v in core.items() if isinstance(v, (int, float))}
    else:
        import snakes_oracle as so
        if case["snakes"] == "oracle":
            stem = Path(case["source"]).stem
            pn = so.BUILDERS[stem](**case["params"])
        else:
            from protoverify import load_model
            pn = _to_snakes(load_model(ROOT / case["source"], case["params"]))
        base = _rss_now()
        t0, c0 = time.perf_counter(), time.process_time()
        states, edges, dead = so.state_space(pn)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        out = {"states": states, "edges": edges, "dead": dead}
    peak = _peak_rss()
    out.update(seconds=secs, cpu=cpu, peak_rss=peak, bytes_per_state=max(0, peak - base) / max(1, out["states"]))
    return out


class _Untranslatable(Exception):
    pass


def _to_snakes(net):
    """The IR ``net`` as a SNAKES PetriNet with the same markings, modes and firings.

    Tokens are the IR's own values (integers, tuples; ``unit`` is 0).  Arc
    patterns (variables, constants, tuples, literal multiplicities) become
    SNAKES annotations, so SNAKES finds the modes itself; a computed term on
    an input arc becomes a fresh variable plus an equality in the guard (the
    convention of tests/snakes_oracle.py); guards, output arcs and inhibitor
    values are closures over protoverify's compiled expressions, called by
    SNAKES through ``Expression``/``Flush`` strings that name them.
    """
    import snakes_oracle as so
    from snakes.nets import Flush, Tuple, Value, Variable

    from protoverify.net import ir
    from protoverify.net.evaluate import compile_expr, compile_ms

    b = so.NetBuilder(net.name)
    g = b.net.globals
    for p in net.places:
        tokens = []
        for v, n in p.initial:
            tokens += [v] * n
        b.place(p.name, tokens)
    for t in net.transitions:
        nv = len(t.variables)
        names = [f"v{i}" for i in range(nv)]
        fresh: list[tuple[str, object]] = []

        def pattern(e):
            if isinstance(e, ir.CheckE):
                e = e.operand
            if isinstance(e, ir.Var):
                return Variable(names[e.slot])
            if isinstance(e, ir.Const):
                return Value(e.value)
            if isinstance(e, ir.TupleE):
                return Tuple(tuple(pattern(i) for i in e.items))
            name = f"e{len(fresh)}"
            fresh.append((name, compile_expr(e)))
            return Variable(name)

        ins: dict[str, list] = {}
        reads: dict[str, list] = {}
        outs: dict[str, list] = {}
        inhibits: dict[str, list] = {}
        needs: dict[tuple[str, bool], list] = {}  # computed input multisets: checked by _NeedTransition
        for a in t.arcs:
            if a.kind in ("in", "read"):
                target = ins if a.kind == "in" else reads
                for term in a.inscription:
                    if not isinstance(term, ir.MsTerm) or (term.coef is not None
                                                           and not isinstance(term.coef, ir.Const)):
                        needs.setdefault((a.place.name, a.kind == "in"), []).append(compile_ms((term,)))
                        continue
                    k = 1 if term.coef is None else term.coef.value
                    target.setdefault(a.place.name, []).extend(pattern(term.value) for _ in range(k))
            elif a.kind == "out":
                outs.setdefault(a.place.name, []).append(compile_ms(a.inscription))
            else:
                inhibits.setdefault(a.place.name, []).append(compile_ms(a.inscription))
        # terms SNAKES has no pattern for (a computed multiplicity, `if`, `all`): the
        # whole content of the place is bound by a flush arc, the guard requires the
        # computed multiset in it, and an `in` arc puts back what it does not consume
        flushes: list[tuple[str, object]] = []
        give_back: dict[str, str] = {}
        from snakes.nets import MultiSet
        for (pname, consume), fns in needs.items():
            if pname in ins or pname in reads or pname in inhibits:
                raise _Untranslatable(f"a computed input multiset beside other arcs on place `{pname}` "
                                      f"in `{t.name}`")
            w = f"w{len(flushes)}"
            flushes.append((w, fns))
            (ins if consume else reads)[pname] = [Flush(w)]
            if consume:
                give_back[pname] = w
        args = names + [n for n, _ in fresh] + [w for w, _ in flushes]
        arglist = ", ".join(args)
        for k, (pname, w) in enumerate(give_back.items()):
            fns = needs[(pname, True)]

            def rest(*vals, fns=fns, slot=args.index(w), nv=nv):
                env = list(vals[:nv])
                taken = MultiSet()
                for f in fns:
                    for v, n in f(env):
                        taken.add([v] * n)
                return list(vals[slot] - taken)
            fname = f"_r{t.index}_{k}"
            g[fname] = rest
            outs.setdefault(pname, [])
            give_back[pname] = fname

        def closure(fns, nv=nv):
            def flow(*vals):
                env = list(vals[:nv])
                out = []
                for f in fns:
                    for v, n in f(env):
                        out += [v] * n
                return out
            return flow

        out_arcs = {}
        for k, (pname, fns) in enumerate(outs.items()):
            out_arcs[pname] = []
            if fns:
                fname = f"_o{t.index}_{k}"
                g[fname] = closure(fns)
                out_arcs[pname].append(Flush(f"{fname}({arglist})"))
            if pname in give_back:
                out_arcs[pname].append(Flush(f"{give_back[pname]}({arglist})"))
        inh = {}
        for k, (pname, fns) in enumerate(inhibits.items()):
            fname = f"_h{t.index}_{k}"
            g[fname] = closure(fns)
            inh[pname] = Flush(f"{fname}({arglist})")
        guard = None
        if t.guard or fresh or flushes:
            conds = [compile_expr(c) for c in t.guard]
            eqs = [(nv + i, f) for i, (_, f) in enumerate(fresh)]
            held = [(args.index(w), fns) for w, fns in flushes]

            def check(*vals, conds=conds, eqs=eqs, held=held, nv=nv):
                env = list(vals[:nv])
                for slot, f in eqs:
                    if vals[slot] != f(env):
                        return False
                if not all(c(env) for c in conds):
                    return False
                for slot, fns in held:
                    need = MultiSet()
                    for f in fns:
                        for v, n in f(env):
                            need.add([v] * n)
                    if not need <= vals[slot]:
                        return False
                return True
            fname = f"_g{t.index}"
            g[fname] = check
            guard = f"{fname}({arglist})"
        b.trans(t.name, ins=ins, reads=reads, outs=out_arcs, inhibits=inh, guard=guard)
    return b.net


def _run_worker(tool: str, case: dict, timeout: float) -> dict:
    spec = json.dumps({"tool": tool, "case": case})
    t0 = time.perf_counter()
    try:
        r = subprocess.run([sys.executable, "-m", "bench", "--worker", spec], cwd=ROOT, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "limit": timeout}
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
        if "_Untranslatable" in r.stderr:
            return {"status": "n/a", "reason": last.split(":", 1)[-1].strip()}
        return {"status": "error", "reason": last[:200]}
    got = json.loads(r.stdout.strip().splitlines()[-1])
    got["status"] = "ok"
    got["wall"] = time.perf_counter() - t0
    return got


# ====================================================================== Spin
def _promela(n: int) -> str:
    """Philosophers-PT-N in Promela, one atomic guarded option per net transition.

    Variable ``m[i]`` holds place i's tokens minus its initial tokens, so the
    all-zero initial state of the process is the initial marking and no
    initialisation step adds states: a Spin state is exactly a marking.
    """
    sys.path.insert(0, str(MCC))
    import generate
    net = generate.philosophers(n)
    index = {p: i for i, p in enumerate(net.places)}
    init = [net.places[p] for p in net.places]
    lines = [f"/* Philosophers-PT-{n}: generated by python -m bench from bench/mcc/generate.py;",
             "   m[i] = tokens of place i - its initial tokens */",
             f"short m[{len(index)}];", "", "active proctype net() {", "  do"]
    for tid, (pre, post) in net.transitions.items():
        guard = " && ".join(f"m[{index[p]}] >= {w - init[index[p]]}" for p, w in pre.items()) or "true"
        delta: dict[int, int] = {}
        for p, w in pre.items():
            delta[index[p]] = delta.get(index[p], 0) - w
        for p, w in post.items():
            delta[index[p]] = delta.get(index[p], 0) + w
        effect = " ".join(f"m[{i}] = m[{i}] {'+' if d > 0 else '-'} {abs(d)};" for i, d in delta.items() if d)
        lines.append(f"  :: atomic {{ {guard} -> {effect or 'skip;'} }}  /* {tid} */")
    lines += ["  od", "}"]
    return "\n".join(lines) + "\n"


def _spin(n: int, timeout: float) -> dict:
    spin, cc = shutil.which("spin"), shutil.which("gcc") or shutil.which("cc")
    if not spin or not cc:
        return {"status": "n/a", "reason": "spin or gcc not installed (apt-get install spin)"}
    with tempfile.TemporaryDirectory() as d:
        pml = Path(d) / "phil.pml"
        pml.write_text(_promela(n))
        r = subprocess.run([spin, "-a", "phil.pml"], cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            return {"status": "error", "reason": (r.stdout + r.stderr).strip()[-200:]}
        r = subprocess.run([cc, "-O2", "-DNOREDUCE", "-DSAFETY", "-DMEMLIM=16000", "-o", "pan", "pan.c"], cwd=d,
                           capture_output=True, text=True)
        if r.returncode != 0:
            return {"status": "error", "reason": r.stderr.strip()[-200:]}
        t0 = time.perf_counter()
        try:
            bits = max(18, (3 ** n).bit_length() + 1)  # a hash table sized for the 3^N states
            r = subprocess.run(["./pan", "-E", f"-m{3 ** n + 10}", f"-w{bits}"], cwd=d, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "limit": timeout}
        wall = time.perf_counter() - t0
        out = r.stdout
        states = re.search(r"([0-9]+) states, stored", out)
        trans = re.search(r"([0-9]+) transitions \(= stored\+matched\)", out)
        mem = re.search(r"([0-9.]+)\s+total actual memory usage", out)
        secs = re.search(r"pan: elapsed time ([0-9.e+-]+) seconds", out)
        if not states:
            return {"status": "error", "reason": out.strip()[-200:]}
        s = int(states.group(1))
        seconds = float(secs.group(1)) if secs else wall
        peak = float(mem.group(1)) * 1024 * 1024 if mem else None
        return {"status": "ok", "states": s, "transitions": int(trans.group(1)) if trans else None,
                "seconds": seconds, "wall": wall, "peak_rss": peak,
                "bytes_per_state": (peak / s) if peak else None}


# ====================================================================== the run
def _machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        pass
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for key in ("Model name", "CPU(s)", "Thread(s) per core", "CPU max MHz"):
            m = re.search(rf"^{re.escape(key)}:\s*(.+)$", lscpu, re.M)
            if m:
                info[key] = m.group(1).strip()
    except OSError:
        pass
    try:
        import snakes
        info["snakes"] = snakes.version
    except Exception:  # noqa: BLE001 - optional
        info["snakes"] = None
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "protoverify"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        info["protoverify_tree"] = head + (" with uncommitted changes in protoverify/" if dirty else "")
    except OSError:
        pass
    spin = shutil.which("spin")
    if spin:
        v = subprocess.run([spin, "-V"], capture_output=True, text=True).stdout.strip()
        info["spin"] = v
    return info


def _published(case: dict):
    if case["group"] != "mcc":
        return None
    sys.path.insert(0, str(MCC))
    import generate
    stem = Path(case["source"]).stem
    if stem in generate.PUBLISHED:
        return generate.PUBLISHED[stem][:2]
    if stem.startswith("Philosophers-COL-"):  # same counts as the P/T version
        return generate.PUBLISHED.get(stem.replace("COL", "PT"), (None, None))[:2]
    return None


def _fmt_int(v) -> str:
    return "—" if v is None else f"{int(v):,}"


def _fmt_rate(v) -> str:
    if v is None:
        return "—"
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{v / 1e3:.0f}k"
    return f"{v:,.0f}"


def _fmt_mem(v) -> str:
    return "—" if v is None else f"{v / 2**20:,.0f} MB"


def _fmt_bps(v) -> str:
    return "—" if v is None else f"{v:,.0f}"


def _status_text(r: dict) -> str:
    if r is None:
        return "—"
    if r["status"] == "timeout":
        return f"timeout {r['limit']:.0f}s"
    if r["status"] == "n/a":
        return "n/a"
    if r["status"] == "error":
        return "error"
    return ""


def run(args) -> dict:
    selected = []
    for c in CASES:
        if args.quick and not c.get("quick"):
            continue
        if c.get("large") and not args.large:
            continue
        if args.only and not any(w.lower() in c["name"].lower() for w in args.only):
            continue
        selected.append(c)
    rows = []
    for c in selected:
        print(f"· {c['name']} …", file=sys.stderr, flush=True)
        ours = _run_worker("protoverify", c, args.timeout)
        theirs = None if args.no_snakes else _run_worker("snakes", c, args.snakes_timeout)
        row = {"case": c["name"], "group": c["group"], "source": c["source"], "params": c["params"],
               "protoverify": ours, "snakes": theirs}
        pub = _published(c)
        problems = []
        if ours["status"] == "ok":
            ours["states_per_second"] = ours["states"] / ours["seconds"] if ours["seconds"] else None
            ours["cpu_states_per_second"] = ours["states"] / ours["cpu"] if ours.get("cpu") else None
            if pub is not None:
                row["published"] = {"states": pub[0], "arcs": pub[1]}
                if ours["states"] != pub[0] or (pub[1] is not None and ours["edges"] != pub[1]):
                    problems.append("protoverify differs from the published counts")
        if theirs is not None and theirs["status"] == "ok":
            theirs["states_per_second"] = theirs["states"] / theirs["seconds"] if theirs["seconds"] else None
            theirs["cpu_states_per_second"] = theirs["states"] / theirs["cpu"] if theirs.get("cpu") else None
            if ours["status"] == "ok":
                if (ours["states"], ours["edges"], ours["dead"]) != (theirs["states"], theirs["edges"],
                                                                      theirs["dead"]):
                    problems.append("protoverify and SNAKES counts differ")
                if ours.get("cpu") and theirs.get("cpu"):
                    row["speedup"] = theirs["cpu"] / ours["cpu"]
                if ours["seconds"] and theirs["seconds"]:
                    row["speedup_wall"] = theirs["seconds"] / ours["seconds"]
                    if ours.get("bytes_per_state") and theirs.get("bytes_per_state"):
                        row["memory_ratio"] = theirs["bytes_per_state"] / max(1.0, ours["bytes_per_state"])
        row["problems"] = problems
        rows.append(row)
        if problems:
            print(f"  ! {c['name']}: {'; '.join(problems)}", file=sys.stderr)
    spin_rows = []
    if not args.no_spin and not (args.only and not any("phil" in w.lower() or "spin" in w.lower()
                                                       for w in args.only)):
        sizes = SPIN_SIZES["large" if args.large else "quick" if args.quick else "full"]
        for n in sizes:
            print(f"· Spin, Philosophers-PT N={n} …", file=sys.stderr, flush=True)
            sp = _spin(n, args.timeout)
            row = {"case": f"Philosophers-PT N={n}", "spin": sp, "expected_states": 3 ** n}
            # protoverify on the same P/T net, same run
            tmp = Path(tempfile.mkdtemp()) / f"Philosophers-PT-{n:06d}.pnml"
            sys.path.insert(0, str(MCC))
            import generate
            tmp.write_text(generate.write_pt(generate.philosophers(n)))
            ours = _run_worker("protoverify", {"name": tmp.stem, "group": "spin", "source": str(tmp),
                                               "params": {}}, args.timeout)
            if ours["status"] == "ok":
                ours["states_per_second"] = ours["states"] / ours["seconds"] if ours["seconds"] else None
                ours["cpu_states_per_second"] = ours["states"] / ours["cpu"] if ours.get("cpu") else None
            row["protoverify"] = ours
            if sp["status"] == "ok":
                sp["states_per_second"] = sp["states"] / sp["seconds"] if sp["seconds"] else None
                if sp["states"] != 3 ** n:
                    row["problems"] = ["Spin's state count is not 3^N"]
                if ours["status"] == "ok" and sp["seconds"]:
                    row["ratio"] = (ours["states_per_second"] or 0) / (sp["states_per_second"] or 1)
            spin_rows.append(row)
            shutil.rmtree(tmp.parent, ignore_errors=True)
    par_rows = []
    if not args.no_parallel and not args.only:
        for name, src, params in PARALLEL["large" if args.large else "quick" if args.quick else "full"]:
            print(f"· parallel: {name} …", file=sys.stderr, flush=True)
            tmp = None
            if isinstance(src, int):
                tmp = Path(tempfile.mkdtemp()) / f"Philosophers-PT-{src:06d}.pnml"
                sys.path.insert(0, str(MCC))
                import generate
                tmp.write_text(generate.write_pt(generate.philosophers(src)))
                src = str(tmp)
            row = {"case": name, "runs": {}}
            for w in (1, 2):
                got = _run_worker("protoverify", {"name": name, "group": "parallel", "source": src,
                                                  "params": params, "workers": w}, args.timeout)
                row["runs"][str(w)] = got
            a, b = row["runs"]["1"], row["runs"]["2"]
            if a["status"] == "ok" and b["status"] == "ok":
                row["same"] = (a["states"], a["edges"], a["dead"]) == (b["states"], b["edges"], b["dead"])
                row["speedup_wall"] = a["seconds"] / b["seconds"] if b["seconds"] else None
            par_rows.append(row)
            if tmp is not None:
                shutil.rmtree(tmp.parent, ignore_errors=True)
    machine = _machine()
    try:
        machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        pass
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine, "mode": "quick" if args.quick else "large" if args.large else "full",
            "snakes_timeout": args.snakes_timeout, "rows": rows, "spin": spin_rows, "parallel": par_rows}


def render(result: dict, markdown: bool = False) -> str:
    head = ["net", "states", "edges", "pv CPU s", "pv wall s", "pv states/s (CPU)", "pv peak", "pv B/state",
            "SNAKES CPU s", "SNAKES states/s (CPU)", "SNAKES peak", "SNAKES B/state", "× speed (CPU)", "× B/state",
            "check"]
    lines = []
    table = []
    for r in result["rows"]:
        o, s = r["protoverify"], r["snakes"]
        ok_o = o["status"] == "ok"
        ok_s = s is not None and s["status"] == "ok"
        check = "; ".join(r["problems"]) if r["problems"] else (
            "= published" if "published" in r and ok_o else "= SNAKES" if ok_s and ok_o else "")
        if ok_s and ok_o and "published" in r and not r["problems"]:
            check = "= published, = SNAKES"
        table.append([
            r["case"],
            _fmt_int(o.get("states")) if ok_o else _status_text(o),
            _fmt_int(o.get("edges")) if ok_o else "",
            f"{o['cpu']:.3f}" if ok_o and "cpu" in o else "",
            f"{o['seconds']:.3f}" if ok_o else "",
            _fmt_rate(o.get("cpu_states_per_second")) if ok_o else "",
            _fmt_mem(o.get("peak_rss")) if ok_o else "",
            _fmt_bps(o.get("bytes_per_state")) if ok_o else "",
            f"{s['cpu']:.2f}" if ok_s and "cpu" in s else _status_text(s),
            _fmt_rate(s.get("cpu_states_per_second")) if ok_s else "",
            _fmt_mem(s.get("peak_rss")) if ok_s else "",
            _fmt_bps(s.get("bytes_per_state")) if ok_s else "",
            f"{r['speedup']:.1f}" if "speedup" in r else "",
            f"{r['memory_ratio']:.1f}" if "memory_ratio" in r else "",
            check,
        ])
    spin_head = ["net", "states", "Spin s", "Spin states/s", "Spin memory", "Spin B/state",
                 "pv wall s", "pv states/s (wall)", "pv states/s (CPU)", "pv/Spin states/s (wall)"]
    spin_table = []
    for r in result["spin"]:
        sp, o = r["spin"], r["protoverify"]
        ok_p, ok_o = sp["status"] == "ok", o["status"] == "ok"
        spin_table.append([
            r["case"], _fmt_int(sp.get("states")) if ok_p else _status_text(sp),
            f"{sp['seconds']:.2f}" if ok_p else "", _fmt_rate(sp.get("states_per_second")) if ok_p else "",
            _fmt_mem(sp.get("peak_rss")) if ok_p else "", _fmt_bps(sp.get("bytes_per_state")) if ok_p else "",
            f"{o['seconds']:.2f}" if ok_o else _status_text(o),
            _fmt_rate(o.get("states_per_second")) if ok_o else "",
            _fmt_rate(o.get("cpu_states_per_second")) if ok_o else "",
            f"{r['ratio']:.2f}" if "ratio" in r else "",
        ])
    par_head = ["net", "states", "1 thread: wall s", "CPU s", "2 threads: wall s", "CPU s", "wall speed-up",
                "expanding (CPU s, both threads)", "committing (CPU s)", "speed-up on 2 idle cores (estimate)",
                "same counts"]
    par_table = []
    for r in result.get("parallel", []):
        a, b = r["runs"]["1"], r["runs"]["2"]
        if a["status"] != "ok" or b["status"] != "ok":
            par_table.append([r["case"], _status_text(a if a["status"] != "ok" else b)] + [""] * 9)
            continue
        core = b.get("core", {})
        par_table.append([
            r["case"], _fmt_int(a["states"]), f"{a['seconds']:.2f}", f"{a['cpu']:.2f}", f"{b['seconds']:.2f}",
            f"{b['cpu']:.2f}", f"{r['speedup_wall']:.2f}" if r.get("speedup_wall") else "",
            f"{core['parallel_expand_cpu_seconds']:.2f}" if "parallel_expand_cpu_seconds" in core else "",
            f"{_commit_cpu(core):.2f}" if _commit_cpu(core) is not None else "",
            f"{_ideal(r):.2f}" if _ideal(r) else "",
            "yes" if r.get("same") else "NO"])
    if markdown:
        def md(head, rows):
            out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in
                                                                range(len(head))) + "|"]
            out += ["| " + " | ".join(x or " " for x in row) + " |" for row in rows]
            return out
        lines += md(head, table)
        if spin_table:
            lines += ["", "Spin (Philosophers P/T, one atomic option per transition, `-O2 -DNOREDUCE -DSAFETY`), "
                      "and protoverify on the same P/T net in the same run:", ""]
            lines += md(spin_head, spin_table)
        if par_table:
            lines += ["", "Parallel exploration (`workers=1` and `workers=2`, compiled explorer, one process each):", ""]
            lines += md(par_head, par_table)
        return "\n".join(lines) + "\n"

    def plain(head, rows):
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
        out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths)))]
        for row in rows:
            out.append("  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(row, widths))))
        return out
    lines += plain(head, table)
    if spin_table:
        lines += ["", "Spin reference (Philosophers P/T):"] + plain(spin_head, spin_table)
    if par_table:
        lines += ["", "Parallel exploration (1 and 2 threads):"] + plain(par_head, par_table)
    return "\n".join(lines) + "\n"


def _commit_cpu(core: dict):
    return core.get("parallel_commit_cpu_seconds", core.get("parallel_commit_seconds"))


def _ideal(r: dict):
    """1-thread CPU time over (expanding CPU / 2 + committing CPU): the speed-up two idle cores would give."""
    a, core = r["runs"]["1"], r["runs"]["2"].get("core", {})
    exp, com = core.get("parallel_expand_cpu_seconds"), _commit_cpu(core)
    if not a.get("cpu") or exp is None or com is None or exp / 2 + com <= 0:
        return None
    return a["cpu"] / (exp / 2 + com)


SMALL = 1_000  # below this many states, fixed costs (compiling the net, starting up) dominate the times


def summary(result: dict) -> list[str]:
    out = []
    both = [r for r in result["rows"] if "speedup" in r]
    big = [r for r in both if r["protoverify"]["states"] >= SMALL]
    if both:
        out.append(f"SNAKES finished on {len(both)} nets; {len(both) - len(big)} of them have fewer than "
                   f"{SMALL:,} states, where start-up costs dominate both tools' times and memory")
    if big:
        sp = sorted(r["speedup"] for r in big)
        out.append(f"protoverify/SNAKES states/s on the {len(big)} nets of {SMALL:,}+ states: min {sp[0]:.1f}×, "
                   f"median {sp[len(sp) // 2]:.1f}×, max {sp[-1]:.1f}× ("
                   + ", ".join(f"{r['case']} {r['speedup']:.0f}×" for r in big) + ")")
        small_col = [r for r in both if r["protoverify"]["states"] < SMALL and "-PT-" not in r["case"]]
        if small_col:
            out.append(f"coloured nets under {SMALL:,} states (protoverify needs at most "
                       f"{max(r['protoverify']['cpu'] for r in small_col) * 1e3:.0f} ms, start-up included): "
                       + ", ".join(f"{r['case']} {r['speedup']:.0f}×" for r in small_col))
        col = [r for r in big if "-PT-" not in r["case"]]
        if col:
            worst = min(col, key=lambda r: r["speedup"])
            out.append(f"coloured nets of {SMALL:,}+ states: min {worst['speedup']:.1f}× ({worst['case']}); "
                       f"goal >= 100× on every one: {'met' if worst['speedup'] >= 100 else 'NOT met'}")
        mem = [r["memory_ratio"] for r in big if "memory_ratio" in r]
        if mem:
            out.append(f"SNAKES/protoverify bytes per state on those nets: min {min(mem):.1f}×, max {max(mem):.1f}×")
    used: dict[str, int] = {}
    for r in result["rows"]:
        if r["protoverify"]["status"] == "ok":
            name = r["protoverify"].get("explorer", "not reported")
            used[name] = used.get(name, 0) + 1
    if used:
        out.append("protoverify explorer used: " + ", ".join(f"{k} on {v} nets" for k, v in sorted(used.items())))
    bad = [r["case"] for r in result["rows"] if r["problems"]]
    out.append("counts: " + ("all agree (published figures and SNAKES where it finished)" if not bad else
                             "MISMATCH in " + ", ".join(bad)))
    timeouts = [r["case"] for r in result["rows"] if r["snakes"] and r["snakes"]["status"] == "timeout"]
    if timeouts:
        out.append(f"SNAKES did not finish within {result['snakes_timeout']:.0f} s: " + ", ".join(timeouts))
    for r in result["spin"]:
        if "ratio" in r:
            o = r["protoverify"]
            out.append(f"{r['case']}: protoverify at {r['ratio']:.2f}× Spin's states/s (wall clock, same run); "
                       f"protoverify {(o.get('cpu_states_per_second') or 0):,.0f} states/s of CPU time "
                       f"(goal >= 1M on one core: {'met' if (o.get('cpu_states_per_second') or 0) >= 1e6 else 'NOT met'})")
    for r in result.get("parallel", []):
        if r.get("speedup_wall"):
            ideal = _ideal(r)
            out.append(f"parallel, {r['case']}: 2 threads {r['speedup_wall']:.2f}× the wall-clock speed of 1"
                       + (f" (estimate for 2 idle cores: {ideal:.2f}×)" if ideal else "")
                       + f"; counts {'equal' if r.get('same') else 'DIFFER'}")
    return out


def write_doc(result: dict, path: Path) -> None:
    m = result["machine"]
    cpu = m.get("Model name", "unknown CPU")
    text = [
        BEGIN,
        "",
        "Written by `python -m bench` (bench/__main__.py) between the two markers; do not edit it by hand, run",
        "the suite again.",
        "",
        f"- date: {result['date']}",
        f"- mode: `{result['mode']}`" + (" (`--quick`: small nets, short time-outs)" if result["mode"] == "quick"
                                         else ""),
        f"- machine: {cpu}, {m.get('CPU(s)', '?')} CPU(s) (lscpu), shared with other work; runs under `nice`",
        f"- Python {m['python']}, SNAKES {m.get('snakes')}, {m.get('spin') or 'Spin not installed'}",
        f"- protoverify: commit {m.get('protoverify_tree', '?')}",
        f"- SNAKES time-out per net: {result['snakes_timeout']:.0f} s",
        f"- load average (1, 5, 15 min) at the end of the run: {m.get('load_average_at_end', '?')} — other "
        "work shared the 2 cores, so wall-clock times are noisy; CPU times and ratios within one run are the",
        "meaningful figures",
        "",
        "Columns: *pv* is protoverify through `protoverify.explore.explore` (the compiled explorer unless said",
        "otherwise); seconds are the exploration's CPU time and wall clock, loading and imports excluded,",
        "unfolding and compiling the net included; *peak* is the process's peak resident memory;",
        "*B/state* is (peak RSS − RSS before exploring) / states; *× speed* is protoverify's",
        "states/s over SNAKES' (CPU time); *× B/state* is SNAKES' bytes per state over protoverify's.",
        "*check*: the counts equal the contest's published ones (MCC nets) and SNAKES' (states,",
        "edges and dead markings).",
        "",
        render(result, markdown=True),
        "Summary:",
        "",
    ]
    text += [f"- {line}" for line in summary(result)]
    text += ["", END]
    block = "\n".join(text)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        new = (old.rstrip("\n") + "\n\n" if old else "# Performance\n\n") + block + "\n"
    path.write_text(new, encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small nets only, 20 s SNAKES time-out")
    ap.add_argument("--large", action="store_true", help="add the 10^6-state nets")
    ap.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    ap.add_argument("--only", nargs="+", metavar="WORD", help="only nets whose name contains a WORD")
    ap.add_argument("--snakes-timeout", type=float, default=None, metavar="S",
                    help="kill a SNAKES run after S seconds (default 120, 20 with --quick)")
    ap.add_argument("--timeout", type=float, default=1800, metavar="S",
                    help="kill a protoverify or Spin run after S seconds (default 1800)")
    ap.add_argument("--no-snakes", action="store_true")
    ap.add_argument("--no-spin", action="store_true")
    ap.add_argument("--no-parallel", action="store_true", help="skip the 1-versus-2-threads runs")
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite the generated part of docs/performance.md")
    ap.add_argument("--from-json", metavar="FILE", help="print (and write the doc) from figures saved by --json")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(json.loads(args.worker))))
        return 0
    if args.snakes_timeout is None:
        args.snakes_timeout = 20.0 if args.quick else 120.0
    if args.from_json:
        result = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
    else:
        result = run(args)
    print(render(result), end="")
    print()
    for line in summary(result):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not args.no_doc and not args.only:
        write_doc(result, DOC)
        print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
