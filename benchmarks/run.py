"""How fast does ``analyze`` run, against the floor of reading its inputs once?

    .venv/bin/python -m benchmarks.run --scale M                  # DuckDB
    .venv/bin/python -m benchmarks.run --scale M --engine pyspark # PySpark local[2]
    .venv/bin/python -m benchmarks.run --scale L --runs 1 --record

Generates the workspace if it is not there yet (``benchmarks.generate``; the "import" is
DuckDB loading the generated Parquet into the workspace file), then measures, each in a
fresh subprocess so that peak RSS is per measurement:

* **analyze**: ``Workspace.analyze()`` from scratch (results removed first): every metric,
  the fit and title steps, and writing the result tables;
* **incremental**: ``Workspace.analyze()`` again with nothing changed (reuses the results);
* **floor**: one query that reads every input column analyze needs (``FLOOR_COLUMNS``)
  exactly once, hashing every value so no engine can answer from statistics.

Reports medians of ``--runs``, the ratio analyze / floor, and checks the targets.
``--record`` appends the figures to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.machine import describe, peak_rss_mib

RESULTS = Path(__file__).with_name("results.md")
#: issue 12: DuckDB M <= 2 s, L <= 18 s with peak RSS <= 3 GiB; analyze/floor <= 5x
TARGETS = {"M": 2.0, "L": 18.0}
TARGET_RSS_MIB = 3072
#: Spark local[2] at M (issue 12)
SPARK_TARGETS = {"M": 30.0}
TARGET_RATIO = 5.0
TARGET_INCREMENTAL_S = 1.0

#: Every input column ``run_analysis`` reads, per canonical table.  A test
#: (tests/engine/test_floor_columns.py) runs the whole analysis on tables cut down to
#: exactly these columns, so the list cannot silently fall short of what analyze reads.
FLOOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("user_id", "name", "manager_id", "function", "team", "title", "department"),
    "accounts": ("account_id", "name", "owner_id", "industry", "employees", "annual_revenue", "region", "country", "created_at"),
    "contacts": ("contact_id", "account_id", "name", "title", "decision_level", "departed_at", "created_at"),
    "opportunities": (
        "opportunity_id", "account_id", "owner_id", "name", "type", "stage", "amount", "amount_corporate",
        "created_at", "close_date", "is_closed", "is_won", "quote_requested_at", "quality_flag", "probability", "product",
        "lead_source", "attributes",
    ),
    "opportunity_history": (
        "history_id", "opportunity_id", "stage", "amount", "probability", "close_date", "changed_at", "changed_by_id",
    ),
    "opportunity_field_history": ("opportunity_id", "field", "old_value", "new_value", "changed_at", "changed_by_id"),
    "opportunity_contact_roles": ("opportunity_id", "contact_id", "role", "is_primary"),
    "activities": (
        "activity_id", "kind", "direction", "owner_id", "contact_id", "what_id", "opportunity_id", "account_id", "occurred_at",
        "created_at", "subject", "subtype", "is_done", "source_object", "created_by_id", "description",
    ),
    "quotes": ("quote_id", "opportunity_id", "account_id", "requested_at", "created_at", "sent_at"),
    "cases": ("case_id", "created_at"),
    "stages": ("stage", "sort_order", "probability", "is_closed", "is_won"),
    "currency_rates": (),
}


def floor_sql(table_name: dict[str, str] | None = None, present: dict[str, set[str]] | None = None) -> str:
    """One query reading each needed column of each table once (hashing every value).

    ``present``: the columns each table has, where a workspace imported before a table or column
    existed lacks some (the analysis reads those as empty: engine.connect.LATER_TABLES)."""
    parts = []
    for t, cols in FLOOR_COLUMNS.items():
        if present is not None:
            cols = [c for c in cols if c in present.get(t, set())]
        if not cols:
            continue
        name = (table_name or {}).get(t, t)
        # count(*) too, so an empty table (no OpportunityStage.csv in the export) still answers
        parts.append(f"(SELECT coalesce(sum(hash({', '.join(cols)}) % 1000), 0) + count(*) FROM {name}) AS {t}")
    return "SELECT " + ", ".join(parts)


# -- the measurements, each run in a child process ------------------------------------------------


def _child(mode: str, workspace: Path, engine: str) -> dict:
    from accountleader.workspace import Workspace

    if mode == "floor":
        started = time.perf_counter()
        if engine == "duckdb":
            import duckdb

            con = duckdb.connect(str(workspace / "crm.duckdb"), read_only=True)
            present: dict[str, set[str]] = {}
            for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall():
                present.setdefault(table, set()).add(column)
            con.execute(floor_sql(present=present)).fetchall()
        else:
            from accountleader.config import EngineSettings
            from accountleader.engine.spark import spark_session, spark_tables

            spark_tables(EngineSettings(kind="pyspark"), workspace / "crm.duckdb")  # export + views
            session = spark_session("local[2]")
            views = {n: f"al_{next(p.name for p in (workspace / '.spark-cache').iterdir() if not p.name.startswith('.')).replace('-', '_')}_{n}" for n in FLOOR_COLUMNS}
            started = time.perf_counter()
            session.sql(floor_sql(views)).collect()
        return {"seconds": time.perf_counter() - started, "rss_mib": peak_rss_mib()}

    ws = Workspace.open(workspace)
    if engine == "pyspark":
        from accountleader.config import EngineSettings

        ws.settings.engine = EngineSettings(kind="pyspark", master="local[2]")
        if mode == "analyze":
            ws.engine_tables()  # start the JVM and export Parquet before the clock starts
    if mode == "analyze":
        (workspace / "results.duckdb").unlink(missing_ok=True)
    started = time.perf_counter()
    # analyze recomputes (results are also kept per as-of date, so removing results.duckdb
    # alone no longer forces it); incremental asks as a user would and must reuse them
    summary = ws.analyze(force=mode == "analyze")
    seconds = time.perf_counter() - started
    if mode == "analyze" and summary.reused:
        raise SystemExit("analyze reused stored results: the measurement would be of nothing")
    return {"seconds": seconds, "reused": summary.reused, "rss_mib": peak_rss_mib(), "tables": summary.tables,
            "cpu_s": _cpu_seconds()}


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (every thread; start-up included): on a
    shared machine a steadier measure than wall time."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _measure(mode: str, workspace: Path, engine: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--child", mode, "--workspace", str(workspace), "--engine", engine],
        capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parents[1],
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} on {engine} failed:\n{out.stderr[-4000:]}")
    # the 1-minute load average as the measurement ends: on a shared machine it says how
    # much of the time was waiting for a core
    return json.loads(out.stdout.strip().splitlines()[-1]) | {"load": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description="analyze benchmark")
    ap.add_argument("--scale", choices=["S", "M", "L"], default="M")
    ap.add_argument("--engine", choices=["duckdb", "pyspark"], default="duckdb")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=Path(os.environ.get("ACCOUNTLEADER_BENCH_DIR", "/tmp/accountleader-bench")))
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--child", choices=["analyze", "incremental", "floor"])
    ap.add_argument("--workspace", type=Path)
    args = ap.parse_args()

    if args.child:
        print(json.dumps(_child(args.child, args.workspace, args.engine)))
        return

    from .generate import SCALES, generate

    out = args.dir / args.scale
    workspace = out / "workspace"
    gen = None
    if args.regenerate or not (workspace / "crm.duckdb").exists():
        gen = generate(args.scale, out)
        print(f"generated {gen['rows']:,} rows: build {gen['build_s']:.1f} s, parquet {gen['parquet_s']:.1f} s, import {gen['import_s']:.1f} s")
    machine = describe()
    runs = {"analyze": [], "incremental": [], "floor": []}
    for i in range(args.runs):
        for mode in ("floor", "analyze", "incremental"):
            r = _measure(mode, workspace, args.engine)
            runs[mode].append(r)
            cpu = f", CPU {r['cpu_s']:.1f} s" if "cpu_s" in r else ""
            print(f"run {i + 1} {mode}: {r['seconds']:.2f} s{cpu}, peak RSS {r['rss_mib']:.0f} MiB, load {r['load']:.1f}",
                  flush=True)
    med = {m: statistics.median(r["seconds"] for r in rs) for m, rs in runs.items()}
    rss = max(r["rss_mib"] for r in runs["analyze"])
    ratio = med["analyze"] / med["floor"]
    assert all(r["reused"] for r in runs["incremental"]), "the second analyze did not reuse results"
    s = SCALES[args.scale]
    target = (SPARK_TARGETS if args.engine == "pyspark" else TARGETS).get(args.scale)
    checks = [
        ("analyze", f"{med['analyze']:.2f} s", f"<= {target:.0f} s" if target else "-", target is None or med["analyze"] <= target),
        ("analyze / floor", f"{ratio:.1f}x", f"<= {TARGET_RATIO:.0f}x", ratio <= TARGET_RATIO),
        ("peak RSS (analyze)", f"{rss:,.0f} MiB", f"<= {TARGET_RSS_MIB:,} MiB", rss <= TARGET_RSS_MIB),
        ("incremental (no change)", f"{med['incremental']:.2f} s", f"<= {TARGET_INCREMENTAL_S:.0f} s", med["incremental"] <= TARGET_INCREMENTAL_S),
    ]
    for name, value, tgt, ok in checks:
        print(f"{name:26} {value:>12}   target {tgt:12} {'met' if ok else 'MISSED'}")
    if args.record:
        _record(args, s, gen, machine, runs, med, rss, ratio, checks)


def _memory_limit(args) -> str:  # type: ignore[no-untyped-def]
    from accountleader.workspace import Workspace

    with Workspace.open(args.dir / args.scale / "workspace") as ws:
        return ws.settings.engine.duckdb_memory_limit


def _record(args, s, gen, machine, runs, med, rss, ratio, checks) -> None:  # type: ignore[no-untyped-def]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "",
        f"### analyze, scale {args.scale}, {args.engine}{' local[2]' if args.engine == 'pyspark' else ''} ({when})",
        "",
        f"- Machine: {machine}",
        f"- Data: {s.opportunities:,} opportunities, {s.activities:,} activities, {s.accounts:,} accounts, "
        f"{s.accounts * s.contacts_per_account:,} contacts, {s.opportunities * s.history_per_opportunity:,} history rows, "
        f"{int(s.opportunities * s.quotes_per_opportunity):,} quotes (`python -m benchmarks.generate --scale {args.scale}`)",
    ]
    if gen:
        lines.append(
            f"- Generate + import: build {gen['build_s']:.1f} s, Parquet {gen['parquet_s']:.1f} s, "
            f"import into the workspace (DuckDB from Parquet) **{gen['import_s']:.1f} s**"
        )
    lines += [
        f"- Median of {args.runs} run(s), each measurement in a fresh process "
        f"(analyze {[round(r['seconds'], 2) for r in runs['analyze']]} s, floor {[round(r['seconds'], 2) for r in runs['floor']]} s, "
        f"incremental {[round(r['seconds'], 2) for r in runs['incremental']]} s); 1-minute load average as each "
        f"analyze ended: {[round(r['load'], 1) for r in runs['analyze']]}; analyze CPU (user + system, whole process) "
        f"{[round(r['cpu_s'], 1) for r in runs['analyze']]} s; DuckDB memory limit {_memory_limit(args)}",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        f"| floor (one query, every needed input column once) | {med['floor']:.2f} s | | |",
        *[f"| {n} | {v} | {t} | {'met' if ok else '**missed**'} |" for n, v, t, ok in checks],
        "",
    ]
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines))


if __name__ == "__main__":
    main()
