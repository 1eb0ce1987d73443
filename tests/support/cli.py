"""`smsgate ...` run in-process, as the `run` fixture gives it to tests."""

import json
from typing import Any, Protocol

from click.testing import Result


class CliRun(Protocol):
    def __call__(self, *args: str, ok: bool = True) -> Result: ...


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def failure_line(result: Result, exit_code: int) -> str:
    """A failed command: the exit code, nothing on stdout, exactly one line on stderr."""
    assert result.exit_code == exit_code, result.output
    assert result.stdout == "", result.output
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    return result.stderr.strip()
