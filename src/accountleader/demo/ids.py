"""Salesforce-style record ids: 15-character base-62 ids with the 3-character case checksum.

A Salesforce id is a 3-character key prefix (the object), a 2-character pod, a reserved
``0`` and a 9-character base-62 serial. The 18-character form appends a checksum that
encodes, for each 5-character chunk of the 15-character id, which characters are
upper-case letters, so that the id survives case-insensitive tools.
"""

from __future__ import annotations

import numpy as np

from ..domain.salesforce_ids import CHECKSUM_ALPHABET, checksum

#: Key prefix of every object the demo writes.
KEY_PREFIX: dict[str, str] = {
    "User": "005",
    "UserRole": "00E",
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "OpportunityFieldHistory": "017",
    "OpportunityContactRole": "00K",
    "Task": "00T",
    "Event": "00U",
    "EmailMessage": "02s",
    "Quote": "0Q0",
    "Case": "500",
}

_BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_POD = "Hs"
_SERIAL_DIGITS = 9


def is_valid_id(value: str, prefix: str | None = None) -> bool:
    """True when ``value`` is an 18-character id whose checksum matches (and prefix, if given)."""
    if len(value) != 18 or not value.isalnum() or not value.isascii():
        return False
    if prefix is not None and not value.startswith(prefix):
        return False
    return value[15:] == checksum(value[:15])


def make_ids(obj: str, count: int, first_serial: int = 1) -> np.ndarray:
    """``count`` consecutive 18-character ids for Salesforce object ``obj``.

    Serials start at ``first_serial`` and grow by one, as Salesforce's do in creation
    order. Returns a numpy array of Python ``str`` (dtype ``<U18``).
    """
    prefix = KEY_PREFIX[obj]
    head = (prefix + _POD + "0").encode()
    chars = np.empty((count, 18), dtype=np.uint8)
    chars[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    serial = np.arange(first_serial, first_serial + count, dtype=np.int64)
    alphabet = np.frombuffer(_BASE62, dtype=np.uint8)
    for pos in range(14, 14 - _SERIAL_DIGITS, -1):
        serial, digit = np.divmod(serial, 62)
        chars[:, pos] = alphabet[digit]
    is_upper = (chars[:, :15] >= ord("A")) & (chars[:, :15] <= ord("Z"))
    weights = np.array([1, 2, 4, 8, 16], dtype=np.int64)
    bits = is_upper.reshape(count, 3, 5).astype(np.int64) @ weights
    chars[:, 15:] = np.frombuffer(CHECKSUM_ALPHABET.encode(), dtype=np.uint8)[bits]
    return chars.view("S18").ravel().astype("U18")
