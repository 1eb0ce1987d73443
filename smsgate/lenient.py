"""Lenient reading of JSMS request bodies, as the official SDKs really send them.

The Python SDK sends JSON with no Content-Type, the C# SDK as text/plain, PHP and Java as
application/json; numbers arrive as strings and strings as numbers. A body is parsed as JSON
whatever its Content-Type says; only a body that is not JSON *and* was declared as another media
type (a form, an image) is answered 415.
"""

import re
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request

from smsgate.errors import JsmsError

# Media types that say nothing against JSON: none at all, text, curl's default form type, binary.
_NEUTRAL_TYPES = (
    "",
    "*/*",
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
)
_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
_FOREIGN_PREFIXES = ("multipart/", "image/", "audio/", "video/", "font/", "model/")


async def read_json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    """The body as a JSON object; 50003 when empty, 50007 when not an object or too large."""
    raw = await read_limited_body(request, max_bytes)
    if not raw.strip():
        raise JsmsError(50003)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        if _declares_other_media(request):
            raise JsmsError(50017) from None
        raise JsmsError(50007) from None
    if not isinstance(value, dict):
        raise JsmsError(50007)
    return value


async def read_limited_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise JsmsError(50007, "body too large")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise JsmsError(50007, "body too large")
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody is left to answer; a dropped client is not a server error worth a traceback.
        raise JsmsError(50007, "client disconnected") from None
    return b"".join(chunks)


def _declares_other_media(request: Request) -> bool:
    """True for a declared type that cannot be JSON: multipart, images, XML and the like."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in _NEUTRAL_TYPES or media.endswith("+json") or media.startswith("text/"):
        return False
    return media.startswith(_FOREIGN_PREFIXES) or media.startswith("application/")


def optional_int(body: dict[str, Any], key: str, error: int) -> int | None:
    """An integer field that may come as a number or a numeric string; null or "" is absent."""
    value = body.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise JsmsError(error)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
    raise JsmsError(error)


def required_int(body: dict[str, Any], key: str, missing: int, invalid: int) -> int:
    value = optional_int(body, key, invalid)
    if value is None:
        raise JsmsError(missing)
    return value


def optional_text(body: dict[str, Any], key: str, error: int) -> str | None:
    """A string field that may come as a number (C# sends voice codes as ints); "" is absent."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise JsmsError(error)
    text = str(value).strip()
    return text or None


def string_map(value: object) -> dict[str, str | None]:
    """temp_para: an object of scalars; PHP sends an empty one as [] and Java nulls as null."""
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise JsmsError(50007)
    result: dict[str, str | None] = {}
    for key, item in value.items():
        if item is None:
            result[str(key)] = None
        elif isinstance(item, bool):
            result[str(key)] = "true" if item else "false"
        elif isinstance(item, str | int | float):
            result[str(key)] = str(item)
        else:
            raise JsmsError(50007)
    return result
