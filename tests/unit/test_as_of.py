"""The one as-of type: parsing at the edge, its forms, ordering, and clear errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from accountleader.domain.as_of import AsOf
from accountleader.errors import InputError


def test_a_date_means_the_end_of_that_day_in_utc() -> None:
    a = AsOf.parse("2026-09-30")
    assert a.at == datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC)
    assert a.date == date(2026, 9, 30)
    assert a.key == "2026-09-30"
    assert a.iso() == "2026-09-30T23:59:59"
    assert a.label == "2026-09-30" == str(a)
    assert a.naive == datetime(2026, 9, 30, 23, 59, 59) and a.naive.tzinfo is None


def test_a_date_and_time_is_taken_as_given_naive_means_utc() -> None:
    a = AsOf.parse("2026-09-30T17:05")
    assert a.at == datetime(2026, 9, 30, 17, 5, tzinfo=UTC)
    assert a.label == "2026-09-30 17:05 UTC"
    assert AsOf.parse("2026-09-30T17:05Z") == a


def test_an_offset_is_converted_to_utc() -> None:
    a = AsOf.parse("2026-10-01T01:30:00+02:00")
    assert a.at.tzinfo is UTC
    assert a.at == datetime(2026, 9, 30, 23, 30, tzinfo=UTC)
    assert a.date == date(2026, 9, 30)  # the UTC date keys the snapshot


def test_the_stored_form_reads_back_to_the_same_value() -> None:
    for text in ("2026-09-30", "2026-09-29T23:54:00", "2024-02-29T00:00:01.250000"):
        a = AsOf.parse(text)
        assert AsOf.parse(a.iso()) == a
        assert AsOf.of(a.iso()) == a


def test_of_accepts_every_form_once() -> None:
    a = AsOf.parse("2026-09-30")
    assert AsOf.of(a) is a
    assert AsOf.of(date(2026, 9, 30)) == a
    assert AsOf.of(datetime(2026, 9, 30, 23, 59, 59)) == a  # naive = UTC
    assert AsOf.of(datetime(2026, 10, 1, 1, 59, 59, tzinfo=timezone(timedelta(hours=2)))) == a
    assert AsOf.of("2026-09-30") == a
    assert AsOf.optional(None) is None and AsOf.optional("  ") is None
    assert AsOf.optional("2026-09-30") == a


def test_ordering_and_hashing() -> None:
    early, late = AsOf.parse("2026-01-31"), AsOf.parse("2026-09-30")
    assert early < late and max(late, early) is late
    assert sorted([late, early]) == [early, late]
    assert len({AsOf.parse("2026-09-30"), late}) == 1


def test_it_is_frozen_and_always_aware() -> None:
    a = AsOf.parse("2026-09-30")
    with pytest.raises(AttributeError):
        a.at = datetime(2020, 1, 1, tzinfo=UTC)  # type: ignore[misc]
    with pytest.raises(TypeError):
        AsOf(datetime(2026, 9, 30))  # naive: use AsOf.of
    other = AsOf(datetime(2026, 10, 1, 2, tzinfo=timezone(timedelta(hours=2))))
    assert other.at.tzinfo is UTC and other.at.hour == 0


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("yesterday", None),
        ("30/09/2026", None),
        ("2026-02-30", "day is out of range"),
        ("2026-13-01", "month must be in 1..12"),
        ("2026-09-30T25:00", "hour must be in 0..23"),
        ("", "is empty"),
        ("x" * 200, None),
    ],
)
def test_a_bad_value_is_an_input_error_naming_it(text: str, why: str | None) -> None:
    with pytest.raises(InputError) as err:
        AsOf.parse(text, name="--as-of")
    message = str(err.value)
    assert message.startswith("--as-of")
    assert "2026-09-30" in message or "empty" in message  # says what a good value looks like
    if text and len(text) < 40:
        assert repr(text) in message and err.value.value == text
    if why:
        assert why in message
    assert len(message) < 200  # one line, no dump of the input


def test_a_bad_value_through_the_cli_is_one_red_line_without_a_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from accountleader.cli.console import CaptureConsole
    from accountleader.cli.main import main

    for args in (["analyze", "--as-of", "2026-02-30"], ["report", "--as-of", "soon", "--out", str(tmp_path / "r.md")],
                 ["model", "fit", "--as-of", "31.12.2025"], ["show", "reps", "--as-of", "2026-9-1"]):
        con = CaptureConsole()
        code = main(["-w", str(tmp_path / "ws"), *args], console=con)
        said = con.out + con.errors
        assert code == 2, (args, said)
        assert "--as-of" in said and "is not a date like 2026-09-30" in said, said
        assert "Traceback" not in said and "internal error" not in said
        assert len(said.strip().splitlines()) == 1, said
    assert not (tmp_path / "ws").exists()  # refused at the edge, before the workspace is opened
