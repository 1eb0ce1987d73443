"""POST /v1/codes, /v1/voice_codes and /v1/codes/{msg_id}/valid."""

from fastapi import APIRouter

from smsgate.codes import service
from smsgate.dependencies import AppDep, ContextDep, JsonBody
from smsgate.errors import JsmsError
from smsgate.lenient import optional_int, optional_text
from smsgate.responses import JsmsJSONResponse, error_response

router = APIRouter()
_VERIFY_FAILURES = {50010, 50011, 50012, 50026}


@router.post("/v1/codes")
async def send_code(ctx: ContextDep, app: AppDep, body: JsonBody) -> JsmsJSONResponse:
    msg_id = await service.send_code(
        ctx,
        app,
        mobile=body.get("mobile"),
        temp_id=optional_int(body, "temp_id", 50013),
        sign_id=optional_int(body, "sign_id", 50102),
    )
    return JsmsJSONResponse({"msg_id": msg_id})


@router.post("/v1/voice_codes")
async def send_voice_code(ctx: ContextDep, app: AppDep, body: JsonBody) -> JsmsJSONResponse:
    msg_id = await service.send_voice_code(
        ctx,
        app,
        mobile=body.get("mobile"),
        code=optional_text(body, "code", 50039),
        voice_lang=optional_int(body, "voice_lang", 50040),
        ttl=optional_int(body, "ttl", 50041),
    )
    return JsmsJSONResponse({"msg_id": msg_id})


@router.post("/v1/codes/{msg_id}/valid")
async def verify_code(
    ctx: ContextDep, app: AppDep, body: JsonBody, msg_id: str
) -> JsmsJSONResponse:
    try:
        await service.verify_code(ctx, app, msg_id, optional_text(body, "code", 50010))
    except JsmsError as error:
        if error.code in _VERIFY_FAILURES:
            return error_response(error.code, {"is_valid": False})
        raise
    return JsmsJSONResponse({"is_valid": True})
