"""POST /v1/messages and /v1/messages/batch: template SMS (plain Starlette routes: see
codes/endpoints.py)."""

from fastapi import APIRouter
from starlette.requests import Request

from smsgate.dependencies import JsonCall, app_call, json_call
from smsgate.lenient import optional_id, read_json_object, string_map
from smsgate.messages import batch, service
from smsgate.messages.batch import batch_answer, check_tag, parse_recipients
from smsgate.responses import JsmsJSONResponse

router = APIRouter()


async def send_message(request: Request) -> JsmsJSONResponse:
    call = await json_call(request)
    msg_id = await service.send_template_message(
        call.ctx,
        call.app,
        mobile=call.body.get("mobile"),
        temp_id=optional_id(call.body, "temp_id", 50013),
        sign_id=optional_id(call.body, "sign_id", 50102),
        temp_para=string_map(call.body.get("temp_para")),
    )
    return JsmsJSONResponse({"msg_id": msg_id})


async def batch_call(request: Request) -> JsonCall:
    """A call whose body may hold 1000 recipients: a larger body limit than other calls."""
    call = await app_call(request)
    body = await read_json_object(request, call.ctx.settings.max_batch_body_bytes)
    return JsonCall(call.ctx, call.app, body)


async def send_batch(request: Request) -> JsmsJSONResponse:
    call = await batch_call(request)
    check_tag(call.body.get("tag"))
    recipients = parse_recipients(call.body.get("recipients"))
    outcomes = await batch.send_batch(
        call.ctx,
        call.app,
        temp_id=optional_id(call.body, "temp_id", 50013),
        sign_id=optional_id(call.body, "sign_id", 50102),
        recipients=recipients,
    )
    return JsmsJSONResponse(batch_answer(recipients, outcomes))


router.add_route("/v1/messages", send_message, methods=["POST"])
router.add_route("/v1/messages/batch", send_batch, methods=["POST"])
