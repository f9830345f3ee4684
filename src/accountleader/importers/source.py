"""Where input files come from: a directory or a .zip, matched case-insensitively."""

from __future__ import annotations

import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..config import Limits, limits
from ..errors import InputError, InputTooLarge, Problem

_CHUNK = 1 << 20


def too_large(file: str, reason: str) -> InputTooLarge:
    return InputTooLarge(problems=[Problem(file, None, None, None, reason)])


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if round(n, 1) < 1024:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


class _ZipBudget:
    """Bytes unpacked from one archive, counted as they come out (declared sizes can lie)."""

    def __init__(self, archive: Path, caps: Limits) -> None:
        self.archive = archive.name
        self.caps = caps
        self.total_cap = Limits.mb(caps.max_unzipped_mb)
        # a member cannot hold more packed bytes than the whole archive, whatever its header says
        self.archive_bytes = archive.stat().st_size
        self.seen: dict[str, int] = {}
        self._lock = threading.Lock()  # importers read members in parallel threads

    def member_cap(self, info: zipfile.ZipInfo) -> tuple[int, str]:
        """The most ``info`` may unpack to, and the variable that sets it."""
        packed = min(info.compress_size, self.archive_bytes)
        by_ratio = max(Limits.mb(self.caps.zip_ratio_after_mb), int(packed * self.caps.max_zip_ratio))
        if by_ratio < self.total_cap:
            return by_ratio, f"ACCOUNTLEADER_MAX_ZIP_RATIO={self.caps.max_zip_ratio:g}"
        return self.total_cap, f"ACCOUNTLEADER_MAX_UNZIPPED_MB={self.caps.max_unzipped_mb:g}"

    def check_declared(self, infos: list[zipfile.ZipInfo]) -> None:
        total = 0
        for info in infos:
            total += info.file_size
            cap, var = self.member_cap(info)
            if info.file_size > cap:
                ratio = info.file_size / max(1, info.compress_size)
                raise too_large(
                    f"{self.archive}:{info.filename}",
                    f"unpacks to {_size(info.file_size)} from {_size(info.compress_size)} (ratio {ratio:.0f}), "
                    f"past the cap of {_size(cap)} ({var}); a file this compressible is refused as a zip bomb",
                )
        if total > self.total_cap:
            raise too_large(
                self.archive,
                f"unpacks to {_size(total)} in all, past the cap of {_size(self.total_cap)} "
                f"(ACCOUNTLEADER_MAX_UNZIPPED_MB={self.caps.max_unzipped_mb:g})",
            )

    def read(self, zf: zipfile.ZipFile, member: str) -> bytes:
        info = zf.getinfo(member)
        cap, var = self.member_cap(info)
        name = f"{self.archive}:{member}"
        chunks: list[bytes] = []
        count = 0
        with zf.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                count += len(chunk)
                if count > cap:
                    raise too_large(name, f"unpacks to more than {_size(cap)} from {_size(info.compress_size)} "
                                          f"(its header said {_size(info.file_size)}), past the cap ({var})")
                chunks.append(chunk)
        with self._lock:
            self.seen[member] = max(count, self.seen.get(member, 0))
            total = sum(self.seen.values())
        if total > self.total_cap:
            raise too_large(self.archive, f"unpacks to more than {_size(self.total_cap)} in all "
                                          f"(ACCOUNTLEADER_MAX_UNZIPPED_MB={self.caps.max_unzipped_mb:g})")
        return b"".join(chunks)


@dataclass
class SourceFile:
    name: str  # as shown to the user, e.g. "export.zip:Task.csv"
    stem: str  # lower-case file name without extension
    suffix: str  # ".csv" or ".parquet"
    _path: Path | None = None
    _zip: Path | None = None
    _member: str | None = None
    _budget: _ZipBudget | None = None
    _size: int | None = None  # a zip member's unpacked size, as its header declares it

    @property
    def size(self) -> int:
        """Bytes the file holds (unpacked), or 0 when that cannot be told: used to pace reading."""
        if self._size is not None:
            return self._size
        try:
            return self._path.stat().st_size if self._path is not None else 0
        except OSError:
            return 0

    def read_bytes(self) -> bytes:
        try:
            if self._path is not None:
                return self._path.read_bytes()
            assert self._zip is not None and self._member is not None
            budget = self._budget or _ZipBudget(self._zip, limits())
            with zipfile.ZipFile(self._zip) as zf:
                return budget.read(zf, self._member)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError) as exc:
            raise InputError(f"{self.name}: cannot be read from the archive ({exc})", file=self.name) from None
        except OSError as exc:
            raise InputError(f"{self.name}: cannot be read ({exc.strerror or exc})", file=self.name) from None

    @property
    def path(self) -> Path | None:
        return self._path


class Source:
    """A set of input files from a directory or a zip archive."""

    def __init__(self, location: Path) -> None:
        location = Path(location)
        if not location.exists():
            raise InputError(f"{location}: no such file or directory", file=str(location))
        self.location = location
        self.files: dict[str, SourceFile] = {}
        for f in self._scan():
            # first one wins when two files differ only by case
            self.files.setdefault(f.stem, f)

    def _scan(self) -> Iterator[SourceFile]:
        loc = self.location
        if loc.is_dir():
            for p in sorted(loc.rglob("*")):
                if p.is_file() and p.suffix.lower() in {".csv", ".parquet"}:
                    yield SourceFile(p.name, p.stem.lower(), p.suffix.lower(), _path=p)
        elif zipfile.is_zipfile(loc):
            budget = _ZipBudget(loc, limits())
            with zipfile.ZipFile(loc) as zf:
                wanted = []
                for info in sorted(zf.infolist(), key=lambda i: i.filename):
                    member = Path(info.filename)
                    if info.is_dir() or member.suffix.lower() not in {".csv", ".parquet"}:
                        continue
                    if member.name.startswith("._"):  # macOS resource forks in zips
                        continue
                    wanted.append(info)
                budget.check_declared(wanted)  # before a byte is unpacked
                for info in wanted:
                    member = Path(info.filename)
                    yield SourceFile(
                        f"{loc.name}:{info.filename}",
                        member.stem.lower(),
                        member.suffix.lower(),
                        _zip=loc,
                        _member=info.filename,
                        _budget=budget,
                        _size=info.file_size,
                    )
        elif loc.suffix.lower() in {".csv", ".parquet"}:
            yield SourceFile(loc.name, loc.stem.lower(), loc.suffix.lower(), _path=loc)
        else:
            raise InputError(
                f"{loc}: expected a directory, a .zip archive, or a .csv/.parquet file", file=str(loc)
            )

    def get(self, *stems: str) -> SourceFile | None:
        for stem in stems:
            f = self.files.get(stem.lower())
            if f is not None:
                return f
        return None


def check_archive(path: Path) -> None:
    """Refuse a .zip past the size caps (a zip bomb) from its directory alone: nothing is unpacked.

    Importing checks the same again, and counts bytes as they are unpacked; this lets a front end
    refuse an upload at once, before it starts a background import.
    """
    if zipfile.is_zipfile(path):
        Source(path)


def no_known_files(source: Source, what: str) -> InputError:
    """The error for a source whose files match nothing the importer knows: names the files it saw."""
    names = sorted(f.name for f in source.files.values())
    if not names:
        seen = "it has no CSV or Parquet files"
    else:
        shown = ", ".join(names[:25]) + (f" and {len(names) - 25} more" if len(names) > 25 else "")
        seen = f"files seen: {shown}"
    return InputError(f"{source.location}: {what}; {seen}", file=str(source.location))
