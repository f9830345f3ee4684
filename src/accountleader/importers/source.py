"""Where input files come from: a directory or a .zip, matched case-insensitively."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError


@dataclass
class SourceFile:
    name: str  # as shown to the user, e.g. "export.zip:Task.csv"
    stem: str  # lower-case file name without extension
    suffix: str  # ".csv" or ".parquet"
    _path: Path | None = None
    _zip: Path | None = None
    _member: str | None = None

    def read_bytes(self) -> bytes:
        try:
            if self._path is not None:
                return self._path.read_bytes()
            assert self._zip is not None and self._member is not None
            with zipfile.ZipFile(self._zip) as zf:
                return zf.read(self._member)
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
            with zipfile.ZipFile(loc) as zf:
                for info in sorted(zf.infolist(), key=lambda i: i.filename):
                    member = Path(info.filename)
                    if info.is_dir() or member.suffix.lower() not in {".csv", ".parquet"}:
                        continue
                    if member.name.startswith("._"):  # macOS resource forks in zips
                        continue
                    yield SourceFile(
                        f"{loc.name}:{info.filename}",
                        member.stem.lower(),
                        member.suffix.lower(),
                        _zip=loc,
                        _member=info.filename,
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


def no_known_files(source: Source, what: str) -> InputError:
    """The error for a source whose files match nothing the importer knows: names the files it saw."""
    names = sorted(f.name for f in source.files.values())
    if not names:
        seen = "it has no CSV or Parquet files"
    else:
        shown = ", ".join(names[:25]) + (f" and {len(names) - 25} more" if len(names) > 25 else "")
        seen = f"files seen: {shown}"
    return InputError(f"{source.location}: {what}; {seen}", file=str(source.location))
