"""The access log: one structured line per HTTP request, and the request id that ties a
request's log lines to its answer.

A pure ASGI middleware (no BaseHTTPMiddleware, which costs a task and a queue per request): it
wraps `send` to see the status, reads the JSMS error code from an error answer's first body
chunk, and logs after the answer is sent. The line names the route template
(`/v1/codes/{msg_id}/valid`), never the raw path, query or body, so it carries no number, code
or text; the calling app's key is noted by whoever authenticated it (`note_caller`).
"""

import contextvars
import itertools
import re
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smsgate.observability.redaction import redact_text

REQUEST_ID_HEADER = b"x-request-id"
_SCOPE_KEY = "smsgate.access"
# An incoming X-Request-ID is reused when it is short and plain (a proxy's or the client's id).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_ERROR_CODE = re.compile(rb'"error"\s*:\s*\{\s*"code"\s*:\s*(\d{1,9})')

log = structlog.get_logger("smsgate.access")
# The request id again, beside structlog's copy: read on the send path, where looking it up
# among all context variables (structlog's get_contextvars) would cost a hundred times more.
_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "smsgate_request_id", default=None
)


@dataclass(slots=True)
class _Exchange:
    """What the line says about one request, filled in while it is served."""

    status: int | None = None
    error_code: int | None = None
    caller: str | None = None


def note_caller(scope: Scope, key: str) -> None:
    """The app (or developer) key the request authenticated as, for its access line."""
    exchange = scope.get(_SCOPE_KEY)
    if exchange is not None:
        exchange.caller = key


def current_request_id() -> str | None:
    """The id of the request being served (None outside a request): for what a request
    causes to carry it, such as a message's story."""
    return _REQUEST_ID.get()


def answer_request_id(response: Response) -> None:
    """Stamp the request id on an answer made outside the middleware (the framework's 500)."""
    request_id = current_request_id()
    if request_id is not None:
        response.headers["x-request-id"] = request_id


def request_id_from(scope: Scope) -> str:
    """The client's X-Request-ID when it is sane (bounded, safe characters, no number in it
    that the logs would mask), else a new one."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            text: str = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(text) and redact_text(text) == text:
                return text
            break
    return _new_request_id()


def _request_ids() -> Callable[[], str]:
    """Ids unique per process (a counter) and, with 12 random letters in front, across
    processes; a tenth of the cost of a UUID. The letter before the digits keeps them clear of
    the logs' number masking."""
    prefix = "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter):x}"


_new_request_id = _request_ids()


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope)
        header = (REQUEST_ID_HEADER, request_id.encode("latin-1"))
        exchange = _Exchange()
        scope[_SCOPE_KEY] = exchange

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            elif exchange.error_code is None and (exchange.status or 0) >= 400:
                found = _ERROR_CODE.search(message.get("body", b""))
                exchange.error_code = int(found.group(1)) if found else 0
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        own_token = _REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException as error:
            if exchange.status is None and isinstance(error, Exception):
                exchange.status, exchange.error_code = 500, 50019  # answered outside, by app.py
            _log_line(scope, exchange, started)
            # The request id stays bound, so the framework's "unhandled error" line, logged
            # outside this middleware, carries it too. The server runs each request in a task
            # of its own (a copy of the context), so it ends with the request.
            raise
        _log_line(scope, exchange, started)
        structlog.contextvars.reset_contextvars(**tokens)
        _REQUEST_ID.reset(own_token)


def route_template(scope: Scope) -> str | None:
    """The matched route's path with its parameters named ("/v1/codes/{msg_id}/valid"); None
    when no route matched. FastAPI leaves `scope["route"]` unset for plain Starlette routes, so
    the template is rebuilt from the path and the parameters the router extracted: what is left
    of the path is the route's own literal text."""
    route: Any = scope.get("route")
    if route is not None:
        template: str | None = getattr(route, "path_format", None)
        return template
    if "endpoint" not in scope:
        return None
    names = {value: name for name, value in scope.get("path_params", {}).items()}
    if not names:
        return str(scope["path"])
    parts = scope["path"].split("/")
    return "/".join(f"{{{names[part]}}}" if part in names else part for part in parts)


def _log_line(scope: Scope, exchange: _Exchange, started: float) -> None:
    log.info(
        "request",
        method=scope["method"],
        route=route_template(scope),
        status=exchange.status,
        error_code=exchange.error_code or None,
        app_key=exchange.caller,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )
