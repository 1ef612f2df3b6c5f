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
# Random bits are read from the operating system 512 identifiers at a time (one system call instead of
# one per identifier: identifiers are made by the dozen per registered person). A forked child starts
# with an empty buffer, so parent and child never hand out the same bits.
_BATCH_BYTES = 8 * 512
_random = b""
_pos = 0
_RAND_MASK = (1 << 62) - 1


def _forget_random() -> None:
    global _random, _pos
    _random, _pos = b"", 0


os.register_at_fork(after_in_child=_forget_random)

_new_object = object.__new__
_set_slot = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown


def _uuid(value: int) -> uuid.UUID:
    """``uuid.UUID(int=value)`` without its argument checks (a third of the cost of an identifier):
    ``value`` is built below and always a valid 128-bit UUIDv7. The slots are the class's own."""
    made = _new_object(uuid.UUID)
    _set_slot(made, "int", value)
    _set_slot(made, "is_safe", _UNKNOWN)
    return made


def new_id() -> uuid.UUID:
    """A new UUIDv7 (RFC 9562): 48-bit Unix milliseconds, a 12-bit counter, 62 random bits.

    The counter keeps identifiers made within one millisecond in order within this process.
    """
    global _last_ms, _seq, _random, _pos
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
        if _pos >= len(_random):
            _random, _pos = os.urandom(_BATCH_BYTES), 0
        rand = int.from_bytes(_random[_pos : _pos + 8], "big") & _RAND_MASK
        _pos += 8
    return _uuid((ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | seq << 64 | 0b10 << 62 | rand)


def parse_id(value: str) -> uuid.UUID | None:
    """The UUID in ``value``, or None when it is not one (for lookups from URLs and forms)."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        return None


def short(value: uuid.UUID) -> str:
    """A short reference for people to read aloud: the last 8 hex digits, upper case."""
    return value.hex[-8:].upper()
