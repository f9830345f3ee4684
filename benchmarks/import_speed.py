"""How fast does a Salesforce export import, against DuckDB reading the same CSVs raw?

Run on demand::

    .venv/bin/python -m benchmarks.import_speed --rows 1000000

It writes a synthetic export (``--rows`` Task/Event/EmailMessage activity rows plus
proportional users, accounts, contacts, opportunities and history), then, each in a
fresh subprocess so peak memory is measured per run:

* **import**: ``Workspace.import_salesforce`` into a new workspace (read, validate,
  normalise, write the DuckDB file atomically);
* **floor**: DuckDB loading the same CSVs with no validation at all
  (``CREATE TABLE ... AS SELECT * FROM read_csv(..., all_varchar=true)`` into a new file).

It reports the median of ``--runs`` runs, rows/s, the ratio to the floor, peak RSS and CPU
seconds (steadier than wall time on a shared machine), with the load average of each run;
checks the targets of issue 12 (>= 400k rows/s, peak RSS <= 1.5x the floor's), and with
``--record`` appends the numbers to ``benchmarks/results.md``. ``--keep DIR`` writes the export
there, and reuses one already written by the same ``--rows``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from benchmarks.machine import VMHWM_KIB, describe

TARGET_ROWS_PER_S = 400_000
TARGET_FLOOR_RATIO = 3.0  # wall time against the floor's (issue 10)
TARGET_PEAK_RATIO = 1.5  # peak RSS against the floor's (issue 12)
RESULTS = Path(__file__).with_name("results.md")

# --------------------------------------------------------------------------------------------
# the synthetic export


def _ids(prefix: str, n: int, start: int = 0) -> pa.Array:
    """18-character Salesforce-style ids: prefix + 12 digits + the case checksum (AAA for digits)."""
    nums = pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string())
    padded = pc.utf8_lpad(nums, width=12, padding="0")
    return pc.binary_join_element_wise(pa.array([prefix] * n, pa.string()), padded, pa.array(["AAA"] * n, pa.string()), "")


def _pick(rng: np.random.Generator, ids: pa.Array, n: int) -> pa.Array:
    return ids.take(pa.array(rng.integers(0, len(ids), n)))


def _stamps(rng: np.random.Generator, n: int, fmt: str = "%Y-%m-%dT%H:%M:%S.000Z") -> pa.Array:
    start = np.datetime64("2022-01-01T00:00:00", "s").astype(np.int64)
    secs = start + rng.integers(0, 3 * 365 * 86400, n)
    return pc.strftime(pa.array(secs.astype("datetime64[s]")), format=fmt)


def _choice(rng: np.random.Generator, values: list[str], n: int) -> pa.Array:
    return pa.array(values).take(pa.array(rng.integers(0, len(values), n)))


def _write(path: Path, columns: dict[str, pa.Array]) -> int:
    table = pa.table(columns)
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return table.num_rows


def write_export(out: Path, rows: int, *, seed: int = 1) -> dict[str, int]:
    """Write a Salesforce export with ``rows`` activity rows; returns rows per file."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_users = max(20, rows // 20_000)
    n_accounts = max(50, rows // 100)
    n_contacts = max(100, rows // 20)
    n_opps = max(50, rows // 50)
    n_history = n_opps * 4
    n_task, n_event = rows // 2, rows // 5
    n_email = rows - n_task - n_event
    users, accounts, contacts, opps = _ids("005", n_users), _ids("001", n_accounts), _ids("003", n_contacts), _ids("006", n_opps)
    written: dict[str, int] = {}
    written["User.csv"] = _write(out / "User.csv", {
        "Id": users,
        "Name": pc.binary_join_element_wise(pa.array(["Seller"] * n_users), pc.cast(pa.array(range(n_users)), pa.string()), " "),
        "Email": pc.binary_join_element_wise(pc.cast(pa.array(range(n_users)), pa.string()), pa.array(["@seller.example"] * n_users), ""),
        "Title": _choice(rng, ["Account Executive", "Sales Manager", "Solutions Engineer"], n_users),
        "ManagerId": pa.array([None] + users.to_pylist()[: n_users - 1], pa.string()),
        "IsActive": pa.array(["true"] * n_users),
    })
    written["Account.csv"] = _write(out / "Account.csv", {
        "Id": accounts,
        "Name": pc.binary_join_element_wise(pa.array(["Company"] * n_accounts), pc.cast(pa.array(range(n_accounts)), pa.string()), " "),
        "Industry": _choice(rng, ["Manufacturing", "Technology", "Retail", "Banking"], n_accounts),
        "AnnualRevenue": pc.cast(pa.array(rng.integers(1, 500, n_accounts) * 100_000), pa.string()),
        "NumberOfEmployees": pc.cast(pa.array(rng.integers(5, 5000, n_accounts)), pa.string()),
        "BillingCountry": _choice(rng, ["United States", "Spain", "Germany"], n_accounts),
        "OwnerId": _pick(rng, users, n_accounts),
        "CreatedDate": _stamps(rng, n_accounts),
        "IsDeleted": pa.array(["false"] * n_accounts),
    })
    written["Contact.csv"] = _write(out / "Contact.csv", {
        "Id": contacts,
        "AccountId": _pick(rng, accounts, n_contacts),
        "FirstName": _choice(rng, ["Ana", "Bob", "Chen", "Dana", "Elif"], n_contacts),
        "LastName": _choice(rng, ["Ruiz", "Stone", "Li", "Okafor", "Yilmaz"], n_contacts),
        "Title": _choice(rng, ["VP Operations", "IT Manager", "CFO", "Buyer"], n_contacts),
        "Email": pc.binary_join_element_wise(pa.array(["c"] * n_contacts), pc.cast(pa.array(range(n_contacts)), pa.string()), pa.array(["@buyer.example"] * n_contacts), ""),
        "CreatedDate": _stamps(rng, n_contacts),
        "IsDeleted": pa.array(["false"] * n_contacts),
    })
    won = rng.random(n_opps) < 0.3
    closed = won | (rng.random(n_opps) < 0.3)
    written["Opportunity.csv"] = _write(out / "Opportunity.csv", {
        "Id": opps,
        "AccountId": _pick(rng, accounts, n_opps),
        "OwnerId": _pick(rng, users, n_opps),
        "Name": pc.binary_join_element_wise(pa.array(["Deal"] * n_opps), pc.cast(pa.array(range(n_opps)), pa.string()), " "),
        "Type": _choice(rng, ["New Business", "Existing Customer - Upgrade", "Renewal"], n_opps),
        "StageName": pa.array(np.where(won, "Closed Won", np.where(closed, "Closed Lost", "Negotiation"))),
        "Amount": pc.cast(pa.array(rng.integers(1, 200, n_opps) * 1000), pa.string()),
        "CurrencyIsoCode": pa.array(["USD"] * n_opps),
        "Probability": pa.array(np.where(won, "100", np.where(closed, "0", "50"))),
        "CreatedDate": _stamps(rng, n_opps),
        "CloseDate": _stamps(rng, n_opps, "%Y-%m-%d"),
        "IsClosed": pa.array(np.where(closed, "true", "false")),
        "IsWon": pa.array(np.where(won, "true", "false")),
        "IsDeleted": pa.array(["false"] * n_opps),
    })
    written["OpportunityHistory.csv"] = _write(out / "OpportunityHistory.csv", {
        "Id": _ids("008", n_history),
        "OpportunityId": _pick(rng, opps, n_history),
        "StageName": _choice(rng, ["Prospecting", "Qualification", "Proposal", "Negotiation"], n_history),
        "Amount": pc.cast(pa.array(rng.integers(1, 200, n_history) * 1000), pa.string()),
        "CloseDate": _stamps(rng, n_history, "%Y-%m-%d"),
        "CreatedDate": _stamps(rng, n_history),
        "CreatedById": _pick(rng, users, n_history),
    })
    written["Task.csv"] = _write(out / "Task.csv", {
        "Id": _ids("00T", n_task),
        "Subject": _choice(rng, ["Call", "Follow up", "Send proposal", "Email: pricing"], n_task),
        "TaskSubtype": _choice(rng, ["Call", "Email", "Task"], n_task),
        "OwnerId": _pick(rng, users, n_task),
        "WhoId": _pick(rng, contacts, n_task),
        "WhatId": _pick(rng, opps, n_task),
        "AccountId": _pick(rng, accounts, n_task),
        "ActivityDate": _stamps(rng, n_task, "%Y-%m-%d"),
        "CreatedDate": _stamps(rng, n_task),
        "Status": pa.array(["Completed"] * n_task),
        "CallType": _choice(rng, ["Outbound", "Inbound", ""], n_task),
        "IsDeleted": pa.array(["false"] * n_task),
    })
    written["Event.csv"] = _write(out / "Event.csv", {
        "Id": _ids("00U", n_event),
        "Subject": _choice(rng, ["Demo", "Discovery meeting", "QBR"], n_event),
        "OwnerId": _pick(rng, users, n_event),
        "WhoId": _pick(rng, contacts, n_event),
        "WhatId": _pick(rng, opps, n_event),
        "AccountId": _pick(rng, accounts, n_event),
        "ActivityDateTime": _stamps(rng, n_event),
        "CreatedDate": _stamps(rng, n_event),
        "IsDeleted": pa.array(["false"] * n_event),
    })
    contact_idx = rng.integers(0, n_contacts, n_email)
    address = pc.binary_join_element_wise(pa.array(["c"] * n_email), pc.cast(pa.array(contact_idx), pa.string()), pa.array(["@buyer.example"] * n_email), "")
    incoming = rng.random(n_email) < 0.4
    seller = pa.array(["seller@seller.example"] * n_email)
    written["EmailMessage.csv"] = _write(out / "EmailMessage.csv", {
        "Id": _ids("02s", n_email),
        "Subject": _choice(rng, ["Re: proposal", "Pricing", "Next steps"], n_email),
        "FromAddress": pc.if_else(pa.array(incoming), address, seller),
        "ToAddress": pc.if_else(pa.array(incoming), seller, address),
        "Incoming": pa.array(np.where(incoming, "true", "false")),
        "MessageDate": _stamps(rng, n_email),
        "RelatedToId": _pick(rng, opps, n_email),
        "CreatedById": _pick(rng, users, n_email),
        "CreatedDate": _stamps(rng, n_email),
    })
    return written


# --------------------------------------------------------------------------------------------
# one measured run, in a fresh process

_IMPORT = """
import json, sys, time
from accountleader.workspace import Workspace
ws = Workspace.open(sys.argv[1])
t = time.perf_counter()
summary = ws.import_salesforce(sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t, "rows": summary.rows}))
"""

_FLOOR = """
import json, sys, time
from pathlib import Path
import duckdb
t = time.perf_counter()
con = duckdb.connect(sys.argv[1])
rows = 0
for csv in sorted(Path(sys.argv[2]).glob("*.csv")):
    con.execute(f"CREATE TABLE \\"{csv.stem}\\" AS SELECT * FROM read_csv('{csv}', all_varchar=true)")
    rows += con.execute(f'SELECT count(*) FROM "{csv.stem}"').fetchone()[0]
con.execute("CHECKPOINT")
con.close()
print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows}))
"""


def _measure(code: str, *args: str) -> tuple[float, int, int, float]:
    """Run ``code`` in a child Python; returns (seconds it reported, rows, peak RSS in bytes, CPU seconds)."""
    # the child also prints its own peak RSS last (see benchmarks/machine.py for why not ru_maxrss)
    code = code + f"\nprint(json.dumps({{'peak_kib': {VMHWM_KIB}}}))\n"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed ({proc.returncode}):\n{err}")
    *_, last, peak = out.strip().splitlines()
    result = json.loads(last)
    cpu = usage.ru_utime + usage.ru_stime  # whole child, start-up included
    return result["seconds"], result["rows"], json.loads(peak)["peak_kib"] * 1024, cpu


def run(rows: int, runs: int, workdir: Path) -> dict[str, object]:
    export = workdir / "export"
    stamp = workdir / f"export-{rows}.json"
    t = time.perf_counter()
    if stamp.exists() and export.is_dir():
        written = json.loads(stamp.read_text())
    else:
        written = write_export(export, rows)
        stamp.write_text(json.dumps(written))
    gen_s = time.perf_counter() - t
    size = sum(p.stat().st_size for p in export.iterdir())
    print(f"wrote {sum(written.values()):,} rows ({size / 2**20:.0f} MiB) in {gen_s:.1f} s: "
          + ", ".join(f"{k} {v:,}" for k, v in written.items()), flush=True)
    imports, floors, loads = [], [], []
    for i in range(runs):
        loads.append(os.getloadavg()[0])
        ws = workdir / f"ws{i}"
        imports.append(_measure(_IMPORT, str(ws), str(export)))
        shutil.rmtree(ws)
        db = workdir / f"floor{i}.duckdb"
        floors.append(_measure(_FLOOR, str(db), str(export)))
        db.unlink()
        print(f"run {i + 1}: import {imports[-1][0]:.2f} s ({imports[-1][2] / 2**20:.0f} MiB, {imports[-1][3]:.1f} CPU s), "
              f"floor {floors[-1][0]:.2f} s ({floors[-1][2] / 2**20:.0f} MiB, {floors[-1][3]:.1f} CPU s), "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
    total_rows = sum(written.values())
    imp_s = statistics.median(r[0] for r in imports)
    floor_s = statistics.median(r[0] for r in floors)
    return {
        "activity_rows": rows,
        "total_rows": total_rows,
        "csv_mib": size / 2**20,
        "runs": runs,
        "import_s": imp_s,
        "import_rows_per_s": total_rows / imp_s,
        "activity_rows_per_s": rows / imp_s,
        "floor_s": floor_s,
        "floor_rows_per_s": total_rows / floor_s,
        "ratio": imp_s / floor_s,
        "import_peak_rss_mib": max(r[2] for r in imports) / 2**20,
        "floor_peak_rss_mib": max(r[2] for r in floors) / 2**20,
        "import_cpu_s": statistics.median(r[3] for r in imports),
        "floor_cpu_s": statistics.median(r[3] for r in floors),
        "import_runs_s": [round(r[0], 2) for r in imports],
        "floor_runs_s": [round(r[0], 2) for r in floors],
        "import_runs_mib": [round(r[2] / 2**20) for r in imports],
        "floor_runs_mib": [round(r[2] / 2**20) for r in floors],
        "import_runs_cpu_s": [round(r[3], 1) for r in imports],
        "floor_runs_cpu_s": [round(r[3], 1) for r in floors],
        "peak_ratio": max(r[2] for r in imports) / max(r[2] for r in floors),
        "loads": [round(x, 1) for x in loads],
    }


def report(r: dict[str, object]) -> str:
    ok_speed = float(r["import_rows_per_s"]) >= TARGET_ROWS_PER_S  # type: ignore[arg-type]
    ok_ratio = float(r["ratio"]) <= TARGET_FLOOR_RATIO  # type: ignore[arg-type]
    ok_peak = float(r["peak_ratio"]) <= TARGET_PEAK_RATIO  # type: ignore[arg-type]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        f"### Salesforce export import, {r['activity_rows']:,} activity rows ({when})",
        "",
        f"- Machine: {describe()}",
        f"- Export: {r['total_rows']:,} rows in 8 files, {float(r['csv_mib']):.0f} MiB of CSV (`--rows {r['activity_rows']}`)",  # type: ignore[arg-type]
        f"- Median of {r['runs']} runs, each in a fresh process (runs: import {r['import_runs_s']} s, floor {r['floor_runs_s']} s; "
        f"peak RSS import {r['import_runs_mib']} MiB, floor {r['floor_runs_mib']} MiB; CPU s import {r['import_runs_cpu_s']}, "
        f"floor {r['floor_runs_cpu_s']}; load average at the start of each run {r['loads']})",
        "",
        "| measure | import (`Workspace.import_salesforce`) | floor (DuckDB `read_csv`, all_varchar) |",
        "|---|---|---|",
        f"| seconds | {float(r['import_s']):.2f} | {float(r['floor_s']):.2f} |",  # type: ignore[arg-type]
        f"| rows/s (all rows) | {float(r['import_rows_per_s']):,.0f} | {float(r['floor_rows_per_s']):,.0f} |",  # type: ignore[arg-type]
        f"| peak RSS | {float(r['import_peak_rss_mib']):,.0f} MiB | {float(r['floor_peak_rss_mib']):,.0f} MiB |",  # type: ignore[arg-type]
        f"| CPU seconds (user+sys, whole process) | {float(r['import_cpu_s']):.1f} | {float(r['floor_cpu_s']):.1f} |",  # type: ignore[arg-type]
        "",
        f"- Ratio to floor: **{float(r['ratio']):.2f}x** (target <= {TARGET_FLOOR_RATIO:.0f}x: {'met' if ok_ratio else 'MISSED'})",  # type: ignore[arg-type]
        f"- Speed: **{float(r['import_rows_per_s']):,.0f} rows/s** (target >= {TARGET_ROWS_PER_S:,}: {'met' if ok_speed else 'MISSED'})",  # type: ignore[arg-type]
        f"- Peak RSS: **{float(r['peak_ratio']):.2f}x the floor's** (highest run of each; target <= {TARGET_PEAK_RATIO}x: {'met' if ok_peak else 'MISSED'})",  # type: ignore[arg-type]
        "",
    ])


def record(text: str) -> None:
    """Append under the importer section of results.md, leaving other sections intact."""
    heading = "## Import speed"
    existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if heading not in existing:
        existing = existing.rstrip("\n") + f"\n\n{heading}\n\nRun with `.venv/bin/python -m benchmarks.import_speed --rows N --record`.\n"
        RESULTS.write_text(existing + "\n" + text, encoding="utf-8")
        return
    start = existing.index(heading)
    nxt = existing.find("\n## ", start + len(heading))
    end = len(existing) if nxt == -1 else nxt + 1
    section = existing[start:end].rstrip("\n") + "\n\n" + text
    RESULTS.write_text(existing[:start] + section + ("\n" + existing[end:] if nxt != -1 else ""), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="activity rows (Task + Event + EmailMessage)")
    ap.add_argument("--runs", type=int, default=3, help="measured runs; the median is reported")
    ap.add_argument("--record", action="store_true", help="append the result to benchmarks/results.md")
    ap.add_argument("--keep", type=Path, help="write the export here and keep it (default: a temp dir)")
    args = ap.parse_args(argv)
    if args.keep:
        r = run(args.rows, args.runs, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="al-bench-") as d:
            r = run(args.rows, args.runs, Path(d))
    text = report(r)
    print(text)
    if args.record:
        record(text)
        print(f"appended to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
