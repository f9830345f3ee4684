"""Salesforce record ids: 15-character (case-sensitive) and 18-character forms.

The 18-character form appends three characters that encode which of the first
fifteen are upper case, so it survives case-insensitive tools such as Excel.
Exports mix both forms (reports write 15, the API 18); we store 18 so joins work.
"""

from __future__ import annotations

CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def checksum(id15: str) -> str:
    out = []
    for block in range(3):
        bits = 0
        for i, ch in enumerate(id15[block * 5 : block * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out.append(CHECKSUM_ALPHABET[bits])
    return "".join(out)


def to_18(value: str) -> str:
    """The 18-character form of a 15-character id; other values are returned unchanged."""
    if len(value) != 15 or not value.isalnum() or not value.isascii():
        return value
    return value + checksum(value)


def is_valid_18(value: str) -> bool:
    return len(value) == 18 and value.isalnum() and checksum(value[:15]) == value[15:].upper()
