"""Regenerate the committed BonjourGrid traces (traces/bonjourgrid/*.jsonl) with the simulator.

    python traces/regenerate.py            # rewrite them all
    python traces/regenerate.py --check    # exit 1 if a committed trace differs from a fresh run

Each trace is one `protoverify simulate bonjourgrid ...` run, small enough for the model's
parameters (the header's `params` carry N, APPS, W, K, CRASH); the table below is the list, and
the file name says what it covers.  Same command, same bytes (the simulator is deterministic).
The PastryGrid traces are made by their own harness (see docs/conformance.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "traces" / "bonjourgrid"

# name: (nodes, apps, tasks per app, faults, seed)
SCENARIOS = {
    "n3_a1_clean_s1": (3, 1, 1, "", 1),
    "n3_a1_clean_s2": (3, 1, 1, "", 2),
    "n4_a2_clean_s1": (4, 2, 1, "", 1),
    "n5_a1_w2_clean_s1": (5, 1, 2, "", 1),
    "n5_a2_delay_s3": (5, 2, 1, "delay:0.001-0.5", 3),
    "n4_a2_loss_s2": (4, 2, 1, "loss:0.1", 2),
    "n4_a2_coordcrash_s1": (4, 2, 1, "crash:1:on:coordinator", 1),
    "n4_a2_coordcrash_reboot_s3": (4, 2, 1, "crash:1:on:coordinator:for:300", 3),
    "n4_a1_coordcrash_reboot_s4": (4, 1, 1, "crash:0.5:on:coordinator:for:100", 4),
    "n4_a2_anycrash_reboot_s1": (4, 2, 1, "crash:0.3:for:100", 1),
    "n4_a2_anycrash_reboot_s2": (4, 2, 1, "crash:0.3:for:100", 2),
    "n4_a1_anycrash_s1": (4, 1, 1, "crash:0.5", 1),
    "n4_a2_coordcrash_delay_s2": (4, 2, 1, "crash:1:on:coordinator; delay:0.001-0.2", 2),
}


def command(nodes: int, apps: int, tasks: int, faults: str, seed: int, out: str) -> list[str]:
    cmd = [sys.executable, "-m", "protoverify", "simulate", "bonjourgrid", "--nodes", str(nodes),
           "--apps", str(apps), "--tasks", str(tasks), "--seed", str(seed), "-o", out]
    return cmd + (["--faults", faults] if faults else [])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    differ = []
    for name, (nodes, apps, tasks, faults, seed) in SCENARIOS.items():
        target = OUT / f"{name}.jsonl"
        fresh = target.with_suffix(".fresh") if args.check else target
        subprocess.run(command(nodes, apps, tasks, faults, seed, str(fresh)), check=True, cwd=ROOT,
                       capture_output=True, text=True)
        if args.check:
            if not target.exists() or target.read_bytes() != fresh.read_bytes():
                differ.append(name)
            fresh.unlink()
    if differ:
        print("differ from a fresh run: " + ", ".join(differ))
        return 1
    print(f"{len(SCENARIOS)} traces {'checked' if args.check else 'written'} in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
