"""smsgate's clock under the test's control."""

import pytest

from smsgate import clock


class FrozenClock:
    """smsgate's clock, stopped at the real time of the test's start until moved."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = clock.now_ms()
        monkeypatch.setattr(clock, "now_ms", lambda: self.now)

    def advance(self, milliseconds: int) -> None:
        self.now += milliseconds
