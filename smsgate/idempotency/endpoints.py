"""What a send endpoint does with an Idempotency-Key: answer once, replay after.

Without the header a send is answered exactly as before; with it, the answer's status and bytes
are stored with the send and given again to a repeat (with `Idempotent-Replayed: true`).
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from smsgate.apps.service import AppAccount
from smsgate.context import Context
from smsgate.errors import JsmsError
from smsgate.idempotency import service
from smsgate.idempotency.keys import fingerprint, read_key
from smsgate.idempotency.service import Answer, IdempotentSend, KeyedRequest
from smsgate.responses import error_response

T = TypeVar("T")
REPLAYED_HEADER = "Idempotent-Replayed"


async def answer_once(
    request: Request,
    ctx: Context,
    app: AppAccount,
    body: Mapping[str, Any],
    send: Callable[[IdempotentSend[T] | None], Awaitable[T]],
    render: Callable[[T], Response],
) -> Response:
    """`render(await send(guard))`, once per key: `send` passes the guard to the send path,
    which claims the key and stores the answer in the send's own transaction."""
    key = read_key(request.headers)
    if key is None:
        return render(await send(None))
    keyed = KeyedRequest(app.id, key, fingerprint(request.method, request.scope["path"], body))
    outcome = await service.send_once(
        ctx, keyed, send, lambda result: _answer(render(result)), _refusal
    )
    response = Response(
        outcome.answer.body, status_code=outcome.answer.status, media_type="application/json"
    )
    if outcome.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return response


def _answer(response: Response) -> Answer:
    return Answer(response.status_code, bytes(response.body))


def _refusal(error: JsmsError) -> Answer:
    return _answer(error_response(error.code))
