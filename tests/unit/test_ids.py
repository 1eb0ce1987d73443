"""Message ids: valid version-7 UUIDs, ordered by time, unguessable."""

import uuid

import pytest

from smsgate import clock
from smsgate.msg_ids import new_msg_id


def test_a_version_7_rfc_9562_uuid() -> None:
    parsed = uuid.UUID(new_msg_id())
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_ordered_by_creation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = []
    for millis in (1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000):
        monkeypatch.setattr(clock, "now_ms", lambda millis=millis: millis)
        ids.append(new_msg_id())
    assert ids == sorted(ids)
    assert int(uuid.UUID(ids[0]).hex[:12], 16) == 1_700_000_000_000


def test_the_same_millisecond_still_gives_distinct_unpredictable_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(clock, "now_ms", lambda: 1_700_000_000_000)
    ids = {new_msg_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    tails = {uuid.UUID(i).int & ((1 << 62) - 1) for i in ids}
    assert len(tails) == 10_000  # the random part differs, not a counter
