"""POST /v1/messages: one template SMS."""

from fastapi import APIRouter

from smsgate.dependencies import AppDep, ContextDep, JsonBody
from smsgate.lenient import optional_int, string_map
from smsgate.messages import service
from smsgate.responses import JsmsJSONResponse

router = APIRouter()


@router.post("/v1/messages")
async def send_message(ctx: ContextDep, app: AppDep, body: JsonBody) -> JsmsJSONResponse:
    msg_id = await service.send_template_message(
        ctx,
        app,
        mobile=body.get("mobile"),
        temp_id=optional_int(body, "temp_id", 50013),
        sign_id=optional_int(body, "sign_id", 50102),
        temp_para=string_map(body.get("temp_para")),
    )
    return JsmsJSONResponse({"msg_id": msg_id})
