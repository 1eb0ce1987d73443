"""POST /v1/messages: one template SMS."""

from fastapi import APIRouter

from smsgate.dependencies import JsonCallDep
from smsgate.lenient import optional_int, string_map
from smsgate.messages import service
from smsgate.responses import JsmsJSONResponse

router = APIRouter()


@router.post("/v1/messages")
async def send_message(call: JsonCallDep) -> JsmsJSONResponse:
    msg_id = await service.send_template_message(
        call.ctx,
        call.app,
        mobile=call.body.get("mobile"),
        temp_id=optional_int(call.body, "temp_id", 50013),
        sign_id=optional_int(call.body, "sign_id", 50102),
        temp_para=string_map(call.body.get("temp_para")),
    )
    return JsmsJSONResponse({"msg_id": msg_id})
