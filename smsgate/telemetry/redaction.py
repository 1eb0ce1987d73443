"""The last line of defence for logs: no line carries a code, a secret or a whole number.

Call sites already log masked numbers and never codes; this catches what they cannot see: values
inside exception messages (a database driver quotes the statement's parameters), free text from
peers, and a key someone logs by mistake. It runs on every structlog event and on every line of
the standard library's logging (uvicorn, SQLAlchemy, asyncio), so it is kept to one regex pass
per string value.
"""

import logging
import re
import traceback
from collections.abc import MutableMapping
from functools import lru_cache
from typing import Any

from sqlalchemy.exc import StatementError

REDACTED = "[redacted]"

# Event keys whose values are never logged: codes, credentials, message text.
SECRET_KEYS = frozenset(
    {
        "code",
        "codes",
        "verify_code",
        "secret",
        "password",
        "passwd",
        "token",
        "authorization",
        "api_key",
        "apikey",
        "signature",
        "text",
        "content",
        "temp_para",
        "body",
    }
)
SECRET_KEY_ENDINGS = ("_secret", "_password", "_token", "_key_secret")
# Event keys that hold a number: masked even when given as an int.
NUMBER_KEYS = frozenset({"mobile", "phone", "msisdn", "to", "sender", "recipient", "number"})

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_SECRET_WORDS = r"code|secret|master_?secret|password|passwd|pwd|token|auth_?token|signature|text"  # noqa: S105
_SENSITIVE = re.compile(
    rf"(?P<uuid>(?<![0-9A-Za-z]){_UUID}(?![0-9A-Za-z]))"  # message ids stay readable
    # a number: 7 or more digits standing alone (11-digit mainland, E.164, 86 + national)
    r"|(?<![0-9A-Za-z])(?P<plus>\+|%2[Bb])?(?P<number>[0-9]{7,})(?![0-9A-Za-z])"
    # key=value, "key": "value" for a secret key (URLs to providers, JSON in peers' answers)
    rf"|(?P<pair>(?<![A-Za-z])(?:{_SECRET_WORDS})\"?[=:]\s*\"?)(?P<value>[^&\s\",;}}]+)",
    re.IGNORECASE,
)


def _replace(match: re.Match[str]) -> str:
    if match.group("uuid"):
        return match.group(0)
    number = match.group("number")
    if number:
        return (match.group("plus") or "") + mask_digits(number)
    return match.group("pair") + REDACTED


def mask_digits(number: str) -> str:
    """Every digit but the last four starred: "8613800138000" -> "*********8000"."""
    digits = sum(char.isdigit() for char in number)
    hidden = 0
    out = []
    for char in number:
        if char.isdigit() and hidden < digits - 4:
            out.append("*")
            hidden += 1
        else:
            out.append(char)
    return "".join(out)


# Whatever _SENSITIVE can match contains one of these; most values contain none, and this simple
# pattern finds that out several times faster than the full one.
_MAYBE_SENSITIVE = re.compile(r"[0-9]{7}|[=:]")


def redact_text(text: str) -> str:
    """Free text with numbers masked and secret key=value pairs emptied."""
    if _MAYBE_SENSITIVE.search(text) is None:
        return text
    return _SENSITIVE.sub(_replace, text)


@lru_cache(maxsize=4096)  # event keys are names in the code: a small, fixed set
def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in SECRET_KEYS or lowered.endswith(SECRET_KEY_ENDINGS)


def redact_value(key: str, value: Any, depth: int = 0) -> Any:
    if is_secret_key(key):
        return REDACTED
    kind = type(value)
    if kind is str or isinstance(value, str):
        return redact_text(value)
    if value is None or kind is bool or kind is float:
        return value
    if isinstance(value, int) and key.lower() in NUMBER_KEYS:
        return mask_digits(str(value))
    if depth < 3 and isinstance(value, dict):
        return {k: redact_value(str(k), v, depth + 1) for k, v in value.items()}
    if depth < 3 and isinstance(value, list | tuple):
        return [redact_value(key, item, depth + 1) for item in value]
    return value


def redact_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    """structlog processor, after the exception is rendered and before the renderer."""
    return {key: redact_value(key, value) for key, value in event.items()}


# --- exceptions --------------------------------------------------------------------------------

_DRIVER_MODULES = ("asyncpg", "sqlite3", "psycopg", "aiosqlite", "sqlalchemy.dialects")
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def safe_exception_text(error: BaseException) -> str:
    """A traceback as Python prints it (no local variables), with each message made safe:
    a database driver's own text is withheld, since it can quote parameter values."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        suppressed = current.__suppress_context__
        current = current.__cause__ or (None if suppressed else current.__context__)
    lines: list[str] = []
    for exc in reversed(chain):
        if lines:
            lines.append(_CAUSE if exc.__cause__ is not None else _CONTEXT)
        if exc.__traceback__ is not None:
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_tb(exc.__traceback__))
        lines.append(f"{_type_name(exc)}: {safe_message(exc)}\n")
    return "".join(lines).rstrip("\n")


def safe_message(error: BaseException) -> str:
    if isinstance(error, StatementError):
        origin = "" if error.orig is None else f"{_type_name(error.orig)}{_db_state(error.orig)}"
        return f"{origin} in [SQL: {redact_text(str(error.statement))}]"
    if type(error).__module__.startswith(_DRIVER_MODULES):
        return f"(database message withheld){_db_state(error)}"
    return redact_text(str(error))


def _db_state(error: BaseException) -> str:
    for name in ("sqlstate", "pgcode", "sqlite_errorname"):
        state = getattr(error, name, None)
        if isinstance(state, str) and state:
            return f" {name}={state}"
    return ""


def _type_name(error: BaseException) -> str:
    kind = type(error)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def format_exc_info_safely(exc_info: Any) -> str:
    """structlog's ExceptionRenderer formatter: takes (type, value, traceback)."""
    error = exc_info[1]
    return "" if error is None else safe_exception_text(error)


class RedactingFormatter(logging.Formatter):
    """For the standard library's handlers: the same redaction as structlog events get."""

    def formatException(self, ei: Any) -> str:
        return format_exc_info_safely(ei)

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))
