"""POST /v1/codes, /v1/voice_codes and /v1/codes/{msg_id}/valid."""

from fastapi import APIRouter

from smsgate.codes import service
from smsgate.dependencies import JsonCallDep
from smsgate.errors import JsmsError
from smsgate.lenient import optional_int, optional_text
from smsgate.responses import JsmsJSONResponse, error_response

router = APIRouter()
_VERIFY_FAILURES = {50010, 50011, 50012, 50026}


@router.post("/v1/codes")
async def send_code(call: JsonCallDep) -> JsmsJSONResponse:
    msg_id = await service.send_code(
        call.ctx,
        call.app,
        mobile=call.body.get("mobile"),
        temp_id=optional_int(call.body, "temp_id", 50013),
        sign_id=optional_int(call.body, "sign_id", 50102),
    )
    return JsmsJSONResponse({"msg_id": msg_id})


@router.post("/v1/voice_codes")
async def send_voice_code(call: JsonCallDep) -> JsmsJSONResponse:
    msg_id = await service.send_voice_code(
        call.ctx,
        call.app,
        mobile=call.body.get("mobile"),
        code=optional_text(call.body, "code", 50039),
        voice_lang=optional_int(call.body, "voice_lang", 50040),
        ttl=optional_int(call.body, "ttl", 50041),
    )
    return JsmsJSONResponse({"msg_id": msg_id})


@router.post("/v1/codes/{msg_id}/valid")
async def verify_code(call: JsonCallDep, msg_id: str) -> JsmsJSONResponse:
    code = optional_text(call.body, "code", 50010)
    try:
        await service.verify_code(call.ctx, call.app, msg_id, code)
    except JsmsError as error:
        if error.code in _VERIFY_FAILURES:
            return error_response(error.code, {"is_valid": False})
        raise
    return JsmsJSONResponse({"is_valid": True})
