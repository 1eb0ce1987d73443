"""GET /v1/report and GET /v1/reply: read-once pulls (JSMS reference §2.22, §2.23)."""

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from smsgate.connection_watch import watched_request
from smsgate.dependencies import app_call
from smsgate.reports import service

router = APIRouter()


class SettledAnswer(Response):
    """A JSON answer whose records count as read only once the client has taken it.

    Under `smsgate serve` the connection is watched after the answer (smsgate.connection_watch):
    the next request on it, or a clean close, or `grace` seconds connected and quiet, settle the
    records as read; a reset, or a connection gone before the answer was written, hands them back.
    Under another ASGI server only the write can be checked: the body, then an empty chunk that
    waits for the connection to drain; a disconnect seen by then hands them back.
    """

    media_type = "application/json"

    def __init__(
        self, body: bytes, settle: Callable[[bool], Awaitable[None]], grace: float
    ) -> None:
        super().__init__(body)
        self._settle = settle
        self._grace = grace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watched = watched_request(scope)
        if watched is None:
            received = await self._write_unwatched(receive, send)
        else:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": self.body})
            received = await watched.answer_received(self._grace)
        await self._settle(received)

    async def _write_unwatched(self, receive: Receive, send: Send) -> bool:
        gone = asyncio.create_task(_disconnected(receive))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": self.body, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": True})
            await asyncio.sleep(0)  # let a disconnect that is already known reach `gone`
            written = not gone.done()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # an ASGI 2.4 server says so when the connection is gone
            written = False
        finally:
            gone.cancel()
        return written


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _pull(request: Request, kind: str) -> Response:
    call = await app_call(request)
    pull = await service.lease_pull(call.ctx, call.app.id, kind)
    if not pull.records:
        return Response(b"[]", media_type="application/json")

    async def settle(received: bool) -> None:
        await service.settle_pull(call.ctx.db, pull, received)

    return SettledAnswer(pull.body(), settle, call.ctx.settings.report_pull_grace_seconds)


async def pull_reports(request: Request) -> Response:
    return await _pull(request, service.REPORT)


async def pull_replies(request: Request) -> Response:
    return await _pull(request, service.REPLY)


router.add_route("/v1/report", pull_reports, methods=["GET"])
router.add_route("/v1/reply", pull_replies, methods=["GET"])
