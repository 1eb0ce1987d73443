"""Reading smsgate's own log lines in tests."""

import json
from typing import Any

import pytest
import structlog

from smsgate import app as app_module
from smsgate.telemetry import access_log


def fresh_loggers(monkeypatch: pytest.MonkeyPatch) -> None:
    """structlog caches a module's logger, with the configuration and output of its first use
    (maybe another test's): give the modules whose lines are read fresh ones."""
    for module, name in ((access_log, "smsgate.access"), (app_module, "smsgate.app")):
        monkeypatch.setattr(module, "log", structlog.get_logger(name))


class LogLines:
    """The JSON log lines written so far, read from the captured output."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self.text = ""

    def read(self) -> list[dict[str, Any]]:
        captured = self._capsys.readouterr()
        self.text += captured.out + captured.err
        return [json.loads(line) for line in self.text.splitlines() if line.startswith("{")]
