"""Lenient reading of JSMS request bodies, as the official SDKs really send them.

The Python SDK sends JSON with no Content-Type, the C# SDK as text/plain, PHP and Java as
application/json; numbers arrive as strings and strings as numbers. A body is parsed as JSON
whatever its Content-Type says; only a body that is not JSON *and* was declared as another media
type (a form, an image) is answered 415.

Numbers keep what the client wrote: a parameter sent as `1.10` or `12345678901234567890123` is
rendered as written, not as Python's float. Integers that cannot be what they claim to be (an id
beyond its column, thousands of digits) are refused here, before anything reaches the database.
"""

import json
import re
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request

from smsgate.errors import Code, JsmsError

# Media types that say nothing against JSON: none at all, text, curl's default form type, binary.
_NEUTRAL_TYPES = (
    "",
    "*/*",
    "application/json",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
)
_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
_INT64 = range(-(2**63), 2**63)
# Ids are INTEGER columns on SQLite and PostgreSQL, from 1: nothing else can name a row.
ROW_IDS = range(1, 2**31)
NO_ROW = 0
_MAX_DIGITS = 19  # any integer that fits 64 bits
_FOREIGN_PREFIXES = ("multipart/", "image/", "audio/", "video/", "font/", "model/")


async def read_json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    """The body as a JSON object; 50003 when empty, 50007 when not an object or too large."""
    raw = await read_limited_body(request, max_bytes)
    if not raw.strip():
        raise JsmsError(Code.MISSING_BODY)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        if _declares_other_media(request):
            raise JsmsError(Code.MEDIA_NOT_SUPPORTED) from None
        raise JsmsError(Code.INVALID_BODY) from None
    if not isinstance(value, dict):
        raise JsmsError(Code.INVALID_BODY)
    if b"-0" in raw or _holds_float(value):
        return _with_number_literals(raw)
    return value


class JsonNumber(float):
    """A JSON number that orjson would change (a fraction, an exponent, `-0`, beyond 64 bits):
    its value as a float, and the literal as sent, which `str` gives back for rendering."""

    __slots__ = ("literal",)
    literal: str

    def __new__(cls, literal: str) -> "JsonNumber":
        number = super().__new__(cls, literal)
        number.literal = literal
        return number

    def __str__(self) -> str:
        return self.literal


def _holds_float(value: object) -> bool:
    """Whether orjson read some number as a float (the only numbers it does not keep exactly).
    A loop, not a recursion: it runs on every body and costs about what orjson's parse does."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is float:
            return True
        if type(item) is dict:
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return False


def _json_int(literal: str) -> int | JsonNumber:
    if len(literal) > _MAX_DIGITS or literal == "-0":
        return JsonNumber(literal)  # no 5000-digit conversion, and `-0` stays `-0`
    return int(literal)


def _with_number_literals(raw: bytes) -> dict[str, Any]:
    """The rare body orjson would change, read again keeping every number's literal (orjson
    has accepted it already, so it is valid JSON with the same structure)."""
    value: dict[str, Any] = json.loads(raw, parse_float=JsonNumber, parse_int=_json_int)
    return value


async def read_limited_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise JsmsError(Code.INVALID_BODY, "body too large")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise JsmsError(Code.INVALID_BODY, "body too large")
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody is left to answer; a dropped client is not a server error worth a traceback.
        raise JsmsError(Code.INVALID_BODY, "client disconnected") from None
    return b"".join(chunks)


def _declares_other_media(request: Request) -> bool:
    """True for a declared type that cannot be JSON: multipart, images, XML and the like."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in _NEUTRAL_TYPES or media.endswith("+json") or media.startswith("text/"):
        return False
    return media.startswith(_FOREIGN_PREFIXES) or media.startswith("application/")


def _integer(value: object) -> int | None:
    """The integer a value stands for (a number, or a string of digits), None when it is none.
    A literal with more digits than 64 bits hold is never converted (thousands of digits cost
    seconds, and Python refuses them): it stands for +-2^64, beyond every range checked here."""
    if isinstance(value, JsonNumber) and _INTEGER.fullmatch(value.literal):
        value = value.literal
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _INTEGER.fullmatch(text := value.strip()):
        digits = text.lstrip("-").lstrip("0") or "0"
        magnitude = int(digits) if len(digits) <= _MAX_DIGITS else 2**64
        return -magnitude if text.startswith("-") else magnitude
    return None


def row_id(value: object, unknown: int) -> int:
    """An id (temp_id, sign_id, in a body or a path) as a number the database can look up.

    An integer that cannot name a row (below 1, beyond the 2^31-1 of every id column, beyond 64
    bits) becomes NO_ROW: it is then unknown exactly where any unknown id is, in the same order
    of checks. A value that is no integer at all is `unknown` at once."""
    number = _integer(value)
    if number is None:
        raise JsmsError(unknown)
    return number if number in ROW_IDS else NO_ROW


def optional_id(body: dict[str, Any], key: str, unknown: int) -> int | None:
    """An id field; null or "" is absent (see `row_id` for the rest)."""
    value = body.get(key)
    if value is None or value == "":
        return None
    return row_id(value, unknown)


def whole_number(value: object) -> int | None:
    """A 64-bit integer given as a number or a string of digits, else None."""
    number = _integer(value)
    return number if number is not None and number in _INT64 else None


def optional_int(body: dict[str, Any], key: str, error: int) -> int | None:
    """An integer field that may come as a number or a numeric string; null or "" is absent,
    anything else (or beyond 64 bits) is `error`."""
    value = body.get(key)
    if value is None or value == "":
        return None
    number = whole_number(value)
    if number is None:
        raise JsmsError(error)
    return number


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
        raise JsmsError(Code.INVALID_BODY)
    result: dict[str, str | None] = {}
    for key, item in value.items():
        if item is None:
            result[str(key)] = None
        elif isinstance(item, bool):
            result[str(key)] = "true" if item else "false"
        elif isinstance(item, str | int | float):
            result[str(key)] = str(item)
        else:
            raise JsmsError(Code.INVALID_BODY)
    return result
