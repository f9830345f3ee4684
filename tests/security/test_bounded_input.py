"""Bounded input: request bodies are capped and authenticated before they are read, archives
and files are capped while they are unpacked and parsed (a zip bomb is refused with a clear
message, in little memory), and crashed uploads do not pile up in the workspace.

Bytes read are proven by a raw ASGI call whose ``receive()`` counts what it hands out; peak
memory by ``VmHWM`` of a child process that does nothing but the refused import.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from web_support import WebApp

from accountleader.config import Limits
from accountleader.errors import InputTooLarge

MB = 1024 * 1024
ATTACK_BYTES = 300 * MB
CHUNK = 64 * 1024
REPO = Path(__file__).resolve().parents[2]


# -- a raw ASGI client that counts the body bytes the app pulls ----------------------------------


class CountingBody:
    """An endless-looking request body: ``total`` bytes in 64 KiB chunks, made only when asked."""

    def __init__(self, total: int, prefix: bytes = b"") -> None:
        self.total = total
        self.prefix = prefix
        self.handed_out = 0
        self._chunk = b"x" * CHUNK

    async def receive(self) -> dict[str, Any]:
        if self.handed_out >= self.total:
            await asyncio.sleep(3600)  # a real client would be gone; never reached when refused
        body = self._chunk
        if self.handed_out == 0 and self.prefix:
            body = self.prefix + body[len(self.prefix):]
        body = body[: self.total - self.handed_out]
        self.handed_out += len(body)
        return {"type": "http.request", "body": body, "more_body": self.handed_out < self.total}


def asgi_call(app: Any, method: str, path: str, headers: dict[str, str], body: CountingBody
              ) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5555),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    async def run() -> None:
        await asyncio.wait_for(app(scope, body.receive, send), timeout=120)

    asyncio.run(run())
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, content


MULTIPART = "multipart/form-data; boundary=XyZ"
MULTIPART_HEAD = (b'--XyZ\r\nContent-Disposition: form-data; name="export"; filename="x.zip"\r\n'
                  b"Content-Type: application/zip\r\n\r\n")

# (method, path, content type, body prefix)
BODY_ROUTES = [
    ("POST", "/api/v1/import", MULTIPART, MULTIPART_HEAD),
    ("PUT", "/api/v1/settings", "application/json", b'{"corporate_currency": "'),
    ("POST", "/import", MULTIPART, MULTIPART_HEAD),
    ("POST", "/settings", "application/x-www-form-urlencoded", b"corporate_currency="),
    ("POST", "/api/v1/tokens", "application/json", b'{"name": "'),
    ("POST", "/api/v1/analyze", "application/json", b'{"x": "'),
]


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("method", "path", "ctype", "prefix"), BODY_ROUTES, ids=[f"{m} {p}" for m, p, _, _ in BODY_ROUTES])
def test_anonymous_huge_body_is_refused_before_a_byte_is_read(web: WebApp, method: str, path: str, ctype: str,
                                                              prefix: bytes, with_length: bool) -> None:
    headers = {"content-type": ctype}
    if with_length:
        headers["content-length"] = str(ATTACK_BYTES)
    body = CountingBody(ATTACK_BYTES, prefix)
    status, got, content = asgi_call(web.app, method, path, headers, body)
    assert body.handed_out == 0, f"{body.handed_out} bytes read before the refusal"
    if path.startswith("/api/"):
        assert status == 401
        assert json.loads(content)["error"]["code"] == "unauthorized"
    else:
        assert status == 303 and got["location"].startswith("/login")
    assert got["cache-control"] == "no-store" and got["x-content-type-options"] == "nosniff"


def test_a_bad_bearer_token_is_refused_before_the_body(web: WebApp) -> None:
    body = CountingBody(ATTACK_BYTES, MULTIPART_HEAD)
    status, _, content = asgi_call(web.app, "POST", "/api/v1/import",
                                   {"content-type": MULTIPART, "authorization": "Bearer not-a-token"}, body)
    assert status == 401 and body.handed_out == 0
    assert set(json.loads(content)["error"]) == {"code", "message"}


def _admin_cookie(web: WebApp) -> str:
    """The session cookie of a logged-in admin (sessions may write; the CSRF check comes later)."""
    from accountleader.web.security import SESSION_COOKIE

    web.add_user("ann", "admin")
    return f"{SESSION_COOKIE}={web.logged_in('ann').cookies[SESSION_COOKIE]}"


@pytest.mark.parametrize(("method", "path", "ctype", "prefix"), BODY_ROUTES[:2], ids=["import", "settings"])
def test_logged_in_huge_body_stops_at_the_cap(web: WebApp, method: str, path: str, ctype: str, prefix: bytes,
                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Authenticated, a body past its cap is 413: at once with a Content-Length, else once the cap
    is passed; the app is never handed more than the cap plus the one chunk that passed it.
    (The upload cap, 512 MB by default, is set to 3 MB here to keep the test light.)"""
    if path.endswith("import"):
        monkeypatch.setenv("ACCOUNTLEADER_MAX_UPLOAD_MB", "3")
        web = WebApp(tmp_path / "small", f"sqlite:///{tmp_path / 'small.sqlite'}")
        cap = 3 * MB
    else:
        cap = Limits.mb(Limits().max_body_mb)
        assert cap == MB
    headers = {"content-type": ctype, "cookie": _admin_cookie(web)}
    try:
        declared = CountingBody(ATTACK_BYTES, prefix)
        status, got, content = asgi_call(web.app, method, path, headers | {"content-length": str(ATTACK_BYTES)}, declared)
        assert status == 413 and declared.handed_out == 0, content
        assert json.loads(content)["error"]["code"] == "too_large" and got["cache-control"] == "no-store"

        streamed = CountingBody(ATTACK_BYTES, prefix)
        status, _, content = asgi_call(web.app, method, path, headers, streamed)
        assert status == 413, content
        assert cap < streamed.handed_out <= cap + CHUNK, streamed.handed_out
        assert "larger than" in json.loads(content)["error"]["message"]
        assert not list(web.workspace.glob(".upload-*/*"))
    finally:
        if path.endswith("import"):
            web.close()


def test_bodies_under_the_cap_still_work(web: WebApp) -> None:
    web.add_user("ann", "admin")
    c = web.logged_in("ann")
    response = c.put("/api/v1/settings", json={"corporate_currency": "EUR"}, headers={"X-CSRF-Token": c.csrf})
    assert response.status_code == 200, response.text
    assert response.json()["settings"]["corporate_currency"] == "EUR"


# -- zip bombs and file caps --------------------------------------------------------------------

HEADER = b"Id,AccountId,OwnerId,Name,StageName,Amount,CloseDate,CreatedDate,IsClosed,IsWon\n"
ROW = (b"0065000000AbCdEfGH,0015000000AbCdEfGH,0055000000AbCdEfGH,Big deal,Closed Won,125000.00,"
       b"2024-03-31,2024-01-15T09:30:00.000Z,true,true\n")


class _RepeatingDeflate:
    """Deflate for a stream of the same chunk again and again: after a full flush, deflate turns
    the same input into the same bytes, so each chunk is compressed once (a 1 GiB member in ~1 s)."""

    def __init__(self) -> None:
        self._z = zlib.compressobj(9, zlib.DEFLATED, -15)
        self._last: tuple[bytes | None, bytes] = (None, b"")

    def compress(self, data: bytes) -> bytes:
        if data is not self._last[0]:
            self._last = (data, self._z.compress(data) + self._z.flush(zlib.Z_FULL_FLUSH))
        return self._last[1]

    def flush(self) -> bytes:
        return self._z.flush()


def write_bomb(target: Path, unpacked_mb: int, member: str = "Opportunity.csv") -> Path:
    """A valid zip (true sizes, right CRC) whose CSV member unpacks to ``unpacked_mb`` MiB of rows."""
    chunk = ROW * (MB // len(ROW))
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z, \
            z.open(member, "w", force_zip64=True) as fh:
        fh._compressor = _RepeatingDeflate()  # type: ignore[attr-defined]
        fh.write(HEADER)
        for _ in range(unpacked_mb):
            fh.write(chunk)
    return target


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_bomb(tmp_path_factory.mktemp("bomb") / "export.zip", 1024)
    info = zipfile.ZipFile(path).infolist()[0]
    assert info.file_size > 1000 * MB and path.stat().st_size < 8 * MB  # ~4 MB expanding to 1 GiB
    return path


def _run_child(code: str, *args: str) -> tuple[int, dict[str, Any], str]:
    """Run ``code`` in a fresh interpreter; it prints one JSON line; its peak RSS is added in bytes."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so a child of a 1.6 GB
    # pytest reported the parent's peak; VmHWM belongs to the child's own address space
    wrapped = code + ("\nimport re as _re\nprint('MAXRSS', 1024 * int(_re.search(r'VmHWM:\\s+(\\d+) kB', "
                      "open('/proc/self/status').read()).group(1)))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCOUNTLEADER_MAX")}
    proc = subprocess.run([sys.executable, "-c", wrapped, *args], capture_output=True, text=True, timeout=600,
                          cwd=REPO, env=env)
    lines = proc.stdout.splitlines()
    peak = int(next(line.split()[1] for line in lines if line.startswith("MAXRSS")))
    data = next((json.loads(line) for line in lines if line.startswith("{")), {})
    return proc.returncode, data | {"maxrss": peak}, proc.stderr


CLI_CHILD = """
import json, sys
from accountleader.cli.console import CaptureConsole
from accountleader.cli.main import main
con = CaptureConsole()
code = main(["--workspace", sys.argv[1], "import", "salesforce", sys.argv[2]], console=con)
print(json.dumps({"code": code, "err": con.errors, "out": con.out}))
"""


def test_cli_refuses_the_zip_bomb_in_little_memory(bomb: Path, tmp_path: Path) -> None:
    code, data, stderr = _run_child(CLI_CHILD, str(tmp_path / "ws"), str(bomb))
    assert data, stderr
    assert data["code"] == 2 and code == 0, data
    message = " ".join(data["err"].split())
    assert "export.zip:Opportunity.csv" in message and "ACCOUNTLEADER_MAX_ZIP_RATIO=100" in message, message
    assert "1.0 GiB" in message and "Traceback" not in message
    assert data["maxrss"] < 1024 * MB, f"peak memory {data['maxrss'] / MB:.0f} MiB"
    print(f"CLI zip bomb: peak RSS {data['maxrss'] / MB:.0f} MiB")


WEB_CHILD = """
import json, sys
sys.path[:0] = ["tests/web", "tests"]  # web_support imports tests/demo_support
from pathlib import Path
from web_support import WebApp
web = WebApp(Path(sys.argv[1]), "sqlite:///" + sys.argv[1] + "-app.sqlite")
web.add_user("ann", "admin")
c = web.logged_in("ann")
with open(sys.argv[2], "rb") as fh:
    r = c.post("/api/v1/import", files={"export": ("export.zip", fh, "application/zip")},
               headers={"X-CSRF-Token": c.csrf})
print(json.dumps({"status": r.status_code, "body": r.json(), "leftover": [p.name for p in Path(sys.argv[1]).glob(".upload-*")]}))
web.close()
"""


def test_web_refuses_the_zip_bomb_with_422_in_little_memory(bomb: Path, tmp_path: Path) -> None:
    code, data, stderr = _run_child(WEB_CHILD, str(tmp_path / "ws"), str(bomb))
    assert code == 0 and data, stderr
    assert data["status"] == 422, data
    error = data["body"]["error"]
    assert error["code"] == "import_rejected"
    assert "export.zip:Opportunity.csv" in error["message"] and "ACCOUNTLEADER_MAX_ZIP_RATIO" in error["message"]
    assert error["problems"][0]["file"] == "export.zip:Opportunity.csv"
    assert str(tmp_path) not in json.dumps(data["body"]) and not data["leftover"]
    assert "Traceback" not in stderr
    assert data["maxrss"] < 1024 * MB, f"peak memory {data['maxrss'] / MB:.0f} MiB"
    print(f"web zip bomb: peak RSS {data['maxrss'] / MB:.0f} MiB")


def test_total_unpacked_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from accountleader.importers.source import Source

    monkeypatch.setenv("ACCOUNTLEADER_MAX_UNZIPPED_MB", "16")
    monkeypatch.setenv("ACCOUNTLEADER_MAX_ZIP_RATIO", "100000")
    path = write_bomb(tmp_path / "big.zip", 20)
    with pytest.raises(InputTooLarge) as exc:
        Source(path)
    assert "big.zip:Opportunity.csv" in str(exc.value) and "ACCOUNTLEADER_MAX_UNZIPPED_MB=16" in str(exc.value)


def test_unpacked_bytes_are_counted_whatever_the_header_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The declared sizes are checked first, but the cap holds while unpacking too: here the
    declared check is skipped, as if the header had lied, and the read stops at the cap."""
    from accountleader.importers.source import _ZipBudget

    monkeypatch.setenv("ACCOUNTLEADER_ZIP_RATIO_AFTER_MB", "2")
    path = write_bomb(tmp_path / "liar.zip", 64)
    budget = _ZipBudget(path, Limits())
    with zipfile.ZipFile(path) as zf, pytest.raises(InputTooLarge) as exc:
        budget.read(zf, "Opportunity.csv")
    assert "liar.zip:Opportunity.csv" in str(exc.value) and "unpacks to more than" in str(exc.value)


def test_an_honest_zip_under_the_caps_is_read(tmp_path: Path) -> None:
    from accountleader.importers.source import Source

    path = tmp_path / "ok.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("Opportunity.csv", HEADER + ROW * 1000)
    source = Source(path)
    assert source.files["opportunity"].read_bytes() == HEADER + ROW * 1000


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_rows_and_columns_are_capped_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from accountleader.importers.rawtable import read_raw
    from accountleader.importers.source import Source

    def write(name: str, columns: int, rows: int) -> Path:
        path = tmp_path / f"{name}{suffix}"
        table = pa.table({f"c{i}": [str(r) for r in range(rows)] for i in range(columns)})
        if suffix == ".csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, path)
        else:
            pq.write_table(table, path)
        return path

    monkeypatch.setenv("ACCOUNTLEADER_MAX_ROWS", "100")
    monkeypatch.setenv("ACCOUNTLEADER_MAX_COLUMNS", "20")
    assert read_raw(next(iter(Source(write("fine", 20, 100)).files.values()))).table.num_rows == 100
    with pytest.raises(InputTooLarge) as exc:
        read_raw(next(iter(Source(write("long", 3, 101)).files.values())))
    assert f"long{suffix}" in str(exc.value) and "101 data rows" in str(exc.value) and "ACCOUNTLEADER_MAX_ROWS" in str(exc.value)
    with pytest.raises(InputTooLarge) as exc:
        read_raw(next(iter(Source(write("wide", 21, 2)).files.values())))
    assert f"wide{suffix}" in str(exc.value) and "21 columns" in str(exc.value) and "ACCOUNTLEADER_MAX_COLUMNS" in str(exc.value)


def test_stale_upload_directories_are_removed_at_start_up(tmp_path: Path) -> None:
    from accountleader.web.limits import remove_stale_uploads

    workspace = tmp_path / "ws"
    old, fresh = workspace / ".upload-crashed", workspace / ".upload-in-flight"
    for d in (old, fresh):
        d.mkdir(parents=True)
        (d / "export.zip").write_bytes(b"PK")
    two_hours_ago = time.time() - 7200
    for p in (old, old / "export.zip"):
        os.utime(p, (two_hours_ago, two_hours_ago))
    (workspace / ".upload-file").write_text("not a directory")

    web = WebApp(workspace, f"sqlite:///{tmp_path / 'app.sqlite'}")  # create_app cleans up
    try:
        assert not old.exists() and fresh.exists() and (workspace / ".upload-file").exists()
        assert remove_stale_uploads(workspace, older_than=0) == [fresh]
    finally:
        web.close()
