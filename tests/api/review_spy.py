"""Watches the review callbacks the template and signature slices hand to the callbacks slice:
records each one, checks it is handed over inside the verdict's own open transaction, and passes
it on to the real `enqueue_callback`."""

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Connection

from smsgate.callbacks import service as callbacks_service


@dataclass
class ReviewCallbacks:
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, conn: Connection, app_id: int, event: str, data: dict[str, Any]) -> None:
        assert conn.in_transaction(), "a review callback must be queued in its transaction"
        self.events.append((app_id, event, data))
        callbacks_service.enqueue_callback(conn, app_id, event, data)


@pytest.fixture(name="review_callbacks")
def review_callbacks_fixture(monkeypatch: pytest.MonkeyPatch) -> ReviewCallbacks:
    spy = ReviewCallbacks()
    monkeypatch.setattr("smsgate.templates.service.enqueue_callback", spy)
    monkeypatch.setattr("smsgate.signs.review.enqueue_callback", spy)
    return spy
