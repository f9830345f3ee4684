"""A big CSV on disk is parsed by Arrow from the file (issue 12, lean import): the same text columns,
problems and line numbers as the in-memory read of its bytes (the path small files and zips take)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from accountleader.importers import rawtable
from accountleader.importers.batch import _all_distinct
from accountleader.importers.rawtable import read_raw
from accountleader.importers.source import Source


def _big_csv(path: Path, *, bom: bool, crlf: bool) -> None:
    nl = "\r\n" if crlf else "\n"
    rows = ["Id,Subject,OwnerId"]
    for i in range(40_000):
        subject = f'"Call {i},{nl}follow-up"' if i % 997 == 0 else f"Call {i} ünïcode"
        rows.append(f"00T{i:015d},{subject},005{i % 50:015d}")
        if i == 30_001:
            rows.append("00Tbad,too,many,fields")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + nl.join(rows).encode("utf-8") + nl.encode())


@pytest.mark.parametrize(("bom", "crlf"), [(False, False), (True, True)])
def test_a_big_file_reads_the_same_from_disk_as_from_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bom: bool, crlf: bool) -> None:
    _big_csv(tmp_path / "Task.csv", bom=bom, crlf=crlf)
    assert (tmp_path / "Task.csv").stat().st_size > rawtable._HEAD  # takes the from-disk path
    src = Source(tmp_path).get("task")
    assert src is not None
    from_disk = read_raw(src)
    monkeypatch.setattr(rawtable, "_read_csv_file", lambda *a: None)
    in_memory = read_raw(src)
    assert from_disk.table.equals(in_memory.table)
    assert from_disk.table.num_rows == 40_000
    assert [(p.line, p.reason) for p in from_disk.problems] == [(p.line, p.reason) for p in in_memory.problems]
    assert len(from_disk.problems) == 1
    rows = [0, 997, 998, 30_001, 30_002, 39_999]
    expected = [in_memory.line_of(r) for r in rows]
    from_disk.release()  # the text is gone: lines come from reading the file again
    assert [from_disk.line_of(r) for r in rows] == expected
    assert expected[2] == expected[1] + 2  # the quoted value spans a line


def test_ids_of_one_width_are_checked_unique_from_their_hashes() -> None:
    ids = [f"00T{i:015d}" for i in range(50_000)]
    assert _all_distinct(pa.chunked_array([pa.array(ids[:20_000]), pa.array(ids[20_000:])]))
    assert not _all_distinct(pa.chunked_array([pa.array(ids), pa.array(ids[7:8])]))
    assert not _all_distinct(pa.chunked_array([pa.array(["a", "bb"])]))  # mixed widths: the exact count decides
