"""`smsgate ...` run in-process, as the `run` fixture gives it to tests."""

import json
from typing import Any, Protocol

from click.testing import Result


class CliRun(Protocol):
    def __call__(self, *args: str, ok: bool = True) -> Result: ...


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)
