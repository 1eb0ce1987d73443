"""Every HTTP request observed once: the request id that ties its log lines to its answer, one
structured access-log line, and the request metrics (count and latency by route, status and
JSMS code).

A pure ASGI middleware (no BaseHTTPMiddleware, which costs a task and a queue per request): it
wraps `send` to see the status, reads the JSMS error code from an error answer's first body
chunk, and logs and counts after the answer is sent. Requests are named by their route template
(`/v1/codes/{msg_id}/valid`), never the raw path, query or body, so neither carries a number,
code or text; the calling app's key is noted by whoever authenticated it (`note_caller`).
"""

import contextvars
import itertools
import re
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smsgate.errors import Code
from smsgate.telemetry import metrics
from smsgate.telemetry.redaction import redact_text
from smsgate.telemetry.routes import RouteNames

REQUEST_ID_HEADER = b"x-request-id"
UNMATCHED = "unmatched"  # the metrics' route label of a request no route matched
UNEXPECTED_ERROR = Code.SERVER_ERROR
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


class ObservedRequests:
    """Request id, access-log line (unless turned off) and metrics of every HTTP request."""

    def __init__(self, app: ASGIApp, routes: RouteNames, access_log: bool = True) -> None:
        self.app = app
        self._routes = routes
        self._access_log = access_log

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
                exchange.status, exchange.error_code = 500, UNEXPECTED_ERROR  # answered by app.py
            self._observe(scope, exchange, started)
            # The request id stays bound, so the framework's "unhandled error" line, logged
            # outside this middleware, carries it too. The server runs each request in a task
            # of its own (a copy of the context), so it ends with the request.
            raise
        self._observe(scope, exchange, started)
        structlog.contextvars.reset_contextvars(**tokens)
        _REQUEST_ID.reset(own_token)

    def _observe(self, scope: Scope, exchange: _Exchange, started: float) -> None:
        route = self._routes.of(scope)
        seconds = time.perf_counter() - started
        status = exchange.status or 500
        metrics.request_answered(
            route or UNMATCHED, scope["method"], status, exchange.error_code or 0, seconds
        )
        if self._access_log:
            log.info(
                "request",
                method=scope["method"],
                route=route,
                status=exchange.status,
                error_code=exchange.error_code or None,
                app_key=exchange.caller,
                duration_ms=round(seconds * 1000, 2),
            )
