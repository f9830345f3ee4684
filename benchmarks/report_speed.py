"""How fast is the team report for the full-size demo company (scale 1)? Target: 5 s.

Run on demand (the speed target lives here, not in a timed test)::

    .venv/bin/python -m benchmarks.report_speed --runs 5

Builds and analyses the demo company once, renders one Markdown report to open the result
connections (as a second report would find them), then times HTML and PDF reports
``--runs`` times each and prints the medians against the target.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.machine import describe

TARGET_S = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()

    from accountleader.reports import build_report
    from accountleader.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.open(Path(tmp) / "ws")
        ws.load_demo(seed=7, scale=args.scale)
        ws.analyze()
        build_report(ws, out=Path(tmp) / "warm.md", fmt="md")
        timings: dict[str, list[float]] = {"html": [], "pdf": []}
        for _ in range(args.runs):
            for fmt in timings:
                started = time.perf_counter()
                build_report(ws, out=Path(tmp) / f"team.{fmt}", fmt=fmt)
                timings[fmt].append(time.perf_counter() - started)
        ws.close()
    print(describe())
    for fmt, values in timings.items():
        median = statistics.median(values)
        verdict = "ok" if median <= TARGET_S else "OVER TARGET"
        print(f"team report {fmt} at scale {args.scale:g}: median {median:.2f} s of {args.runs} runs "
              f"(min {min(values):.2f}, max {max(values):.2f}); target {TARGET_S:g} s: {verdict}")


if __name__ == "__main__":
    main()
