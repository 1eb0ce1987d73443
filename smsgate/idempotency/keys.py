"""Reading an Idempotency-Key and fingerprinting the request it was sent with."""

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.datastructures import Headers

from smsgate.errors import Code, JsmsError

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
_PRINTABLE = range(0x20, 0x7F)


def read_key(headers: Headers) -> str | None:
    """The key, or None without the header: 1-255 printable ASCII characters (HTTP trims the
    spaces around it), given once; anything else is 50250."""
    values = headers.getlist(HEADER)
    if not values:
        return None
    if len(values) > 1:
        raise JsmsError(Code.INVALID_IDEMPOTENCY_KEY, "the header was given more than once")
    return checked_key(values[0])


def checked_key(value: str) -> str:
    key = value.strip(" \t")
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise JsmsError(Code.INVALID_IDEMPOTENCY_KEY, f"1 to {MAX_KEY_LENGTH} characters")
    if any(ord(character) not in _PRINTABLE for character in key):
        raise JsmsError(Code.INVALID_IDEMPOTENCY_KEY, "printable ASCII only")
    return key


def fingerprint(method: str, path: str, body: Mapping[str, Any]) -> str:
    """SHA-256 of method, path and the body in a canonical form (keys sorted, no spacing), so a
    retry that spells the same JSON differently is the same request."""
    canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str)
    digest = hashlib.sha256(f"{method.upper()} {path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()
