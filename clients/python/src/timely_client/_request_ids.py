"""The request ids the SDK makes for writes sent without one: UUIDv7 (RFC 9562), whose first 48 bits are the time in
milliseconds, so the service's index of request ids grows at its end instead of taking a page of its own for every
write (with random ids SQLite's writer spent 1.15-1.36x the CPU per message; bench/README.md, 2026-12-04 (evening)).
Python's uuid module makes version 7 only from 3.14."""

from __future__ import annotations

import os
import time
import uuid


def new_request_id(now_ms: int | None = None) -> str:
    """A new UUIDv7, made at ``now_ms`` (milliseconds since the Unix epoch; now by default)."""
    millis = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    value = bytearray(millis.to_bytes(6, "big") + os.urandom(10))   # unix_ts_ms, 48 bits, then random
    value[6] = 0x70 | (value[6] & 0x0F)   # version 7
    value[8] = 0x80 | (value[8] & 0x3F)   # variant 10
    return str(uuid.UUID(bytes=bytes(value)))
