"""The scenario forecast's Monte Carlo: 10,000 simulations over 10,000 open deals (issue 13, part 5).

    python -m benchmarks.forecast [--deals 10000] [--simulations 10000] [--runs 3] [--record]

Each run is a fresh process that builds synthetic open deals (200 sellers in 20 teams, 8
stages with 400 slip samples each, 3-month horizon; building them is not timed) and times
``domain.forecast.simulate`` for the base case alone, then with the five scenario kinds at
once. The median of ``--runs`` is reported against the target (base case <= 2 s), with the
1-minute load average beside each run. ``--record`` appends the table to
benchmarks/results.md (a ``## Forecast`` section).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from .machine import describe

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
HEADING = "## Forecast"
TARGET_SECONDS = 2.0

def synthetic(deals: int, seed: int = 1):  # type: ignore[no-untyped-def]
    """Open deals and slip samples shaped like a large B2B pipeline."""
    from datetime import date

    import numpy as np

    from accountleader.domain.forecast import OpenDeals, SlipModel

    rng = np.random.default_rng(seed)
    stages = np.array([f"Stage {i}" for i in range(8)], dtype=object)
    stage = stages[rng.integers(0, 8, deals)]
    sellers = np.array([f"005{i:05d}" for i in range(200)], dtype=object)
    owner = sellers[rng.integers(0, 200, deals)]
    team = np.array([f"Team {int(o[3:]) % 20}" for o in owner.tolist()], dtype=object)
    industries = np.array(["Retail", "Finance", "Health", "Energy", "Tech", "Public"], dtype=object)
    ids = np.array([f"006{i:07d}" for i in range(deals)], dtype=object)
    accounts = np.array([f"001{i:05d}" for i in rng.integers(0, 3000, deals)], dtype=object)
    open_deals = OpenDeals(
        opportunity_id=ids, name=ids, account_id=accounts, account_name=accounts, owner_id=owner,
        owner_name=owner, team=team, industry=industries[rng.integers(0, 6, deals)],
        product=np.array(["Core"] * deals, dtype=object), stage=stage,
        amount=rng.lognormal(10, 1, deals), close_day=rng.integers(-20, 200, deals).astype(np.int32),
        probability=rng.uniform(0.05, 0.9, deals).astype(np.float32),
        basis=np.array(["stage_history"] * deals, dtype=object),
    )
    slip_stages = [s for s in stages.tolist() for _ in range(400)]
    slip_days = rng.gamma(1.5, 25, len(slip_stages)) - 10
    return open_deals, SlipModel.from_samples(slip_stages, slip_days.tolist()), date(2026, 9, 29)


def one_run(deals: int, simulations: int) -> dict[str, float]:
    """Time simulate() in this process: base case, then all five scenario kinds."""
    import time

    from accountleader.domain.forecast import simulate
    from accountleader.domain.scenarios import scenario

    open_deals, slip, as_of = synthetic(deals)
    kinds = [
        {"kind": "champion_leaves", "account": open_deals.account_id[0]},
        {"kind": "budget_freeze", "industry": "Retail", "months": 2},
        {"kind": "seller_leaves", "seller": open_deals.owner_id[0]},
        {"kind": "competitor_enters", "industry": "Finance", "factor": 0.7},
        {"kind": "general_slip", "days": 30},
    ]
    scenarios = [scenario({"name": k["kind"], "owner": "bench", **k}) for k in kinds]
    simulate(open_deals, slip, as_of=as_of, simulations=200, seed=1)  # warm NumPy's code paths
    started, cpu = time.perf_counter(), time.process_time()
    simulate(open_deals, slip, as_of=as_of, simulations=simulations, seed=1)
    base, base_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    simulate(open_deals, slip, as_of=as_of, simulations=simulations, seed=1, scenarios=scenarios)
    with_all = time.perf_counter() - started
    rss = int(next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")).split()[1]) / 1024
    return {"base": base, "base_cpu": base_cpu, "with_scenarios": with_all, "peak_rss_mib": rss,
            "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--simulations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.deals, args.simulations)))
        return
    runs = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, "-m", "benchmarks.forecast", "--child", "--deals", str(args.deals),
                              "--simulations", str(args.simulations)], capture_output=True, text=True, check=True,
                             cwd=HERE.parent)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(runs[-1], file=sys.stderr)
    base = statistics.median(r["base"] for r in runs)
    base_cpu = statistics.median(r["base_cpu"] for r in runs)
    with_all = statistics.median(r["with_scenarios"] for r in runs)
    rss = max(r["peak_rss_mib"] for r in runs)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join([
        f"### forecast Monte Carlo, {args.simulations:,} simulations x {args.deals:,} open deals ({now})",
        "",
        f"- Machine: {describe()}",
        "- Data: synthetic open deals (200 sellers in 20 teams, 8 stages with 400 slip samples each, 3-month "
        "horizon), built before timing (`python -m benchmarks.forecast`)",
        f"- Median of {len(runs)} runs, each in a fresh process: base {[round(r['base'], 2) for r in runs]} s "
        f"(CPU {[round(r['base_cpu'], 2) for r in runs]} s), base + 5 scenarios "
        f"{[round(r['with_scenarios'], 2) for r in runs]} s; "
        f"1-minute load average after each run: {[round(r['load'], 1) for r in runs]}",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        f"| base case (company, 20 teams, 200 sellers; P10/P50/P90 per month and quarter) | {base:.2f} s | "
        f"<= {TARGET_SECONDS:g} s | {'met' if base <= TARGET_SECONDS else '**missed**'} |",
        f"| base case, CPU seconds (user + sys of the process) | {base_cpu:.2f} s | | |",
        f"| base + one scenario of each of the 5 kinds (same draws) | {with_all:.2f} s | | |",
        f"| peak RSS | {rss:,.0f} MiB | | |",
        "",
    ])
    print(text)
    if args.record:
        body = RESULTS.read_text(encoding="utf-8")
        if HEADING not in body:
            body = body.rstrip("\n") + f"\n\n{HEADING}\n"
        RESULTS.write_text(body.rstrip("\n") + "\n\n" + text, encoding="utf-8")


if __name__ == "__main__":
    main()
