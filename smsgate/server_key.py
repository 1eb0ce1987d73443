"""The server's HMAC key for verification codes.

Taken from SMSGATE_SECRET_KEY when set (required when several hosts share one database); otherwise
generated once into `<data_dir>/secret.key`, readable by the owner only.
"""

import os
import secrets
from pathlib import Path

from smsgate.settings import Settings


def load_server_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        _create_key_file(path)
    return path.read_text().strip().encode()


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
