"""The one object every front end holds: open, import, status, analyze, report.

It is the only place that wires importers, engine and store together.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from . import __version__
from .config import APP_SQLITE_FILE, SETTINGS_FILE, WorkspaceSettings, environment, workspace_file
from .domain.access import EVERYONE, Scope
from .domain.as_of import AsOf
from .engine import storage
from .errors import AccountLeaderError, AlreadyDone, InputError, NotFoundError, WorkspaceCorrupt

# Ibis, pandas, the engines, the analysis and the importers load in the methods that use them:
# opening a workspace and reading stored results must start fast (issue 12, fast start).
if TYPE_CHECKING:
    import ibis
    import pyarrow as pa

    from .domain.scenarios import ScenarioFile
    from .engine import connect as engine_connect
    from .engine import data_quality
    from .importers import ImportBatch
    from .playbooks import Playbooks
    from .requests import Requests
    from .results_reader import ResultsReader
    from .store import Store
    from .support_maps import SupportMaps

Progress = Callable[[str, float], None]

CRM_DB = "crm.duckdb"
RESULTS_DB = "results.duckdb"
QUALITY_FILE = "quality.json"

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
    # the import report: per file, the table it fed, rows and {canonical column: source column(s)}
    sources: list[dict[str, Any]] = field(default_factory=list)
    rows: int = field(init=False)

    def __post_init__(self) -> None:
        self.rows = sum(self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AnalysisSummary:
    as_of: str
    tables: dict[str, int]
    fit: dict[str, Any]
    notes: list[str]
    reused: bool
    seconds: float
    # what set the as-of ("given", or e.g. "the last deal closed") and what was excluded
    as_of_basis: str = "given"
    artefacts: list[dict[str, Any]] = field(default_factory=list)
    # the win model's basis, reason and out-of-fold figures (docs/metrics.md, "Win probability")
    win: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def when(self) -> AsOf:
        """``as_of`` (stored as naive-UTC ISO text) as the one as-of type."""
        return AsOf.of(self.as_of)

    @classmethod
    def from_meta(cls, meta: dict[str, Any], *, reused: bool, seconds: float) -> AnalysisSummary:
        s = dict(meta["summary"])
        s = {k: v for k, v in s.items() if k in cls.__dataclass_fields__}
        s.update(reused=reused, seconds=round(seconds, 3))
        return cls(**s)


def run_analysis(*args: Any, **kwargs: Any) -> Any:
    """:func:`accountleader.engine.analyze.run_analysis`, imported when an analysis runs (it loads
    the whole analysis stack); a module-level name, so tests can stand in for it."""
    from .engine.analyze import run_analysis

    return run_analysis(*args, **kwargs)


def _fit_summary(report: Any) -> dict[str, Any]:
    return {
        "signal": report.signal,
        "reason": report.reason,
        "won_n": report.n_won,
        "lost_n": report.n_lost,
        "accounts_n": report.n_accounts,
        "base_rate": report.base_rate,
        "permutation_p": report.permutation_p,
        "auc": report.auc,
        "features_used": list(report.features_used),
        "dropped": dict(report.dropped),
    }


def _win_summary(report: Any) -> dict[str, Any] | None:
    if report is None:
        return None
    d = report.as_dict()
    return {k: d[k] for k in ("basis", "reason", "won_n", "lost_n", "base_rate", "auc", "brier", "brier_base",
                              "features_used", "dropped")}


def _parse_as_of(value: AsOf | datetime | date | str) -> datetime:
    """Naive UTC (kept for callers that still want a datetime; prefer :class:`AsOf`)."""
    return AsOf.of(value, name="--as-of").naive


#: Settings that do not change what an analysis computes (left out of the fingerprints).
# requests and notifications are read from the app database and sent at run time, not analysed
_NOT_IN_FINGERPRINT = {"results_snapshots_kept", "requests", "notifications"}
#: Views of kept snapshots (Workspace.at) each workspace keeps open (each holds DuckDB connections).
_VIEWS_KEPT_OPEN = 2



def _in_place_read(method: Callable[..., AnalysisSummary]) -> Callable[..., AnalysisSummary]:
    """Build an in-place source's mapped tables once for the whole call (the as-of, the data
    quality and the analysis read them) and drop them at its end: temporary tables on a warehouse,
    a DuckDB file's lock, cached Spark frames."""

    @functools.wraps(method)
    def run(self: Workspace, *args: Any, **kwargs: Any) -> AnalysisSummary:
        try:
            return method(self, *args, **kwargs)
        finally:
            self._release_in_place()

    return run


class Workspace:
    """A directory holding one company's CRM data, settings and results."""

    def __init__(self, path: Path, *, results_file: Path | None = None) -> None:
        self.path = Path(path)
        # A view of one kept result snapshot (see at()); None: the current results.
        self._results_file = results_file
        self._views: dict[str, Workspace] = {}
        self._settings_stamp = _stamp(self.path / SETTINGS_FILE)
        self._settings = WorkspaceSettings.load(self.path)
        # Open CRM files by path: crm.duckdb (the latest data, which analyses read) and, while
        # an import's data awaits analysis, the snapshot the results were computed from.
        self._crm_files: dict[Path, _CrmFile] = {}
        # The CRM file matching the results (pages read it), and the file stamps it was resolved at.
        self._shown: _CrmFile | None = None
        self._shown_key: tuple[Any, ...] | None = None
        self._shown_path: Path | None = None
        self._pins = 0
        self._results_con: Any = None
        self._results_mtime: Any = None
        self._quality_doc: dict[str, Any] = {}
        # Fivetran tables read in place (engine.source fivetran): mapped once, with their data
        # quality, for the analysis that opened them (released at its end, see _in_place_read)
        self._in_place: _InPlace | None = None
        self._results_names: set[str] = set()
        # page_stamp's memory: the results file it last read a data id from, and that id
        self._stamped_results: Any = None
        self._stamped_data_id: str | None = None
        # The app database (playbooks): handed over by the web app, or opened when first needed
        self._store: Store | None = None
        self._own_store = False

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str | None = None) -> Workspace:
        """Open the workspace at ``path`` or ``ACCOUNTLEADER_WORKSPACE``.

        The directory is created by the first write (an import, the demo, saved settings),
        so reading a mistyped path does not leave an empty workspace behind.
        """
        ws_path = Path(path).expanduser() if path is not None else environment().workspace
        if ws_path.exists() and not ws_path.is_dir():
            raise InputError(f"{ws_path}: workspace must be a directory", file=str(ws_path))
        if ws_path.is_dir():
            storage.remove_stale_files(ws_path)
        ws = cls(ws_path)
        ws._remove_orphan_snapshots()
        return ws

    @property
    def crm_path(self) -> Path:
        return self.path / CRM_DB

    @property
    def results_path(self) -> Path:
        """The results this object reads: the current ones, or in a view (at()) a kept snapshot."""
        return self._results_file or self.path / RESULTS_DB

    @property
    def current_results_path(self) -> Path:
        """results.duckdb: the current snapshot, what reads without an as-of (the web's default) see."""
        return self.path / RESULTS_DB

    @property
    def has_data(self) -> bool:
        return self.crm_path.exists()

    @property
    def settings(self) -> WorkspaceSettings:
        """The settings in settings.yaml now: re-read when the file changes (a CLI `settings
        set` while the server runs is seen by the server's next read)."""
        stamp = _stamp(self.path / SETTINGS_FILE)
        if stamp != self._settings_stamp:
            self._settings = WorkspaceSettings.load(self.path)
            self._settings_stamp = stamp
        return self._settings

    def save_settings(self, settings: WorkspaceSettings) -> None:
        with storage.translated(self.path / SETTINGS_FILE):
            settings.save(self.path)
        self._settings = settings
        self._settings_stamp = _stamp(self.path / SETTINGS_FILE)

    def settings_fingerprint(self) -> str:
        """A short hash of every setting; stored with the results to tell when they are stale."""
        raw = json.dumps(self.settings.model_dump(mode="json", exclude=_NOT_IN_FINGERPRINT), sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    # -- importing ----------------------------------------------------------------------------

    @staticmethod
    def check_archive(path: Path | str) -> None:
        """Raise InputTooLarge for a .zip past the size caps (a zip bomb); reads only its directory."""
        from . import importers

        importers.check_archive(Path(path))

    def import_salesforce(self, path: Path | str, *, progress: Progress | None = None) -> ImportSummary:
        from .importers import read_salesforce_export

        return self._import(lambda: read_salesforce_export(Path(path), progress=progress), progress)

    def import_fivetran(self, path: Path | str, *, progress: Progress | None = None) -> ImportSummary:
        """Fivetran-landed Salesforce tables; a Fivetran HubSpot schema is imported as HubSpot."""
        from .importers import is_hubspot, read_fivetran

        if is_hubspot(Path(path)):
            return self.import_hubspot(path, progress=progress)
        return self._import(lambda: read_fivetran(Path(path), progress=progress), progress)

    def import_hubspot(self, path: Path | str, *, progress: Progress | None = None) -> ImportSummary:
        """Fivetran's HubSpot tables or HubSpot CRM export CSVs (detected from the files)."""
        from .importers import read_hubspot

        return self._import(lambda: read_hubspot(Path(path), progress=progress), progress)

    def import_csv(self, path: Path | str, *, mapping: Path | str, progress: Progress | None = None) -> ImportSummary:
        from .importers import read_mapped_csv

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
                sources=batch.sources,
            )
            meta = {
                "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "data_id": uuid.uuid4().hex,
                "accountleader_version": __version__,
                "import": summary.as_dict(),
            }
            self._close()
            with storage.translated(self.crm_path):
                shown = self._keep_results_crm()
                storage.write_database(self.crm_path, tables, meta)
                storage.remove_snapshots(self.crm_path, keep=shown)
            # The previous results stay until the next analysis replaces them: pages keep
            # serving them, marked stale (see freshness()), instead of going blank.
        summary.seconds = round(time.perf_counter() - started, 3)
        if progress:
            progress("done", 1.0)
        return summary

    def load_demo(
        self, *, seed: int = 7, scale: float = 1.0, messy: bool = False, progress: Progress | None = None
    ) -> tuple[Path, ImportSummary]:
        """Generate the demo company as a Salesforce export, then import it like any user's data.

        ``messy`` writes it the way real orgs export (see :mod:`accountleader.demo.messy`)."""
        import shutil

        from .demo import write_demo_export
        from .demo.messy import write_messy_export

        def part(lo: float, hi: float) -> Progress | None:
            if progress is None:
                return None
            return lambda step, f: progress(step, lo + (hi - lo) * f)

        export_dir = self.path / "demo-export"
        storage.private_dir(self.path)
        if export_dir.exists():
            shutil.rmtree(export_dir)
        write = write_messy_export if messy else write_demo_export
        write(export_dir, seed=seed, scale=scale, progress=part(0.0, 0.4))
        summary = self.import_salesforce(export_dir, progress=part(0.4, 1.0))
        return export_dir, summary

    # -- analysing ----------------------------------------------------------------------------

    def data_quality(self) -> data_quality.DataQuality:
        """Stage meanings, data artefacts and the default as-of of the latest data (cached until
        the next import). In place (Fivetran tables read where they are) that is the in-place
        source, not crm.duckdb: nothing needs importing."""
        from .engine import data_quality

        if self._reads_in_place:
            source = self._in_place_source()
            if source.dq is None:
                source.dq = data_quality.assess(source.engine.tables, self.settings)
                self._write_quality(source.dq)
            return source.dq
        return self._quality_of(self._crm_file(self.crm_path))

    @property
    def _reads_in_place(self) -> bool:
        """The engine reads Fivetran tables in place: they, not crm.duckdb, are the data analysed."""
        return self.settings.engine.source == "fivetran"

    def _in_place_source(self) -> _InPlace:
        """The in-place source's canonical tables, mapped once (temporary tables on the engine)."""
        if self._in_place is None:
            from .engine import connect as engine_connect

            self._in_place = _InPlace(engine_connect.engine_source(self.settings.engine, self.crm_path))
        return self._in_place

    def _release_in_place(self) -> None:
        if self._in_place is not None:
            in_place, self._in_place = self._in_place, None
            in_place.close()

    def _quality_of(self, f: _CrmFile) -> data_quality.DataQuality:
        if f.dq is None:
            from .engine import connect as engine_connect
            from .engine import data_quality

            f.dq = data_quality.assess(engine_connect.canonical_tables(f.con), self.settings)
            if f is self._crm_files.get(self.crm_path):  # the latest data: `status` reads the file
                self._write_quality(f.dq)
        return f.dq

    def _shown_quality(self) -> data_quality.DataQuality:
        return self._quality_of(self._shown_file())

    def analysis_tables(self) -> dict[str, ibis.Table]:
        """The canonical tables with artefact columns (``closed_at``, ``artefact``, ...), as the
        metrics saw them when the stored results were computed: pages and reports read these so
        they agree with the results (during an import, the snapshot the results came from)."""
        return self._shown_quality().annotated

    def _quality_key(self) -> str:
        from .domain.results import RESULTS_FORMAT

        if self._reads_in_place:  # the source's row counts and last syncs identify its data
            data: list[Any] = [self._source_stamp()]
        else:
            st = self.crm_path.stat()
            data = [st.st_size, st.st_mtime_ns]
        raw = [*data, self.settings.artefacts.model_dump(mode="json"), self.settings.quote_stages,
               __version__, RESULTS_FORMAT]
        return hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()

    @staticmethod
    def _quality_summary(dq: data_quality.DataQuality) -> dict[str, Any]:
        from .engine import data_quality

        return {
            "default_as_of": {"at": _iso(dq.default_as_of), "basis": dq.as_of_basis},
            "logging_stopped_at": dq.logging_stopped_at.isoformat() if dq.logging_stopped_at else None,
            "stages": dq.stages,
            "artefacts": data_quality.artefact_counts(dq),
            # the first dated activity or deal: checking an --as-of (and reusing results) then
            # needs no query of the data, nor Ibis and pandas loaded to ask it
            "data_start": _iso(data_quality.data_start(dq.annotated)),
        }

    def _write_quality(self, dq: data_quality.DataQuality) -> dict[str, Any]:
        doc = {"key": self._quality_key(), **self._quality_summary(dq)}
        with contextlib.suppress(OSError):  # a read-only workspace is still readable
            storage.write_json(self.path / QUALITY_FILE, doc)
        self._quality_doc = doc
        return doc

    def quality(self) -> dict[str, Any]:
        """What `status` shows of data quality: default as-of and its basis, logging stop,
        stage meanings, artefact counts. Read from a small file written beside the data;
        recomputed when the data or the artefact settings change."""
        doc = storage.read_json(self.path / QUALITY_FILE)
        if doc is None or doc.get("key") != self._quality_key():
            if self._reads_in_place:
                self._in_place_source().dq = None
            else:
                self._crm_file(self.crm_path).dq = None
            self.data_quality()
            doc = self._quality_doc
        return {k: v for k, v in doc.items() if k != "key"}

    def results_quality(self) -> dict[str, Any]:
        """:meth:`quality` of the data the stored results were computed from (reports use it)."""
        f = self._shown_file()
        if f.quality_doc is None:
            f.quality_doc = self._quality_summary(self._quality_of(f))
        return f.quality_doc

    def data_range(self) -> tuple[datetime | None, datetime | None]:
        """Earliest activity or deal timestamp, and the default as-of: the last day with real
        activity or deal movement (see :mod:`accountleader.domain.artefacts`)."""
        quality = self.quality()
        at = quality["default_as_of"]["at"]
        hi_ = datetime.fromisoformat(at) if at else None
        if "data_start" in quality:
            start = quality["data_start"]
            return (datetime.fromisoformat(start) if start else None, hi_)
        # a quality file written before data_start was kept in it: ask the data
        from .engine import data_quality

        t = self._in_place_source().engine.tables if self._reads_in_place else self.tables()
        return data_quality.data_start(t), hi_

    def resolve_as_of(self, as_of: AsOf | datetime | date | str | None) -> AsOf:
        """The as-of to compute for: given (checked against the data's range), or the latest
        moment in the data."""
        lo, hi = self.data_range()
        if hi is None:
            raise InputError("the workspace has no dated activity or deals to analyse")
        if as_of is None:
            return AsOf.of(hi)
        value = AsOf.of(as_of, name="--as-of")
        if lo is not None and value.naive < lo:
            raise InputError(f"--as-of {value.key} is before the data starts ({lo:%Y-%m-%d})", value=value.key)
        if value.naive > hi + timedelta(days=366):
            raise InputError(
                f"--as-of {value.key} is more than a year after the data ends ({hi:%Y-%m-%d})", value=value.key
            )
        return value

    def analyze(self, *, as_of: AsOf | datetime | date | str | None = None, progress: Progress | None = None,
                force: bool = False, current: bool = True) -> AnalysisSummary:
        """Compute every metric into result tables in the workspace (reused when nothing changed,
        unless ``force``; results that cannot be read are recomputed, never reused).

        The results are kept as the snapshot of their as-of date (docs/data-model.md, "Result
        snapshots"). ``current`` (the default) also makes them the current results, the ones
        the web shows by default; ``current=False`` (``report --as-of``) leaves those as they
        were. Then every open playbook's trigger is checked against them (reused ones too); the
        alerts that fired are added to the summary's notes."""
        summary = self._analyze(as_of=as_of, progress=progress, force=force, current=current)
        self._check_playbooks(summary, current=current)
        return summary

    def _check_playbooks(self, summary: AnalysisSummary, *, current: bool) -> None:
        """Playbook triggers against these results; a workspace without an app database has none."""
        if not self.has_app_store():
            return
        try:
            fired = self.playbooks().evaluate(None if current else summary.when)
        except AccountLeaderError as exc:  # the results stand; say why the triggers were not checked
            summary.notes.append(f"playbook triggers were not checked: {exc}")
            return
        summary.notes.extend(f"playbook alert for {a['owner']}: {a['title']} (playbook {a['playbook_id']}): "
                             f"{a['evidence']}" for a in fired)

    def has_app_store(self) -> bool:
        """Whether there is an app database to read playbooks from (attached, configured, or the
        workspace's app.sqlite), without creating one."""
        # the file name from config, not store.db: importing the store loads SQLAlchemy and
        # Alembic (0.9 s), which a reused analysis without an app database never needs
        return self._store is not None or environment().database_url is not None or (self.path / APP_SQLITE_FILE).exists()

    def attach_store(self, store: Store) -> None:
        """Use this app database (the web app's) for playbooks; the caller closes it."""
        self._store, self._own_store = store, False

    def app_store(self) -> Store:
        """The app database: the attached one, or ACCOUNTLEADER_DATABASE_URL / <workspace>/app.sqlite."""
        if self._store is None:
            from .store import default_url, open_store

            self._store, self._own_store = open_store(default_url(self.path, environment().database_url)), True
        return self._store

    def playbooks(self, store: Store | None = None) -> Playbooks:
        """Playbooks, their alerts and scenario readiness, over ``store`` (default: app_store())
        and this workspace's results."""
        from .playbooks import Playbooks

        return Playbooks(store or self.app_store(), self.reader)

    def support_maps(self, store: Store | None = None) -> SupportMaps:
        """Support maps (issue 14): the CRM drafts in these results with people's edits from
        ``store`` (default: app_store()) laid over them; who may read and change which."""
        from .support_maps import SupportMaps

        return SupportMaps(store or self.app_store(), self.reader,
                           readiness_settings=lambda: getattr(self.settings, "readiness", None))

    def requests(self, store: Store | None = None) -> Requests:
        """Support requests (issue 15) in ``store`` (default: app_store()): who may see and change
        which, their figures, and email about each change when notifications are set up."""
        from .notifications import notifier
        from .requests import Requests

        return Requests(store or self.app_store(), self.reader, settings=lambda: self.settings,
                        notify=notifier(lambda: self.settings.notifications))

    @_in_place_read
    def _analyze(self, *, as_of: AsOf | datetime | date | str | None = None, progress: Progress | None = None,
                 force: bool = False, current: bool = True) -> AnalysisSummary:
        started = time.perf_counter()
        when = self.resolve_as_of(as_of)
        desk = self._desk_quote_requests()
        fingerprint = self._fingerprint(when, desk)
        unreadable = None
        if not force:
            try:
                meta = storage.read_meta(self.current_results_path, check=True)
            except WorkspaceCorrupt as exc:
                meta, unreadable = {}, str(exc)
            if meta.get("fingerprint") == fingerprint:
                if progress:
                    progress("results are up to date", 1.0)
                return AnalysisSummary.from_meta(meta, reused=True, seconds=time.perf_counter() - started)
            kept = storage.result_snapshot_path(self.current_results_path, when)
            try:
                # the current results are sound (or absent): a kept snapshot of this as-of may serve
                kept_meta = storage.read_meta(kept, check=True) if unreadable is None else {}
            except WorkspaceCorrupt:
                kept_meta = {}
            if kept_meta.get("fingerprint") == fingerprint:
                if current:
                    with storage.exclusive(self.path, "import or analysis"), storage.translated(kept):
                        storage.make_current(self.current_results_path, kept)
                        storage.remove_snapshots(self.crm_path, keep=kept_meta.get("data_id"))
                if progress:
                    progress("results are up to date", 1.0)
                return AnalysisSummary.from_meta(kept_meta, reused=True, seconds=time.perf_counter() - started)
        with storage.exclusive(self.path, "import or analysis"):
            engine = self.settings.engine
            local = engine.kind == "duckdb" and engine.source == "workspace"
            dq = self.data_quality()
            # in place, the tables the data quality was assessed on: mapped once for the analysis
            in_place = self._in_place_source().engine.tables if self._reads_in_place else None
            # on DuckDB the engine writes the result tables into this draft of the new results file
            # itself (their rows never pass through Python); it is kept below, or removed
            draft = storage.results_draft(self.current_results_path, when)
            try:
                result = run_analysis(
                    in_place or self.engine_tables(), as_of=when.naive, settings=self._settings_for_analysis(),
                    progress=progress, quality=dq if local or in_place else None,
                    sql_cache_dir=self.path / "cache" / "sql", results_file=draft,
                    desk_quote_requests=_desk_table(desk) if desk else None,
                )
            except BaseException:
                storage.discard(draft)
                raise
            summary = AnalysisSummary(
                as_of=when.iso(),
                tables=result.rows,
                fit=_fit_summary(result.fit_report),
                win=_win_summary(result.win_report),
                notes=[*([f"the previous results could not be read and were recomputed: {unreadable}"] if unreadable else []),
                       *result.notes, *(f"account fit: {why}." for why in result.fit_report.dropped.values())],
                reused=False,
                seconds=round(time.perf_counter() - started, 3),
                as_of_basis=dq.as_of_basis if as_of is None else "given",
                artefacts=[a for a in self.quality()["artefacts"] if a["count"]],
            )
            stamp = {
                "fingerprint": fingerprint,
                "summary": summary.as_dict(),
                "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "data_id": storage.read_meta(self.crm_path).get("data_id"),
                "settings_fingerprint": self.settings_fingerprint(),
            }
            with storage.translated(self.current_results_path):
                storage.write_results(self.current_results_path, result.tables, stamp, when, current=current,
                                      keep=self.settings.results_snapshots_kept, drafted=bool(result.written))
                if current:
                    # the results now match crm.duckdb: the previous data's snapshot is done with
                    storage.remove_snapshots(self.crm_path)
        return summary

    def freshness(self) -> dict[str, Any]:
        """How the stored results relate to the data and settings now.

        ``stale`` is true when data was imported or settings changed since the results were
        computed; ``reasons`` says which.  Pages show the previous results with this notice
        until the next analysis replaces them."""
        data = storage.read_meta(self.crm_path) if self.has_data else {}
        out: dict[str, Any] = {"results_at": None, "as_of": None, "data_imported_at": data.get("imported_at"),
                               "has_results": False, "stale": False, "reasons": []}
        try:
            res = storage.read_meta(self.results_path)
        except WorkspaceCorrupt as exc:
            return out | {"stale": True, "reasons": [str(exc)]}
        if not res:
            return out
        out.update(has_results=True, results_at=res.get("computed_at"), as_of=res.get("summary", {}).get("as_of"))
        if data.get("data_id") and res.get("data_id") != data.get("data_id"):
            out["reasons"].append(f"new data imported at {data.get('imported_at')}")
        if res.get("settings_fingerprint") and res["settings_fingerprint"] != self.settings_fingerprint():
            out["reasons"].append("settings changed since")
        out["stale"] = bool(out["reasons"])
        return out

    def _settings_for_analysis(self) -> WorkspaceSettings:
        """The settings with files they name resolved inside the workspace (refused outside it)."""
        rules = self.settings.icp_rules_file
        if not rules:
            return self.settings
        path = workspace_file(self.path, rules, setting="icp_rules_file")
        return self.settings.model_copy(update={"icp_rules_file": str(path)})

    def fit_report(self, *, as_of: AsOf | datetime | date | str | None = None) -> dict[str, Any]:
        """Fit the account model on the data as of ``as_of`` and return its measurement:
        out-of-fold AUC, log-loss and Brier against the base rate, permutation p, the
        features used and those dropped with reasons (`accountleader model fit`)."""
        from .domain.scoring.fit import fit_account_scores
        from .engine.analyze import _fit_features

        when = self.resolve_as_of(as_of)
        report = fit_account_scores(_fit_features(self.data_quality().annotated, when.naive)).report
        return {"as_of": when.iso(), **report.as_dict()}

    def win_report(self, *, as_of: AsOf | datetime | date | str | None = None) -> dict[str, Any]:
        """Fit the win model on the deals closed by ``as_of`` and return its measurement:
        out-of-fold AUC, Brier and log-loss against the base rate, calibration bins, the basis
        and the features used and dropped (`accountleader model win`)."""
        from .engine.win_model import model_report

        when = self.resolve_as_of(as_of)
        return {"as_of": when.iso(), **model_report(self.data_quality().annotated, when.naive, self.settings)}

    def backtest(self, *, date_from: AsOf | datetime | date | str | None = None,
                 date_to: AsOf | datetime | date | str | None = None) -> dict[str, Any]:
        """Replay the win model at each month start from ``date_from`` (default: a year before the
        data ends) to ``date_to`` (default: the end), beside the CRM's stage probability and the
        historical stage rate (`accountleader backtest`, docs/metrics.md "Backtest"). Kept in
        cache/backtest/ until the data, settings or version change."""
        from .engine.win_model import run_backtest

        def day(value: Any) -> datetime:  # a date's midnight: replays start at the month starts from it
            d = self.resolve_as_of(value).naive
            return datetime(d.year, d.month, d.day)

        data_end = self.resolve_as_of(None)
        end = data_end.naive
        lo = day(date_from) if date_from is not None else end - timedelta(days=365)
        hi = self.resolve_as_of(date_to).naive if date_to is not None else end
        # kept in cache/backtest/ under the data, settings and version it was computed from
        # (the fingerprint of an analysis) and the range: the web page and the report reuse it
        key = hashlib.sha256(json.dumps([self._fingerprint(data_end), lo.isoformat(), hi.isoformat()]).encode()).hexdigest()
        kept = self.path / "cache" / "backtest" / f"{key}.json"
        with contextlib.suppress(OSError, ValueError):
            return dict(json.loads(kept.read_text(encoding="utf-8")))
        result = run_backtest(self.data_quality().annotated, data_end=end, date_from=lo, date_to=hi,
                              settings=self.settings)
        text = json.dumps(result, default=_plain_number)
        _write_private(kept, text)
        with contextlib.suppress(OSError):  # the 16 most recent are kept
            for old in sorted(kept.parent.glob("*.json"), key=lambda f: f.stat().st_mtime, reverse=True)[16:]:
                old.unlink(missing_ok=True)
        return dict(json.loads(text))

    def support_maps_as_seen(self, opportunity_ids: list[str], reader: ResultsReader | None = None
                             ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], set[str]]:
        """``(maps, signals, covered)`` of these deals, in one read each: each deal's support map as
        people see it (the CRM draft with the app store's edits, when there is an app database),
        its ``opportunity_readiness`` row, and the deals an open playbook covers. Deals the
        results hold no signals for (closed, or analysed before issue 14) are left out."""
        from .domain.readiness import draft_map
        from .domain.support_map import merge

        reader = reader or self.reader()
        inputs = reader.readiness_inputs(opportunity_ids)
        signals = {s["opportunity_id"]: s for s in inputs["signals"]}
        people: dict[str, list[dict[str, Any]]] = {}
        backers: dict[str, list[dict[str, Any]]] = {}
        for p in inputs["stakeholders"]:
            people.setdefault(p["opportunity_id"], []).append(p)
        for b in inputs["backers"]:
            backers.setdefault(b["opportunity_id"], []).append(b)
        maps = {oid: draft_map(oid, people.get(oid, []), backers.get(oid, [])) for oid in signals}
        covered: set[str] = set()
        if signals and self.has_app_store():
            from .store import playbooks as playbook_records
            from .store import support_maps as map_records

            store = self.app_store()
            for oid, kept in map_records.read_maps(store, opportunity_ids=list(signals)).items():
                maps[oid] = merge(maps[oid], kept.stakeholders, kept.backers, version=kept.version,
                                  updated_by=kept.updated_by, updated_at=kept.updated_at)
            covered = {p.subject_id for p in playbook_records.list_playbooks(store, status="open",
                                                                            subject_ids=list(signals))}
        return maps, signals, covered

    def seed_demo_requests(self, *, seed: int = 7, scale: float = 1.0, store: Store | None = None) -> dict[str, Any]:
        """Plant the demo company's support requests in the app database (issue 15;
        :mod:`accountleader.demo.request_plants`): app users for the CRM people involved (random
        passwords), and each request step by step. Writes the truth beside the demo export.
        Refused when the app database already holds requests (nothing is planted twice)."""
        import pyarrow.compute as pc

        from .demo.clock import AS_OF
        from .demo.request_plants import TRUTH_FILE, plan_requests
        from .store import requests as request_records

        svc = self.requests(store)
        if request_records.read_requests(svc.store):
            raise AlreadyDone("the app database holds support requests already: the demo's are planted only into "
                              "one without any")
        people = self.tables()["users"].select("user_id", "name", "function").to_pyarrow().to_pylist()
        opps = self.tables()["opportunities"].select("opportunity_id", "owner_id", "created_at").to_pyarrow()
        opps = opps.filter(pc.is_valid(opps["owner_id"]))
        deals: dict[str, list[str]] = {}
        for oid, owner in zip(opps["opportunity_id"].to_pylist(), opps["owner_id"].to_pylist(), strict=True):
            deals.setdefault(owner, []).append(oid)
        role = {"seller": "rep", "manager": "manager", "support": "support"}
        chosen = [p for p in people if p["function"] in role]
        support = [p["user_id"] for p in chosen if p["function"] == "support"]
        requesters = [p["user_id"] for p in chosen if p["function"] == "seller" and deals.get(p["user_id"])]
        planned, truth = plan_requests(seed, support=support, requesters=requesters,
                                       deals={k: sorted(v) for k, v in deals.items()}, as_of=AS_OF, scale=scale)
        involved = {p.requester for p in planned} | {p.assignee for p in planned}
        taken: set[str] = set()
        logins = {}
        for p in sorted(chosen, key=lambda x: x["user_id"]):
            if p["user_id"] in involved:
                logins[p["user_id"]] = (_login_name(p["name"], p["user_id"], taken), role[p["function"]])
        done = svc.seed(planned, logins)
        target = self.path / "demo-export"
        target.mkdir(parents=True, exist_ok=True)
        (target / TRUTH_FILE).write_text(truth.to_json(), encoding="utf-8")
        return {**done, "resourceful_support_users": sorted(truth.resourceful_support_users),
                "overruled_support_users": sorted(truth.overruled_support_users)}

    def with_request_figures(self, reps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``reps`` rows with each seller's ``consultation_rate`` and ``proposal_adoption_rate``
        as a requester of support requests (issue 15), each with ``_n`` and ``_reason``, from the
        app database (every request: the command line's view). Without an app database the
        rates are None and the reason says so."""
        from .domain import requests as rules

        names = ("consultation_rate", "proposal_adoption_rate")
        figures: dict[str, dict[str, Any]] = {}
        if self.has_app_store():
            svc = self.requests()
            figures, least = svc.per_seller(), svc.min_decisions()
            none = {n: rules.rate(0, 0, min_n=least, noun="decision" if n == names[0] else "decided proposal")
                    .flat(n) for n in names}
            empty = {k: v for flat in none.values() for k, v in flat.items() if not k.endswith(("_low", "_high"))}
        else:
            empty = {k: v for n in names for k, v in {n: None, f"{n}_n": 0,
                                                      f"{n}_reason": "no app database: no support requests"}.items()}
        return [{**r, **figures.get(str(r.get("user_id")), empty)} for r in reps]

    def with_readiness(self, rows: list[dict[str, Any]], reader: ResultsReader | None = None) -> list[dict[str, Any]]:
        """Opportunity rows with proposal readiness and momentum (``domain.readiness.readiness_fields``):
        each open deal assessed over its signals, its support map as people see it and whether an
        open playbook covers it (:meth:`support_maps_as_seen`). Closed deals and results from
        before issue 14 get none, with a note."""
        from .domain.readiness import assess, readiness_fields

        reader = reader or self.reader()
        maps, signals, covered = self.support_maps_as_seen(
            [r["opportunity_id"] for r in rows if not r.get("is_closed")], reader)
        as_of = datetime.fromisoformat(reader.as_of) if signals else None
        out = []
        for row in rows:
            oid = row["opportunity_id"]
            s = signals.get(oid)
            r = None
            if s is not None and as_of is not None:
                r = assess({**s, "has_playbook": oid in covered}, maps[oid], as_of=as_of,
                           settings=self.settings.readiness)
            out.append({**row, **readiness_fields(r, s)})
        return out

    def readiness_backtest(self, *, date_from: AsOf | datetime | date | str | None = None) -> dict[str, Any]:
        """Proposal readiness replayed on history (`accountleader readiness backtest`, docs/metrics.md
        "Readiness backtest"): each deal closed by the end of the data that entered the proposal
        stage from ``date_from`` (default: 18 months before the end), looked at as it entered it;
        the AUC for won against lost and each gap's effect."""
        from .engine.readiness_backtest import run_readiness_backtest

        end = self.resolve_as_of(None).naive
        since = self.resolve_as_of(date_from).naive if date_from is not None else end - timedelta(days=548)
        return run_readiness_backtest(self.data_quality().annotated, data_end=end, since=since,
                                      settings=self.settings)

    def _source_stamp(self) -> list[dict[str, Any]] | None:
        """Row counts and last syncs of Fivetran tables read in place; None for the workspace's
        own file (its size and modification time identify it, and nothing heavy need load)."""
        if self.settings.engine.source != "fivetran":
            return None
        from .engine import connect as engine_connect

        return engine_connect.source_stamp(self.settings.engine, self.path)

    def _desk_quote_requests(self) -> list[tuple[str, str | None, datetime]]:
        """Quote requests made through the support desk (store/requests.py), for quote turnaround;
        none without an app store (the store is not opened, nor SQLAlchemy imported, then)."""
        if not self.has_app_store():
            return []
        from .store.requests import quote_requests

        return quote_requests(self.app_store())

    def _fingerprint(self, as_of: AsOf, desk: list[tuple[str, str | None, datetime]] | None = None) -> str:
        """What the results depend on; ``desk``: the desk's quote requests (a new one recomputes)."""
        from .domain.results import RESULTS_FORMAT

        # Fivetran tables read in place change with every sync, not with the workspace file
        source = self._source_stamp()
        st = None if source is not None else self.crm_path.stat()
        raw = json.dumps(
            [st.st_size if st else None, st.st_mtime_ns if st else None, as_of.iso(), self.settings.model_dump(mode="json", exclude=_NOT_IN_FINGERPRINT),
             __version__, RESULTS_FORMAT,
             source, *([[list(map(str, r)) for r in desk]] if desk else [])],
            sort_keys=True, default=str,
        )
        return hashlib.sha256(raw.encode()).hexdigest()

    def analysis(self) -> AnalysisSummary:
        """The summary of the stored results (raises when analyze has not run on this data).

        Read through the open results connection: pages ask for it several times each."""
        rows = self.results(storage.META_TABLE).to_pyarrow().to_pylist()
        meta = {r["key"]: json.loads(r["value"]) for r in rows}
        if "summary" not in meta:
            raise storage.corrupt(self.results_path, "it has no analysis summary")
        return AnalysisSummary.from_meta(meta, reused=True, seconds=0.0)

    # -- result snapshots, one per as-of date ----------------------------------------------------

    def snapshots(self) -> list[dict[str, Any]]:
        """The kept result snapshots, oldest as-of first: ``date``, ``as_of``, ``label``,
        ``current`` (what the web shows by default), ``computed_at``, and ``stale`` when they
        were computed from other data than the latest import."""
        latest = storage.read_meta(self.crm_path).get("data_id") if self.has_data else None
        return [s.as_dict() | {"stale": bool(latest and s.data_id and s.data_id != latest)}
                for s in storage.result_snapshots(self.current_results_path)]

    def at(self, as_of: AsOf | datetime | date | str | None) -> Workspace:
        """The workspace as it reads the results kept for ``as_of``'s date: every read of the
        returned object (reps, views, analysis(), reports) sees that snapshot and the CRM data
        it was computed from. ``None``, or the date of the current results, gives this object.
        Raises NotFoundError when no results for that date are kept."""
        when = AsOf.optional(as_of)
        path = self.snapshot_file(when)
        if when is None or path is None:
            return self
        view = self._views.pop(when.key, None)
        if view is None or view.results_path != path:
            if view is not None:
                view.close()
            view = Workspace(self.path, results_file=path)
        self._views[when.key] = view  # most recently used last; a few are kept open
        while len(self._views) > _VIEWS_KEPT_OPEN:
            self._views.pop(next(iter(self._views))).close()  # reopens by itself if used again
        return view

    def snapshot_file(self, as_of: AsOf | None) -> Path | None:
        """The file of the results kept for ``as_of``'s date, or None when that is the current
        results (or ``as_of`` is None). Raises NotFoundError when none are kept for that date."""
        if as_of is None:
            return None
        snap = storage.find_result_snapshot(self.current_results_path, as_of)
        if snap is None:
            kept = ", ".join(s.as_of.key for s in storage.result_snapshots(self.current_results_path)) or "none"
            raise NotFoundError(f"no results kept for as-of {as_of.key} (kept: {kept}); "
                                f"run `accountleader report --as-of {as_of.key}` or `accountleader analyze --as-of {as_of.key}`")
        if snap.current or storage.same_file(snap.path, self.current_results_path):
            return None
        return snap.path

    def results(self, name: str) -> ibis.Table:
        """A stored result table (reps, account_results, opportunity_results, ...)."""
        if self._pins and self._results_con is not None and name in self._results_names:
            return self._results_con.table(name)  # pinned: this read sees one pair of files
        if not self.results_path.exists():
            if self._results_file is not None:
                raise NotFoundError(f"the results kept for as-of {self._results_file.stem} were pruned; "
                                    "`accountleader show snapshots` lists those kept")
            raise InputError("no results yet: run `accountleader analyze` first")
        mtime = _stamp(self.results_path)
        if self._results_con is None or mtime != self._results_mtime:
            from .engine import connect as engine_connect

            if self._results_con is not None:
                engine_connect.disconnect(self._results_con)
            self._results_con = None
            self._results_con = engine_connect.connect_duckdb(
                self.results_path, memory_limit=self.settings.engine.duckdb_memory_limit, workspace=self.path
            )
            self._results_names = set(self._results_con.list_tables())
            self._results_mtime = mtime
        if name not in self._results_names:
            raise storage.corrupt(self.results_path, f"table {name} is missing")
        return self._results_con.table(name)

    # -- reading ------------------------------------------------------------------------------

    def _crm_file(self, path: Path) -> _CrmFile:
        """An open read-only connection to a CRM file, reopened when the file is replaced."""
        if path == self.crm_path and not self.has_data:
            raise InputError(
                f"workspace {self.path} has no data yet; run `accountleader import ...` or `accountleader demo`"
            )
        stamp = _stamp(path)
        f = self._crm_files.get(path)
        if f is None or f.stamp != stamp:
            # the same file already open under another name (the snapshot is a hard link of the
            # old crm.duckdb): keep its connection and annotated tables
            same = next((g for g in [*self._crm_files.values(), self._shown]
                         if g is not None and stamp is not None and g.stamp == stamp and g.con is not None), None)
            if f is not None:
                self._release(self._crm_files.pop(path))
            if same is not None:
                f = self._crm_files[path] = same
            else:
                from .engine import connect as engine_connect

                con = engine_connect.connect_duckdb(path, memory_limit=self.settings.engine.duckdb_memory_limit,
                                                    workspace=self.path)
                f = self._crm_files[path] = _CrmFile(path, stamp, con)
        for other in [p for p in self._crm_files if p not in (path, self.crm_path)
                      and p != self._shown_path]:
            self._release(self._crm_files.pop(other))
        return f

    def _release(self, f: _CrmFile) -> None:
        """Close a CRM file no longer wanted, unless the current read is pinned to it."""
        if f is not self._shown and all(f is not other for other in self._crm_files.values()):
            f.close()

    def _shown_file(self) -> _CrmFile:
        """The CRM file the stored results were computed from: crm.duckdb, or while newer
        data awaits analysis, the snapshot the import kept (``crm.<data_id>.duckdb``)."""
        if self._pins and self._shown is not None:
            return self._shown
        key = (_stamp(self.results_path), _stamp(self.crm_path))
        if self._shown is not None and key == self._shown_key and _stamp(self._shown_path) == self._shown.stamp:
            return self._shown
        found, found_path = None, self.crm_path
        for _ in range(3):
            data_id = self._results_data_id()
            snap = storage.snapshot_path(self.crm_path, data_id)
            path = snap if snap is not None and snap.exists() else self.crm_path
            try:
                f = self._crm_file(path)
            except WorkspaceCorrupt:
                if path == self.crm_path:
                    raise
                continue  # the analysis that replaced the results removed it just now: look again
            found, found_path = f, path
            if data_id is None or path != self.crm_path or f.data_id() == data_id:
                break
            # crm.duckdb holds newer data: an import kept the snapshot just now, or the results
            # predate snapshots (then crm.duckdb is the best there is; the banner says stale)
        if found is None:
            found = self._crm_file(self.crm_path)
        old, self._shown, self._shown_key, self._shown_path = self._shown, found, key, found_path
        if old is not None and old is not found:
            self._release(old)
        return found

    def page_stamp(self, *, with_latest_crm: bool = False) -> tuple[Any, ...]:
        """Stamps of the files a page is built from: the results, the CRM file they were
        computed from (crm.duckdb, or the snapshot an import kept until the analysis replaces
        them) and settings.yaml; ``with_latest_crm`` adds crm.duckdb itself (what freshness
        reports on). An import alone changes none of the first three. Cheap: stat calls, and
        one metadata read when the results file changes."""
        results = _stamp(self.results_path)
        if results != self._stamped_results:
            data_id = None
            with contextlib.suppress(AccountLeaderError, OSError):
                data_id = storage.read_meta(self.results_path).get("data_id")
            self._stamped_results, self._stamped_data_id = results, data_id
        snapshot = storage.snapshot_path(self.crm_path, self._stamped_data_id)
        crm = (_stamp(snapshot) if snapshot is not None else None) or _stamp(self.crm_path)
        out = (results, crm, _stamp(self.path / SETTINGS_FILE))
        return (*out, _stamp(self.crm_path)) if with_latest_crm else out

    def is_busy(self) -> bool:
        """Whether another process holds the workspace's import/analysis lock."""
        return storage.is_busy(self.path)

    def _results_data_id(self) -> str | None:
        try:
            meta = self.results(storage.META_TABLE)
            rows = meta.filter(meta.key == "data_id").to_pyarrow().to_pylist()
        except (InputError, WorkspaceCorrupt):
            return None
        return json.loads(rows[0]["value"]) if rows else None

    @contextlib.contextmanager
    def pinned(self) -> Iterator[Workspace]:
        """Within this block every read sees one results file and the CRM file it was computed
        from, even if an import or an analysis replaces files meanwhile (one page, one snapshot)."""
        if self._pins:
            yield self
            return
        with contextlib.suppress(AccountLeaderError):  # the read itself reports what is missing
            self._shown_file()
        self._pins += 1
        try:
            yield self
        finally:
            self._pins -= 1

    def _keep_results_crm(self) -> str | None:
        """Before crm.duckdb is replaced: the data id the results were computed from, kept as
        a snapshot when crm.duckdb holds it, so that pages keep joining them with their data."""
        try:
            res_id = storage.read_meta(self.results_path).get("data_id")
        except WorkspaceCorrupt:
            return None
        if not res_id or not self.has_data:
            return res_id
        try:
            held = storage.read_meta(self.crm_path).get("data_id")
        except WorkspaceCorrupt:  # importing again is how an unreadable crm.duckdb is fixed
            return res_id
        if held == res_id:
            storage.keep_snapshot(self.crm_path, res_id)
        return res_id

    def _remove_orphan_snapshots(self) -> None:
        """Snapshots no reader needs any more (left by a kill -9 between two steps)."""
        found = storage.snapshots(self.crm_path)
        if not found:
            return
        # under the writers' lock, so an import in another process is not keeping one meanwhile
        with contextlib.suppress(AccountLeaderError, OSError), storage.exclusive(self.path, "import or analysis"):
            res_id = storage.read_meta(self.results_path).get("data_id")
            keep = res_id if res_id in found and storage.read_meta(self.crm_path).get("data_id") != res_id else None
            storage.remove_snapshots(self.crm_path, keep=keep)

    def _close(self) -> None:
        self._release_in_place()
        files = [*self._crm_files.values(), *([self._shown] if self._shown is not None else [])]
        self._crm_files.clear()
        self._shown = self._shown_key = self._shown_path = None
        for f in {id(f): f for f in files}.values():
            f.close()
        if self._results_con is not None:
            from .engine import connect as engine_connect

            engine_connect.disconnect(self._results_con)
            self._results_con = None

    def tables(self) -> dict[str, ibis.Table]:
        """The canonical CRM tables of the latest data, as Ibis tables (what analysis reads)."""
        from .engine import connect as engine_connect

        return engine_connect.canonical_tables(self._crm_file(self.crm_path).con)

    def results_tables(self) -> dict[str, ibis.Table]:
        """The canonical CRM tables the stored results were computed from (what pages read)."""
        from .engine import connect as engine_connect

        return engine_connect.canonical_tables(self._shown_file().con)

    def engine_tables(self) -> dict[str, ibis.Table]:
        """The canonical tables on the analytics engine chosen in settings (DuckDB by default)."""
        engine = self.settings.engine
        if engine.kind == "duckdb" and engine.source == "workspace":
            return self.tables()
        from .engine import connect as engine_connect

        return engine_connect.engine_tables(engine, self.crm_path)

    def table(self, name: str) -> ibis.Table:
        """A canonical table as the stored results saw it (pages join it with the results)."""
        from .domain.schema import TABLES

        con = self._shown_file().con
        if name in TABLES and name in con.list_tables():  # one table, not all twenty (each a DESCRIBE)
            return con.table(name)
        return self.results_tables()[name]  # its error: no data, or not a canonical table

    def status(self) -> dict[str, Any]:
        """Row counts, date ranges and data-quality warnings."""
        if not self.has_data:
            from .domain.schema import TABLES

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
            "sources": imp.get("sources", []),
            **self.quality(),
            "results": self.freshness(),
        }

    # -- reading results: through the one results reader ---------------------------------------

    def reader(self, as_of: AsOf | datetime | date | str | None = None) -> ResultsReader:
        """The results reader of the results kept for ``as_of`` (default: the current ones):
        the one way pages, reports, the CLI and the Python API read results, filtered by the
        Scope each read is given. Raises NotFoundError when no results for that date are kept."""
        from .results_reader import ResultsReader

        ws = self.at(as_of)
        return ResultsReader(results=ws.results, tables=ws.table, analysis_tables=ws.analysis_tables,
                             summary=ws.analysis)

    # Shorthands of the Python API: each is the same method of reader().

    def scope_for(self, role: str, crm_user_id: str | None) -> Scope:
        return self.reader().scope_for(role, crm_user_id)

    def reps(self, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None) -> list[dict[str, Any]]:
        return self.reader().reps(scope, team=team, rep=rep)

    def teams(self, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None) -> list[dict[str, Any]]:
        return self.reader().teams(scope, team=team, rep=rep)

    def accounts(self, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        return self.reader().accounts(scope, team=team, rep=rep, limit=limit)

    def opportunities(
        self, scope: Scope = EVERYONE, *, team: str | None = None, rep: str | None = None, open_only: bool = False, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return self.reader().opportunities(scope, team=team, rep=rep, open_only=open_only, limit=limit)

    def team_view(self, scope: Scope = EVERYONE, team: str | None = None) -> dict[str, Any]:
        return self.reader().team_view(scope, team=team)

    def seller_view(self, user_id: str, scope: Scope = EVERYONE) -> dict[str, Any]:
        return self.reader().seller_view(user_id, scope)

    def account_view(self, account_id: str, scope: Scope = EVERYONE) -> dict[str, Any]:
        return self.reader().account_view(account_id, scope)

    def opportunity_view(self, opportunity_id: str, scope: Scope = EVERYONE) -> dict[str, Any]:
        return self.reader().opportunity_view(opportunity_id, scope)

    def export_results(
        self, what: str, out: Path | str, fmt: str, *, team: str | None = None, rep: str | None = None, scope: Scope = EVERYONE
    ) -> int:
        """Write reps, accounts or opportunities to CSV or Parquet; returns rows written."""
        import pandas as pd

        if what not in ("reps", "teams", "accounts", "opportunities"):
            raise InputError(f"cannot export {what!r}; choose reps, teams, accounts or opportunities")
        rows = getattr(self.reader(), what)(scope, team=team, rep=rep)
        df = pd.DataFrame(rows)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        if fmt == "csv":
            for col in df.columns:
                if df[col].map(lambda v: isinstance(v, list)).any():
                    df[col] = df[col].map(lambda v: "; ".join(v) if isinstance(v, list) else v)
                if not (pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_datetime64_any_dtype(df[col])):
                    df[col] = df[col].map(csv_safe)  # text only: numbers stay numbers
            df.to_csv(tmp, index=False)
        elif fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            raise InputError(f"unknown format {fmt!r}; choose csv or parquet")
        os.chmod(tmp, storage.FILE_MODE)
        tmp.replace(out)
        return len(df)

    # -- the scenario forecast (issue 13, docs/forecast.md) ---------------------------------------

    def scenarios(self) -> ScenarioFile:
        """The named scenarios kept in ``scenarios.yaml`` (none while it does not exist)."""
        from .domain.scenarios import FILE_NAME, ScenarioFile, parse

        path = self.path / FILE_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ScenarioFile()
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror})", file=str(path)) from None
        return parse(text, file=str(path))

    def edit_scenarios(self, change: Callable[[ScenarioFile], ScenarioFile], *, version: int | None) -> ScenarioFile:
        """Apply ``change`` to the scenarios on disk and write the result atomically (a temporary
        file renamed over it). ``version``: the version the edit was made on; when the file has
        moved on since, the edit is refused (StaleEdit), never written over the newer one."""
        from .domain.scenarios import FILE_NAME

        path = self.path / FILE_NAME
        storage.private_dir(self.path)
        with storage.translated(path), _locked(self.path / f".{FILE_NAME}.lock"):
            doc = self.scenarios()
            doc.check_version(version)
            new = change(doc)
            tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
            tmp.write_text(new.dump(), encoding="utf-8")
            os.chmod(tmp, storage.FILE_MODE)
            os.replace(tmp, path)
        return new

    def forecast(self, scope: Scope = EVERYONE, *, months: int = 3, scenarios: list[str] | None = None,
                 simulations: int = 10_000, seed: int = 0, as_of: AsOf | datetime | date | str | None = None,
                 groups: bool = True) -> dict[str, Any]:
        """The Monte Carlo bookings forecast of the deals ``scope`` may see, base case and the
        named ``scenarios`` (default: every one in scenarios.yaml) side by side
        (:func:`accountleader.domain.forecast.simulate`). A scenario naming an account or a
        seller is left out (counted in ``scenarios_withheld``) unless it touches a deal in scope:
        its name and effect would tell of accounts and sellers the scope may not see."""
        from .domain import forecast as fc
        from .domain.scenarios import selected

        if not 1 <= months <= fc.MAX_MONTHS:
            raise InputError(f"--months must be 1 to {fc.MAX_MONTHS}, not {months}", value=str(months))
        if not 100 <= simulations <= 100_000:
            raise InputError(f"--simulations must be 100 to 100,000, not {simulations}", value=str(simulations))
        doc = self.scenarios()
        chosen = selected(doc, scenarios)
        reader = self.reader(as_of)
        day = datetime.fromisoformat(reader.as_of).date()
        deals, slip, won = fc.prepared(reader.forecast_inputs(scope, won_from=fc.quarter_start(day)), as_of=day)
        result = fc.simulate(deals, slip, as_of=day, months=months, simulations=simulations, seed=seed,
                             scenarios=chosen, won=won, groups=groups)
        shown = [s for s in result["scenarios"] if scope.sees_everything or s["matched_deals_n"]
                 or not fc.names_an_account_or_seller(s)]
        return {"as_of": reader.as_of, **{k: v for k, v in result.items() if k != "as_of"}, "scenarios": shown,
                "scenarios_withheld": len(result["scenarios"]) - len(shown), "scenarios_version": doc.version}

    def close(self) -> None:
        for view in self._views.values():
            view.close()
        self._views.clear()
        self._close()
        if self._store is not None and self._own_store:
            self._store.close()
        self._store = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: What a spreadsheet takes as the start of a formula (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A CRM text that a spreadsheet would run as a formula (``=HYPERLINK(...)``,
    ``=cmd|...``) gets a leading single quote, so it is shown as text; numbers and other
    values are returned as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@dataclass(eq=False)
class _InPlace:
    """Fivetran tables read in place, mapped once, and their data quality (see Workspace.analyze)."""

    engine: engine_connect.EngineSource
    dq: data_quality.DataQuality | None = None

    def close(self) -> None:
        if self.dq is not None:
            from .engine import data_quality

            data_quality.release(self.dq)
            self.dq = None
        self.engine.close()


@dataclass(eq=False)
class _CrmFile:
    """One open CRM database file, as it was when opened (``stamp``), and what is cached on it."""

    path: Path
    stamp: tuple[int, int, int] | None
    con: Any
    dq: data_quality.DataQuality | None = None  # its annotated tables live on the connection
    quality_doc: dict[str, Any] | None = None
    _data_id: str | None = None

    def data_id(self) -> str | None:
        if self._data_id is None:
            try:
                rows = self.con.raw_sql(f"SELECT value FROM {storage.META_TABLE} WHERE key = 'data_id'").fetchall()
            except duckdb.Error:  # no _meta: no data id to match
                rows = []
            self._data_id = json.loads(rows[0][0]) if rows else ""
        return self._data_id or None

    def close(self) -> None:
        self.dq = self.quality_doc = None
        if self.con is not None:
            from .engine import connect as engine_connect

            engine_connect.disconnect(self.con)
            self.con = None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created if needed) for the block: one edit at a time."""
    import fcntl

    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _plain_number(value: Any) -> Any:
    """A numpy number in a computed result, as JSON."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _write_private(path: Path, text: str) -> None:
    """``text`` to ``path`` atomically, owner-only (0700 folders, 0600 file); a cache that
    cannot be written is only slower."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        storage.private_dir(path.parent.parent)
        storage.private_dir(path.parent)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


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


def _desk_table(rows: list[tuple[str, str | None, datetime]]) -> Any:
    from .domain.metrics.desk_requests import desk_table

    return desk_table(rows)


def _login_name(name: str | None, user_id: str, taken: set[str]) -> str:
    """A demo app user's login: the CRM name as first.last in ASCII, unique (the id's tail when not)."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    base = ".".join(w for w in "".join(c if c.isalnum() else " " for c in plain).split()) or "user"
    login = base if base not in taken else f"{base}.{user_id[-4:].lower()}"
    taken.add(login)
    return login[:150]
