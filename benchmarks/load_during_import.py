"""Load on the web cockpit while an import and an analysis run in the background (issue 11).

Run on demand::

    .venv/bin/python -m benchmarks.load_during_import [--scale 1.0] [--runs 3] [--record]

It builds the demo company with the CLI (``accountleader -w DIR demo``, then ``analyze``),
adds an admin with ``accountleader users add``, starts ``accountleader serve`` (uvicorn) on
127.0.0.1 and a free port, and logs in through the login form (its CSRF nonce, then the
session's CSRF token). Then, per run:

1. uploads the demo's own Salesforce export (``demo-export/`` zipped) to ``POST /api/v1/import``,
   which starts a background import and analysis (202), and while the job runs (polled on
   ``GET /api/v1/import/job``) sends requests from ``--concurrency`` threads to the team,
   seller, account and opportunity pages and their ``/api/v1`` twins (ids read from
   ``/api/v1/sellers``, ``/accounts`` and ``/opportunities`` before the import);
2. does the same during an analysis only (``POST /api/v1/analyze?force=true``).

Every request is bounded in count (``--requests`` per phase) and time (``--seconds``). It
records status codes, p50/p95/max per page kind, requests and the job's seconds. Target:
no 4xx/5xx and p95 <= 300 ms for every page kind; prints PASS or FAIL and exits 1 on FAIL.
With ``--runs N`` it reports the median over the runs; ``--record`` appends that to
benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.load_web import HOST, RESULTS, _free_port, wait_until_up
from benchmarks.machine import describe

CLI = Path(sys.executable).with_name("accountleader")
P95_TARGET_MS = 300.0
USER, PASSWORD = "loadadmin", "load-test-password-11"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KINDS = ("team", "seller", "account", "opportunity")


@dataclass
class Phase:
    """One background job and the requests sent while it ran."""

    name: str
    latencies: dict[str, list[float]] = field(default_factory=dict)  # by target name, seconds
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    job_seconds: float = 0.0
    job_state: str = ""
    loadavg: str = ""

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code != "200")

    def pct(self, target: str, q: float) -> float:
        return _pct(self.latencies.get(target, []), q)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def _cli(workspace: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(CLI), "-w", str(workspace), *args], input=stdin, capture_output=True, text=True,
                          timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"`accountleader {' '.join(args)}` failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def prepare(workspace: Path, scale: float) -> Path:
    """The demo company built and analysed with the CLI, an admin user, and the export zipped."""
    if not (workspace / "crm.duckdb").exists():
        print(f"building the demo company at scale {scale} in {workspace} ...", flush=True)
        _cli(workspace, "demo", "--scale", str(scale))
    started = time.perf_counter()
    _cli(workspace, "analyze")
    print(f"analysis ready in {time.perf_counter() - started:.1f} s", flush=True)
    _cli(workspace, "users", "add", USER, "--role", "admin", "--password", PASSWORD)
    export = workspace / "demo-export"
    target = workspace.parent / "demo-export.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(export.iterdir()):
            zf.write(f, f.name)
    return target


def login(base: str) -> tuple[httpx.Cookies, str]:
    """A session through the login form: its signed nonce, then the session's CSRF token."""
    with httpx.Client(base_url=base, timeout=30) as c:
        form = c.get("/login")
        found = _CSRF.search(form.text)
        if not found:
            raise SystemExit(f"no CSRF field on /login ({form.status_code})")
        done = c.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": found.group(1),
                                      "next": "/team"})
        if done.status_code != 303:
            raise SystemExit(f"login failed: {done.status_code} {done.text[:300]}")
        me = _CSRF.search(c.get("/me").text)
        if not me:
            raise SystemExit("no CSRF token on /me after login")
        return c.cookies, me.group(1)


def targets(client: httpx.Client) -> list[tuple[str, str]]:
    """(name, path) per page and its JSON twin; ids read from the API before the import."""
    def first(url: str, key: str, id_key: str) -> str:
        got = client.get(url)
        got.raise_for_status()
        return str(got.json()[key][0][id_key])

    seller = first("/api/v1/sellers", "sellers", "user_id")
    account = first("/api/v1/accounts", "accounts", "account_id")
    deal = first("/api/v1/opportunities", "opportunities", "opportunity_id")
    paths = {"team": "/team", "seller": f"/sellers/{seller}", "account": f"/accounts/{account}",
             "opportunity": f"/opportunities/{deal}"}
    out = []
    for kind in KINDS:
        out += [(f"{kind} page", paths[kind]), (f"{kind} API", "/api/v1" + paths[kind])]
    return out


def run_phase(name: str, base: str, cookies: httpx.Cookies, csrf: str, pages: list[tuple[str, str]], start,  # type: ignore[no-untyped-def]
              *, concurrency: int, max_requests: int, seconds: float) -> Phase:
    """Start the job with ``start(client)``, then request ``pages`` round robin from
    ``concurrency`` threads until the job ends, ``max_requests`` are sent or ``seconds`` pass."""
    phase = Phase(name, {n: [] for n, _ in pages})
    lock = threading.Lock()
    stop = threading.Event()
    issued = 0
    deadline = time.monotonic() + seconds

    def client() -> httpx.Client:
        return httpx.Client(base_url=base, cookies=cookies, headers={"X-CSRF-Token": csrf}, timeout=30)

    def worker(offset: int) -> None:
        nonlocal issued
        i = offset
        with client() as c:
            while not stop.is_set():
                with lock:
                    if issued >= max_requests or time.monotonic() > deadline:
                        return
                    issued += 1
                target, path = pages[i % len(pages)]
                i += 1
                t0 = time.perf_counter()
                try:
                    status = str(c.get(path).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                dt = time.perf_counter() - t0
                with lock:
                    phase.statuses[status] += 1
                    if status == "200":
                        phase.latencies[target].append(dt)
                    elif len(phase.failures) < 10:
                        phase.failures.append(f"{status} {path}")

    with client() as c:
        started = time.perf_counter()
        accepted = start(c)
        if accepted.status_code != 202:
            raise SystemExit(f"{name}: expected 202, got {accepted.status_code}: {accepted.text[:500]}")
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
        for t in threads:
            t.start()
        job = accepted.json()["job"]
        while job["state"] == "running" and time.monotonic() < deadline + 600:
            time.sleep(0.25)
            job = c.get("/api/v1/import/job").json()["job"]
        phase.job_seconds = time.perf_counter() - started
        stop.set()
        for t in threads:
            t.join()
        problem = job.get("error") or (job.get("result") or {}).get("analysis_error")
        phase.job_state = f"{job['state']}: {problem}" if problem else job["state"]
    phase.loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return phase


def one_run(base: str, cookies: httpx.Cookies, csrf: str, pages: list[tuple[str, str]], upload: Path,
            args: argparse.Namespace) -> list[Phase]:
    data = upload.read_bytes()

    def start_import(c: httpx.Client) -> httpx.Response:
        return c.post("/api/v1/import", files={"export": (upload.name, io.BytesIO(data), "application/zip")})

    def start_analysis(c: httpx.Client) -> httpx.Response:
        return c.post("/api/v1/analyze", params={"force": "true"})

    bounds = {"concurrency": args.concurrency, "max_requests": args.requests, "seconds": args.seconds}
    return [run_phase("import + analysis", base, cookies, csrf, pages, start_import, **bounds),
            run_phase("analysis only", base, cookies, csrf, pages, start_analysis, **bounds)]


def _kind_stats(phase: Phase, kind: str, q: float) -> float:
    return _pct([x for t, xs in phase.latencies.items() if t.startswith(kind + " ") for x in xs], q)


def summarise(runs: list[list[Phase]], pages: list[tuple[str, str]]) -> tuple[str, bool]:
    """Median over runs, per phase: p50/p95/max per target, requests, errors, job seconds."""
    lines, ok = [], True
    for k, phase_name in enumerate(p.name for p in runs[0]):
        phases = [r[k] for r in runs]
        lines += [f"**During {phase_name}** (job {statistics.median(p.job_seconds for p in phases):.1f} s median; "
                  f"runs: {', '.join(f'{p.job_seconds:.1f} s' for p in phases)}; job states: "
                  f"{', '.join(sorted({p.job_state for p in phases}))})", "",
                  "| target | requests | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
        for target, _ in pages:
            n = statistics.median(len(p.latencies[target]) for p in phases)
            p50 = statistics.median(p.pct(target, 0.5) for p in phases)
            p95 = statistics.median(p.pct(target, 0.95) for p in phases)
            worst = max(p.pct(target, 1.0) for p in phases)
            lines.append(f"| {target} | {n:.0f} | {p50:.1f} | {p95:.1f} | {worst:.1f} |")
            ok &= p95 <= P95_TARGET_MS
        errors = [p.errors for p in phases]
        codes = sum((p.statuses for p in phases), Counter())
        lines += ["", f"- requests per run {', '.join(str(p.requests) for p in phases)} (median "
                      f"{statistics.median(p.requests for p in phases):.0f}); errors per run "
                      f"{', '.join(map(str, errors))}; status codes {dict(codes)}",
                  f"- load average (1/5/15 min) at the end of each run: {'; '.join(p.loadavg for p in phases)}"]
        failures = [f for p in phases for f in p.failures]
        if failures:
            lines.append(f"- first failures: {', '.join(failures[:10])}")
        lines.append("")
        ok &= sum(errors) == 0 and all(p.job_state == "done" for p in phases)
        for kind in KINDS:
            worst95 = statistics.median(_kind_stats(p, kind, 0.95) for p in phases)
            ok &= worst95 <= P95_TARGET_MS
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="demo scale")
    ap.add_argument("--runs", type=int, default=3, help="runs (import + analysis each); the median is reported")
    ap.add_argument("--requests", type=int, default=10000, help="requests per phase (cap)")
    ap.add_argument("--seconds", type=float, default=300.0, help="seconds per phase (cap)")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--record", action="store_true", help=f"append the median to {RESULTS.name}")
    args = ap.parse_args(argv)

    machine = describe()
    loadavg_start = Path("/proc/loadavg").read_text().split()[:3]
    tmp = tempfile.TemporaryDirectory(prefix="al-load-import-")
    workspace = Path(tmp.name) / "workspace"
    server = None
    log_path = Path(tmp.name) / "server.log"
    try:
        upload = prepare(workspace, args.scale)
        port = _free_port()
        base = f"http://{HOST}:{port}"
        with log_path.open("w") as log:
            # uvicorn in this child itself (no shell in between), so server.pid is the server
            server = subprocess.Popen([str(CLI), "-w", str(workspace), "serve", "--host", HOST, "--port", str(port),
                                       "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT)
        if not wait_until_up(base, server, log_path):
            return 1
        cookies, csrf = login(base)
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as c:
            pages = targets(c)
            for _, path in pages:  # warm: the steady state before the import
                c.get(path)
        runs = []
        for k in range(args.runs):
            print(f"run {k + 1}/{args.runs} ...", flush=True)
            phases = one_run(base, cookies, csrf, pages, upload, args)
            for p in phases:
                worst = max(p.pct(t, 0.95) for t, _ in pages)
                print(f"  {p.name}: job {p.job_seconds:.1f} s ({p.job_state}), {p.requests} requests, "
                      f"{p.errors} errors, worst p95 {worst:.1f} ms", flush=True)
            runs.append(phases)
    finally:
        if server is not None:
            server.terminate()  # by its PID
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        server_log = log_path.read_text()[-3000:] if log_path.exists() else ""
        tmp.cleanup()

    table, ok = summarise(runs, pages)
    report = "\n".join([
        f"### Load during import and analysis, demo scale {args.scale} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- Machine: {machine}; /proc/loadavg at start {' '.join(loadavg_start)}",
        f"- `python -m benchmarks.load_during_import --scale {args.scale} --runs {args.runs}`: median of {args.runs} "
        f"run(s); {args.concurrency} client threads, round robin over {len(pages)} targets while the job runs "
        f"(cap {args.requests} requests or {args.seconds:.0f} s per phase), uvicorn 1 worker, loopback, admin session",
        "",
        table,
        f"- Every page answered 200 and p95 <= {P95_TARGET_MS:.0f} ms for every page kind: **{'PASS' if ok else 'FAIL'}**",
        "",
    ])
    print(report)
    if "Traceback" in server_log:
        print("server log had a traceback:\n" + server_log)
    if args.record:
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write("\n" + report)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
