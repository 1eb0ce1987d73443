"""POST /v1/messages and /v1/messages/batch: template SMS (plain Starlette routes: see
codes/endpoints.py)."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.dependencies import JsonCall, app_call, json_call
from smsgate.errors import Code
from smsgate.idempotency.endpoints import answer_once
from smsgate.lenient import optional_id, read_json_object, string_map
from smsgate.messages import batch, service
from smsgate.messages.batch_format import (
    BatchOutcome,
    Recipient,
    batch_answer,
    check_tag,
    parse_recipients,
)
from smsgate.messages.service import SendGuard
from smsgate.responses import JsmsJSONResponse, msg_id_answer

router = APIRouter()


async def send_message(request: Request) -> Response:
    call = await json_call(request)

    async def send(guard: SendGuard[str] | None) -> str:
        return await service.send_template_message(
            call.ctx,
            call.app,
            mobile=call.body.get("mobile"),
            temp_id=optional_id(call.body, "temp_id", Code.INVALID_TEMP_ID),
            sign_id=optional_id(call.body, "sign_id", Code.INVALID_SIGN_ID),
            temp_para=string_map(call.body.get("temp_para")),
            guard=guard,
        )

    return await answer_once(request, call.ctx, call.app, call.body, send, msg_id_answer)


async def batch_call(request: Request) -> JsonCall:
    """A call whose body may hold 1000 recipients: a larger body limit than other calls."""
    call = await app_call(request)
    body = await read_json_object(request, call.ctx.settings.max_batch_body_bytes)
    return JsonCall(call.ctx, call.app, body)


async def send_batch(request: Request) -> Response:
    call = await batch_call(request)

    recipients: list[Recipient] = []

    async def send(guard: SendGuard[list[BatchOutcome]] | None) -> list[BatchOutcome]:
        check_tag(call.body.get("tag"))
        recipients.extend(parse_recipients(call.body.get("recipients")))
        return await batch.send_batch(
            call.ctx,
            call.app,
            temp_id=optional_id(call.body, "temp_id", Code.INVALID_TEMP_ID),
            sign_id=optional_id(call.body, "sign_id", Code.INVALID_SIGN_ID),
            recipients=recipients,
            guard=guard,
        )

    def answer(outcomes: list[BatchOutcome]) -> JsmsJSONResponse:
        return JsmsJSONResponse(batch_answer(recipients, outcomes))

    return await answer_once(request, call.ctx, call.app, call.body, send, answer)


router.add_route("/v1/messages", send_message, methods=["POST"])
router.add_route("/v1/messages/batch", send_batch, methods=["POST"])
