"""How fast commands start: `accountleader --help` and `show reps` against `python -c pass`.

    python -m benchmarks.startup [--runs 7] [--workspace DIR] [--record]

Each command runs ``--runs`` times in a fresh process after one warm-up run (the OS file cache
warm, as for a person typing commands); the median wall time is reported, with the floor
(a bare interpreter start) beside it, and the median CPU seconds (user + sys of the child),
which a busy machine inflates far less than wall time. Targets (issue 12): ``--help`` <= 0.3 s
and ``show reps`` on the analysed demo <= 1.0 s wall over the floor. Without ``--workspace`` the
demo is built and analysed in a temporary directory first. ``--record`` appends the table to
benchmarks/results.md (a ``## Startup`` section at the end of the file).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from .machine import describe

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
HEADING = "## Startup"
# the console script a person runs (the venv's bin/accountleader)
CLI = [str(Path(sys.executable).parent / "accountleader")]
TARGETS = {"help": 0.3, "show": 1.0}  # seconds of wall time over the floor


def _once(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``cmd`` in a fresh process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], runs: int) -> list[tuple[float, float]]:
    _once(cmd)  # warm-up
    return [_once(cmd) for _ in range(runs)]


def measure(workspace: str, runs: int) -> list[tuple[str, str | None, list[tuple[float, float]]]]:
    return [
        ("floor: python -c pass", None, _timed([sys.executable, "-c", "pass"], runs)),
        ("accountleader --help", "help", _timed([*CLI, "--help"], runs)),
        ("accountleader show reps (demo)", "show", _timed([*CLI, "-w", workspace, "show", "reps"], runs)),
    ]


def report(rows: list[tuple[str, str | None, list[tuple[float, float]]]]) -> tuple[str, bool]:
    floor = statistics.median(w for w, _ in rows[0][2])
    floor_cpu = statistics.median(c for _, c in rows[0][2])
    lines = [
        "| command | median wall | over the floor | median CPU s | CPU over the floor | runs (wall s) | target (over the floor) | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    for name, key, times in rows:
        wall = statistics.median(w for w, _ in times)
        cpu = statistics.median(c for _, c in times)
        target = TARGETS.get(key) if key else None
        met = target is None or wall - floor <= target
        ok &= met
        lines.append(
            f"| {name} | {wall:.3f} s | {wall - floor:+.3f} s | {cpu:.3f} | {cpu - floor_cpu:+.3f} | "
            f"{', '.join(f'{w:.2f}' for w, _ in times)} | {'' if target is None else f'<= {target} s'} | "
            f"{'' if target is None else ('met' if met else '**missed**')} |"
        )
    return "\n".join(lines), ok


def record(text: str, *, runs: int, scale: float, machine: str, load_end: float) -> None:
    """Append one dated entry at the end of results.md (under ``## Startup``, added once)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    head = "" if HEADING in existing else (
        f"\n{HEADING}\n\nRun with `.venv/bin/python -m benchmarks.startup --record`; targets (issue 12): "
        "`--help` <= 0.3 s and `show reps` <= 1.0 s wall over the floor (`python -c pass`).\n"
    )
    entry = (
        f"\n### startup ({stamp})\n\n- Machine: {machine}; load average at the end {load_end:.1f}\n"
        f"- Demo scale {scale}; median of {runs} runs each after one warm-up, each in a fresh process\n\n{text}\n"
    )
    with RESULTS.open("a", encoding="utf-8") as fh:  # append only: other benchmarks write this file too
        fh.write(head + entry)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--scale", type=float, default=1.0, help="demo company scale for `show reps`")
    ap.add_argument("--workspace", type=Path, help="an analysed demo workspace to use (default: build one)")
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args(argv)
    machine = describe()
    if args.workspace:
        rows = measure(str(args.workspace), args.runs)
    else:
        with tempfile.TemporaryDirectory(prefix="al-startup-") as tmp:
            ws = str(Path(tmp) / "workspace")
            subprocess.run([*CLI, "-w", ws, "demo", "--scale", str(args.scale)], check=True, capture_output=True)
            subprocess.run([*CLI, "-w", ws, "analyze"], check=True, capture_output=True)
            rows = measure(ws, args.runs)
    text, ok = report(rows)
    print(f"Machine: {machine}")
    print(text)
    if args.record:
        record(text, runs=args.runs, scale=args.scale, machine=machine, load_end=os.getloadavg()[0])
        print(f"appended to {RESULTS}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
