"""Identifiers.

Records get UUIDv7 identifiers: random enough to be unguessable in a URL, and ordered by creation
time, so keyset ("cursor") pagination on the primary key lists records in registration order.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_seq = 0


def new_id() -> uuid.UUID:
    """A new UUIDv7 (RFC 9562): 48-bit Unix milliseconds, a 12-bit counter, 62 random bits.

    The counter keeps identifiers made within one millisecond in order within this process.
    """
    global _last_ms, _seq
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _seq += 1
            if _seq > 0xFFF:
                ms += 1
                _seq = 0
        else:
            _seq = 0
        _last_ms = ms
        seq = _seq
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | seq << 64 | 0b10 << 62 | rand
    return uuid.UUID(int=value)


def parse_id(value: str) -> uuid.UUID | None:
    """The UUID in ``value``, or None when it is not one (for lookups from URLs and forms)."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        return None


def short(value: uuid.UUID) -> str:
    """A short reference for people to read aloud: the last 8 hex digits, upper case."""
    return value.hex[-8:].upper()
