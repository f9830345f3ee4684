"""The one object every front end holds: open, import, status, analyze, report.

It is the only place that wires importers, engine and store together.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from . import __version__
from .config import WorkspaceSettings, environment
from .domain.schema import TABLES
from .engine import connect as engine_connect
from .engine import storage
from .errors import InputError
from .importers import ImportBatch, read_fivetran, read_mapped_csv, read_salesforce_export

Progress = Callable[[str, float], None]

CRM_DB = "crm.duckdb"
RESULTS_DB = "results.duckdb"

# Columns whose range `status` reports, per table.
_DATE_COLUMNS = {
    "accounts": "created_at",
    "contacts": "created_at",
    "opportunities": "created_at",
    "opportunity_history": "changed_at",
    "activities": "occurred_at",
    "quotes": "created_at",
    "cases": "created_at",
}


@dataclass
class ImportSummary:
    kind: str
    source: str
    tables: dict[str, int]
    warnings: list[str]
    files_read: dict[str, int]
    files_ignored: list[str]
    seconds: float
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        self.rows = sum(self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Workspace:
    """A directory holding one company's CRM data, settings and results."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.settings = WorkspaceSettings.load(self.path)
        self._con: Any = None
        self._con_mtime: float | None = None

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str | None = None) -> Workspace:
        """Open (creating if needed) the workspace at ``path`` or ``ACCOUNTLEADER_WORKSPACE``."""
        ws_path = Path(path) if path is not None else environment().workspace
        if ws_path.exists() and not ws_path.is_dir():
            raise InputError(f"{ws_path}: workspace must be a directory", file=str(ws_path))
        ws_path.mkdir(parents=True, exist_ok=True)
        storage.remove_stale_files(ws_path)
        return cls(ws_path)

    @property
    def crm_path(self) -> Path:
        return self.path / CRM_DB

    @property
    def results_path(self) -> Path:
        return self.path / RESULTS_DB

    @property
    def has_data(self) -> bool:
        return self.crm_path.exists()

    def save_settings(self, settings: WorkspaceSettings) -> None:
        settings.save(self.path)
        self.settings = settings

    # -- importing ----------------------------------------------------------------------------

    def import_salesforce(self, path: Path | str, *, progress: Progress | None = None) -> ImportSummary:
        return self._import(lambda: read_salesforce_export(Path(path), progress=progress), progress)

    def import_fivetran(self, path: Path | str, *, progress: Progress | None = None) -> ImportSummary:
        return self._import(lambda: read_fivetran(Path(path), progress=progress), progress)

    def import_csv(self, path: Path | str, *, mapping: Path | str, progress: Progress | None = None) -> ImportSummary:
        return self._import(lambda: read_mapped_csv(Path(path), Path(mapping), progress=progress), progress)

    def _import(
        self, read: Callable[[], tuple[ImportBatch, dict[str, pa.Table]]], progress: Progress | None
    ) -> ImportSummary:
        started = time.perf_counter()
        with storage.exclusive(self.path, "import or analysis"):
            batch, tables = read()
            if progress:
                progress("writing workspace", 0.9)
            summary = ImportSummary(
                kind=batch.kind,
                source=batch.source,
                tables={name: t.num_rows for name, t in tables.items()},
                warnings=batch.warnings,
                files_read=batch.files_read,
                files_ignored=batch.files_ignored,
                seconds=0.0,
            )
            meta = {
                "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "accountleader_version": __version__,
                "import": summary.as_dict(),
            }
            self._close()
            storage.write_database(self.crm_path, tables, meta)
            # results computed from the old data no longer hold
            if self.results_path.exists():
                self.results_path.unlink()
        summary.seconds = round(time.perf_counter() - started, 3)
        if progress:
            progress("done", 1.0)
        return summary

    def load_demo(
        self, *, seed: int = 7, scale: float = 1.0, progress: Progress | None = None
    ) -> tuple[Path, ImportSummary]:
        """Generate the demo company as a Salesforce export, then import it like any user's data."""
        import shutil

        from .demo import write_demo_export

        def part(lo: float, hi: float) -> Progress | None:
            if progress is None:
                return None
            return lambda step, f: progress(step, lo + (hi - lo) * f)

        export_dir = self.path / "demo-export"
        if export_dir.exists():
            shutil.rmtree(export_dir)
        write_demo_export(export_dir, seed=seed, scale=scale, progress=part(0.0, 0.4))
        summary = self.import_salesforce(export_dir, progress=part(0.4, 1.0))
        return export_dir, summary

    # -- reading ------------------------------------------------------------------------------

    def _connection(self) -> Any:
        if not self.has_data:
            raise InputError(
                f"workspace {self.path} has no data yet; run `accountleader import ...` or `accountleader demo`"
            )
        mtime = self.crm_path.stat().st_mtime
        if self._con is None or mtime != self._con_mtime:
            self._close()
            self._con = engine_connect.connect_duckdb(self.crm_path)
            self._con_mtime = mtime
        return self._con

    def _close(self) -> None:
        if self._con is not None:
            self._con.disconnect()
            self._con = None

    def tables(self) -> dict[str, ibis.Table]:
        """The canonical CRM tables as Ibis tables."""
        return engine_connect.canonical_tables(self._connection())

    def table(self, name: str) -> ibis.Table:
        return self.tables()[name]

    def status(self) -> dict[str, Any]:
        """Row counts, date ranges and data-quality warnings."""
        if not self.has_data:
            return {"workspace": str(self.path), "has_data": False, "tables": {n: 0 for n in TABLES}, "warnings": []}
        meta = storage.read_meta(self.crm_path)
        tables = self.tables()
        counts = {name: int(t.count().execute()) for name, t in tables.items()}
        ranges: dict[str, dict[str, str | None]] = {}
        for name, column in _DATE_COLUMNS.items():
            t = tables[name]
            lo, hi = t.aggregate(lo=t[column].min(), hi=t[column].max()).execute().iloc[0]
            ranges[name] = {"column": column, "min": _iso(lo), "max": _iso(hi)}
        imp = meta.get("import", {})
        return {
            "workspace": str(self.path),
            "has_data": True,
            "imported_at": meta.get("imported_at"),
            "source": {"kind": imp.get("kind"), "path": imp.get("source")},
            "tables": counts,
            "date_ranges": ranges,
            "warnings": imp.get("warnings", []),
            "files_ignored": imp.get("files_ignored", []),
        }

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
