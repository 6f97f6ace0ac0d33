"""The SDK's request ids are UUIDv7 (RFC 9562): the version and variant bits set, the time of their making in their
first 48 bits, so ids made later sort after earlier ones, and random in the rest. No server is needed."""

from __future__ import annotations

import re
import time

from timely_client._request_ids import new_request_id


def test_a_request_id_is_a_version_7_uuid_carrying_the_time_it_was_made() -> None:
    before = time.time_ns() // 1_000_000
    request_id = new_request_id()
    after = time.time_ns() // 1_000_000

    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", request_id)
    assert before <= int(request_id.replace("-", "")[:12], 16) <= after


def test_ids_made_later_sort_after_and_no_two_are_equal() -> None:
    start = 1_767_225_600_000
    ids = [new_request_id(start + i) for i in range(1000)]

    assert sorted(ids) == ids
    assert len(set(ids)) == len(ids)
    assert len({new_request_id(start) for _ in range(1000)}) == 1000
