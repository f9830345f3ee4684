"""Imports and analyses started from the web run in a background thread, one at a time.

Pages keep serving the previous results meanwhile (the engine swaps result files
atomically); the job's state, step and progress are shown by ``GET /api/v1/import`` and
``GET /api/v1/import/job``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import AccountLeaderError, ImportRejected, WorkspaceBusy

log = logging.getLogger("accountleader.web")

Update = Callable[[str, str, float], None]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    kind: str  # "import" or "analysis"
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "running"  # running, done, failed
    phase: str = "starting"  # upload, import, analysis
    step: str = "starting"
    progress: float = 0.0
    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    error: dict[str, Any] | None = None
    result: dict[str, Any] | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    def update(self, phase: str, step: str, fraction: float) -> None:
        self.phase, self.step, self.progress = phase, step, round(max(self.progress, min(fraction, 1.0)), 3)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ImportRejected):
        return {"code": "import_rejected", "message": exc.summary(), "problems": [p.as_dict() for p in exc.problems],
                "truncated": exc.truncated}
    if isinstance(exc, AccountLeaderError):
        return {"code": type(exc).__name__, "message": str(exc)}
    log.error("background job failed", exc_info=exc)
    return {"code": "internal_error", "message": "something went wrong on our side; it has been logged"}


def start(holder: Any, kind: str, work: Callable[[Update], dict[str, Any]],
          cleanup: Callable[[], None] = lambda: None, after: Callable[[], object] = lambda: None) -> Job:
    """Run ``work`` in a thread as ``holder.job``; ``holder.write_lock`` keeps it to one at a time.

    ``cleanup`` runs on every path: when the job ends, fails, or cannot start. ``after`` runs
    once the job is reported done (e.g. rebuilding cached pages); its errors are only logged."""
    if not holder.write_lock.acquire(blocking=False):
        cleanup()
        raise WorkspaceBusy("another import or analysis is running; try again when it has finished")
    job = Job(kind)

    def run() -> None:
        try:
            job.result = work(job.update)
            job.state, job.progress, job.step = "done", 1.0, "done"
        except BaseException as exc:  # noqa: BLE001 - reported on the job, never lost in a thread
            job.state, job.error = "failed", _error(exc)
        finally:
            job.finished_at = _now()
            try:
                cleanup()
            finally:
                holder.write_lock.release()
        if job.state == "done":
            try:
                after()
            except Exception:  # noqa: BLE001 - the job is done; a failed warm-up only costs speed
                log.exception("after the background job")

    try:
        holder.job = job
        threading.Thread(target=run, name=f"accountleader-{kind}", daemon=True).start()
    except BaseException:
        holder.write_lock.release()
        cleanup()
        raise
    return job
