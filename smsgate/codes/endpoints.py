"""POST /v1/codes, /v1/voice_codes, /v1/codes/{msg_id}/valid, and GET /v1/codes/{msg_id}.

Like every JSMS route these are plain Starlette routes on FastAPI's router: FastAPI's per-request
machinery (dependency solving, a response object for dependencies to decorate, query and cookie
parsing) cost a tenth of a send and gave handlers that read their own lenient JSON nothing. The
app, its error handlers and middleware stay FastAPI's.
"""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.codes import service
from smsgate.dependencies import app_call, json_call, path_key
from smsgate.errors import Code, JsmsError
from smsgate.idempotency.endpoints import answer_once
from smsgate.lenient import optional_id, optional_int, optional_text
from smsgate.messages.service import SendGuard
from smsgate.responses import JsmsJSONResponse, error_response, msg_id_answer

router = APIRouter()


async def send_code(request: Request) -> Response:
    call = await json_call(request)

    async def send(guard: SendGuard[str] | None) -> str:
        return await service.send_code(
            call.ctx,
            call.app,
            mobile=call.body.get("mobile"),
            temp_id=optional_id(call.body, "temp_id", Code.INVALID_TEMP_ID),
            sign_id=optional_id(call.body, "sign_id", Code.INVALID_SIGN_ID),
            guard=guard,
        )

    return await answer_once(request, call.ctx, call.app, call.body, send, msg_id_answer)


async def send_voice_code(request: Request) -> Response:
    call = await json_call(request)

    async def send(guard: SendGuard[str] | None) -> str:
        return await service.send_voice_code(
            call.ctx,
            call.app,
            mobile=call.body.get("mobile"),
            code=optional_text(call.body, "code", Code.INVALID_CODE_TYPE),
            voice_lang=optional_int(call.body, "voice_lang", Code.INVALID_VOICE_LANGUAGE),
            ttl=optional_int(call.body, "ttl", Code.INVALID_TTL),
            guard=guard,
        )

    return await answer_once(request, call.ctx, call.app, call.body, send, msg_id_answer)


async def show_code(request: Request) -> JsmsJSONResponse:
    """GET /v1/codes/{msg_id} (an extension): where the app's code stands."""
    call = await app_call(request)
    msg_id = path_key(request, "msg_id", Code.WRONG_MSG_ID)
    state = await service.code_state(call.ctx, call.app, msg_id)
    return JsmsJSONResponse(asdict(state))


async def verify_code(request: Request) -> JsmsJSONResponse:
    """Every failed check answers `is_valid: false` beside its error (docs/api.md),
    whatever failed: credentials, body, code or msg_id."""
    try:
        call = await json_call(request)
        code = submitted_code(call.body)
        if code is None:
            raise JsmsError(Code.MISSING_CODE)
        msg_id = path_key(request, "msg_id", Code.WRONG_MSG_ID)
        await service.verify_code(call.ctx, call.app, msg_id, code)
    except JsmsError as error:
        return error_response(error.code, {"is_valid": False})
    return JsmsJSONResponse({"is_valid": True})


def submitted_code(body: dict[str, Any]) -> str | None:
    """The `code` as text; null or blank is missing. A value no code can be (`[]`, `{}`,
    `true`, `576741.0`) is kept as written: it is then checked like any wrong code, after the
    msg_id (an unknown msg_id is 50026 whatever the code)."""
    value = body.get("code")
    text = value.strip() if isinstance(value, str) else str(value)
    return None if value is None or not text else text


router.add_route("/v1/codes", send_code, methods=["POST"])
router.add_route("/v1/voice_codes", send_voice_code, methods=["POST"])
router.add_route("/v1/codes/{msg_id}/valid", verify_code, methods=["POST"])
router.add_route("/v1/codes/{msg_id}", show_code, methods=["GET"])
