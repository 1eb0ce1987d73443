"""A pure ASGI middleware that counts and times every API answer.

The route label is the template of the route that matched (`/v1/codes/{msg_id}/valid`), never
the raw path; requests that matched nothing are `unmatched`. FastAPI's router names the matched
route in the scope only for its own APIRoutes; smsgate's plain routes (the app passes them all)
are found by the endpoint the router put in the scope, and matched again only when one endpoint
serves several paths. The JSMS code is read from the
error envelope of non-2xx answers (a few hundred bytes at most); 2xx answers count as code 0.
"""

import time
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smsgate.observability import metrics

UNMATCHED = "unmatched"
MAX_ERROR_BODY = 4096
UNEXPECTED_ERROR = 50019


class RequestMetrics:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self._routes = _routes_by_endpoint(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answer = _Answer()

        async def watch(message: Message) -> None:
            answer.see(message)
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            answer.status, answer.code = 500, UNEXPECTED_ERROR
            raise
        finally:
            metrics.request_answered(
                self._route(scope),
                scope["method"],
                answer.status,
                answer.jsms_code(),
                time.perf_counter() - started,
            )

    def _route(self, scope: Scope) -> str:
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            return path
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return UNMATCHED
        candidates = self._routes.get(endpoint, [])
        if len(candidates) > 1:
            candidates = [r for r in candidates if r.matches(scope)[0] != Match.NONE]
        path = getattr(candidates[0], "path", None) if candidates else None
        return path if isinstance(path, str) else UNMATCHED


class _Answer:
    """The status and, for errors, the start of the body of one response."""

    def __init__(self) -> None:
        self.status = 500
        self.code: int | None = None
        self._body = bytearray()

    def see(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and self.status >= 300:
            room = MAX_ERROR_BODY - len(self._body)
            self._body += message.get("body", b"")[: max(room, 0)]

    def jsms_code(self) -> int:
        if self.code is not None:
            return self.code
        if self.status < 300:
            return 0
        try:
            code = orjson.loads(self._body)["error"]["code"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return 0
        return code if isinstance(code, int) else 0


def _routes_by_endpoint(routes: Sequence[BaseRoute]) -> dict[Any, list[BaseRoute]]:
    found: dict[Any, list[BaseRoute]] = {}
    for route in routes:
        endpoint = getattr(route, "endpoint", None)
        if endpoint is not None:
            found.setdefault(endpoint, []).append(route)
    return found
