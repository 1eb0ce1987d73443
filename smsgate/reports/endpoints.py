"""GET /v1/report and GET /v1/reply: read-once pulls (JSMS reference §2.22, §2.23)."""

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from smsgate.dependencies import app_call
from smsgate.reports import service

router = APIRouter()


class ConfirmedAnswer(Response):
    """A JSON answer whose records count as read only once the server has written all of it.

    Starlette's BackgroundTask would run even when the client had gone: uvicorn drops what is
    sent to a closed connection without an error. So the body goes out first, then an empty
    chunk that waits for the client to take the buffered bytes; only if the connection is still
    there after that (no `http.disconnect`, no OSError from an ASGI 2.4 server) is it confirmed.
    """

    media_type = "application/json"

    def __init__(self, body: bytes, on_written: Callable[[], Awaitable[None]]) -> None:
        super().__init__(body)
        self._on_written = on_written

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = asyncio.create_task(_disconnected(receive))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": self.body, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": True})
            await asyncio.sleep(0)  # let a disconnect that is already known reach `gone`
            written = not gone.done()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            written = False
        finally:
            gone.cancel()
        if written:
            await self._on_written()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _pull(request: Request, kind: str) -> Response:
    call = await app_call(request)
    pull = await service.lease_pull(call.ctx, call.app.id, kind)
    if not pull.records:
        return Response(b"[]", media_type="application/json")

    async def confirm() -> None:
        await service.confirm_pull(call.ctx.db, pull)

    return ConfirmedAnswer(pull.body(), confirm)


async def pull_reports(request: Request) -> Response:
    return await _pull(request, service.REPORT)


async def pull_replies(request: Request) -> Response:
    return await _pull(request, service.REPLY)


router.add_route("/v1/report", pull_reports, methods=["GET"])
router.add_route("/v1/reply", pull_replies, methods=["GET"])
