"""How fast commands start: `accountleader --help` and `show reps` against `python -c pass`.

    python -m benchmarks.startup [--runs 7] [--record]

Each command runs ``--runs`` times in a fresh process after one warm-up run (the OS file cache
warm, as for a person typing commands); the median wall time is reported, with the floor
(a bare interpreter start) beside it. Targets (issue 12): ``--help`` <= 0.3 s and ``show reps``
on the analysed demo <= 1.0 s wall. ``--record`` appends the table to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from .machine import describe

HERE = Path(__file__).resolve().parent
# the console script a person runs (the venv's bin/accountleader)
CLI = [str(Path(sys.executable).parent / "accountleader")]


def _timed(cmd: list[str], runs: int) -> list[float]:
    subprocess.run(cmd, check=True, capture_output=True)  # warm-up
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        out.append(time.perf_counter() - started)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--scale", type=float, default=1.0, help="demo company scale for `show reps`")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="al-startup-") as tmp:
        ws = str(Path(tmp) / "workspace")
        subprocess.run([*CLI, "-w", ws, "demo", "--scale", str(args.scale)], check=True, capture_output=True)
        subprocess.run([*CLI, "-w", ws, "analyze"], check=True, capture_output=True)
        rows = [
            ("floor: python -c pass", _timed([sys.executable, "-c", "pass"], args.runs), None),
            ("accountleader --help", _timed([*CLI, "--help"], args.runs), 0.3),
            ("accountleader show reps (demo)", _timed([*CLI, "-w", ws, "show", "reps"], args.runs), 1.0),
        ]
    floor = statistics.median(rows[0][1])
    lines = ["| command | median wall | over the floor | runs | target | |", "|---|---|---|---|---|---|"]
    ok = True
    for name, times, target in rows:
        med = statistics.median(times)
        met = target is None or med <= target
        ok &= met
        lines.append(f"| {name} | {med:.3f} s | {med - floor:+.3f} s | {', '.join(f'{t:.2f}' for t in times)} | "
                     f"{'' if target is None else f'<= {target} s'} | {'' if target is None else ('met' if met else '**missed**')} |")
    text = "\n".join(lines)
    print(text)
    if args.record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with (HERE / "results.md").open("a", encoding="utf-8") as fh:
            fh.write(f"\n### startup ({stamp})\n\n- Machine: {describe()}\n- Demo scale {args.scale}; "
                     f"median of {args.runs} runs each after one warm-up (`python -m benchmarks.startup`)\n\n{text}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
