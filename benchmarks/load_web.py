"""Load on the web cockpit: p50/p95 latency and requests/s for the main pages and the JSON API.

Run on demand::

    .venv/bin/python -m benchmarks.load_web --scale 1.0 [--record]

It builds (or reuses, with ``--workspace``) the demo company, analyses it, adds a user with an
API token, starts ``accountleader serve`` on 127.0.0.1 and a free port, then for each target
sends requests from ``--concurrency`` threads until ``--requests`` are done or ``--seconds``
have passed, whichever comes first. Loopback only; everything is bounded in count and time.

Targets (issue 5): p95 <= 150 ms for the team and account pages on the demo company at
10x scale, and >= 200 requests/s for the JSON API.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from accountleader import store as app_store
from accountleader.workspace import Workspace

HOST = "127.0.0.1"
RESULTS = Path(__file__).with_name("results.md")


@dataclass
class Result:
    name: str
    path: str
    latencies: list[float]
    errors: int
    seconds: float

    @property
    def n(self) -> int:
        return len(self.latencies)

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000

    @property
    def rps(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def prepare(workspace: Path, scale: float, role: str) -> tuple[str, dict[str, str]]:
    ws = Workspace.open(workspace)
    try:
        if not ws.has_data:
            print(f"building the demo company at scale {scale} in {workspace} ...", flush=True)
            ws.load_demo(seed=7, scale=scale)
        started = time.perf_counter()
        summary = ws.analyze()
        print(f"analysis {'reused' if summary.reused else 'computed'} in {time.perf_counter() - started:.1f} s", flush=True)
        reps = ws.reps()
        users = ws.table("users").to_pandas()
        crm_id = None
        if role == "manager":
            crm_id = str(users[users.function == "manager"].user_id.iloc[0])
        elif role == "rep":
            crm_id = str(reps[0]["user_id"])
        scope = ws.scope_for(role, crm_id)
        account = ws.accounts(scope, limit=1)[0]["account_id"]
        seller = ws.reps(scope)[0]["user_id"]
    finally:
        ws.close()
    store = app_store.open_store(app_store.default_url(workspace, os.environ.get("ACCOUNTLEADER_DATABASE_URL")))
    name = f"load-{role}-{int(time.time())}"
    user = app_store.create_user(store, username=name, password="load-test-password", role=role, crm_user_id=crm_id)
    token = app_store.create_token(store, user_id=user.id, name="load test")
    store.close()
    return token, {"account": account, "seller": seller}


def wait_until_up(base: str, server: subprocess.Popen, log_path: Path, seconds: float = 60) -> bool:  # type: ignore[type-arg]
    """Poll /api/v1/health until the server answers; False (with its log) if it died or timed out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            print("server did not start:", log_path.read_text()[-2000:])
            return False
        time.sleep(0.2)


def hammer(client_factory, name: str, path: str, *, requests: int, seconds: float, concurrency: int) -> Result:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + seconds

    def worker() -> None:
        nonlocal issued, errors
        with client_factory() as client:
            while True:
                with lock:
                    if issued >= requests or time.monotonic() > deadline:
                        return
                    issued += 1
                t0 = time.perf_counter()
                try:
                    ok = client.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                dt = time.perf_counter() - t0
                with lock:
                    if ok:
                        latencies.append(dt)
                    else:
                        errors += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Result(name, path, latencies, errors, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workspace", type=Path, help="an existing workspace (default: a temporary demo one)")
    ap.add_argument("--scale", type=float, default=1.0, help="demo scale when building (10 = the issue's 10x)")
    ap.add_argument("--role", choices=["admin", "manager", "rep"], default="manager")
    ap.add_argument("--requests", type=int, default=300, help="requests per target (cap)")
    ap.add_argument("--seconds", type=float, default=20.0, help="seconds per target (cap)")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--record", action="store_true", help=f"append the numbers to {RESULTS.name}")
    args = ap.parse_args(argv)

    tmp = None
    workspace = args.workspace
    if workspace is None:
        tmp = tempfile.TemporaryDirectory(prefix="al-load-")
        workspace = Path(tmp.name) / "workspace"
    token, ids = prepare(workspace, args.scale, args.role)

    port = _free_port()
    base = f"http://{HOST}:{port}"
    log_path = Path(tempfile.gettempdir()) / f"accountleader-load-{port}.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "accountleader.cli.main", "--workspace", str(workspace), "serve",
         "--host", HOST, "--port", str(port), "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        if not wait_until_up(base, server, log_path):
            return 1

        headers = {"Authorization": f"Bearer {token}"}

        def client() -> httpx.Client:
            return httpx.Client(base_url=base, headers=headers, timeout=30)

        targets = [
            ("team page", "/team"),
            ("account page", f"/accounts/{ids['account']}"),
            ("seller page", f"/sellers/{ids['seller']}"),
            ("API team", "/api/v1/team"),
            ("API account", f"/api/v1/accounts/{ids['account']}"),
            ("API sellers", "/api/v1/sellers"),
            ("API me", "/api/v1/me"),
        ]
        with client() as warm:
            for _, path in targets:
                try:
                    status = warm.get(path).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                if status != 200:
                    print(f"warning: {path} answered {status}; see {log_path}")
        results = [hammer(client, n, p, requests=args.requests, seconds=args.seconds,
                          concurrency=args.concurrency) for n, p in targets]
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if tmp is not None:
            tmp.cleanup()

    what = f"workspace {args.workspace}" if args.workspace else f"demo scale {args.scale}"
    lines = [f"| {r.name} | `{r.path.split('/0')[0]}` | {r.n} | {r.errors} | {r.pct(0.5):.1f} | {r.pct(0.95):.1f} | {r.rps:.0f} |"
             for r in results]
    pages = [r for r in results if r.name in ("team page", "account page")]
    api = [r for r in results if r.name.startswith("API")]
    page_ok = all(r.pct(0.95) <= 150 for r in pages)
    api_rps = min(r.rps for r in api)
    report = "\n".join([
        f"### Web load, {what}, role {args.role} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"- {args.concurrency} client threads, up to {args.requests} requests or {args.seconds:.0f} s per target, uvicorn 1 worker, loopback",
        "",
        "| target | path | ok | errors | p50 ms | p95 ms | req/s |",
        "|---|---|---|---|---|---|---|",
        *lines,
        "",
        f"- Team and account pages p95 <= 150 ms: **{'met' if page_ok else 'not met'}**",
        f"- JSON API slowest target {api_rps:.0f} req/s (target >= 200): **{'met' if api_rps >= 200 else 'not met'}**",
        "",
    ])
    print(report)
    if args.record:
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write("\n## Web load\n\n" + report if "## Web load" not in RESULTS.read_text() else "\n" + report)
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
