"""A stand-in for the `secrets` module that notes which of its functions were used, so a test
can show that randomness comes from the CSPRNG."""

import secrets as stdlib_secrets
from typing import Any


class RecordingSecrets:
    def __init__(self) -> None:
        self.used: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.used.append(name)
        return getattr(stdlib_secrets, name)
