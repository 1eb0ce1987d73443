"""POST /v1/messages: one template SMS (a plain Starlette route: see codes/endpoints.py)."""

from fastapi import APIRouter
from starlette.requests import Request

from smsgate.dependencies import json_call
from smsgate.lenient import optional_int, string_map
from smsgate.messages import service
from smsgate.responses import JsmsJSONResponse

router = APIRouter()


async def send_message(request: Request) -> JsmsJSONResponse:
    call = await json_call(request)
    msg_id = await service.send_template_message(
        call.ctx,
        call.app,
        mobile=call.body.get("mobile"),
        temp_id=optional_int(call.body, "temp_id", 50013),
        sign_id=optional_int(call.body, "sign_id", 50102),
        temp_para=string_map(call.body.get("temp_para")),
    )
    return JsmsJSONResponse({"msg_id": msg_id})


router.add_route("/v1/messages", send_message, methods=["POST"])
