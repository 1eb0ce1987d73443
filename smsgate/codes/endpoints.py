"""POST /v1/codes, /v1/voice_codes and /v1/codes/{msg_id}/valid.

Like every JSMS route these are plain Starlette routes on FastAPI's router: FastAPI's per-request
machinery (dependency solving, a response object for dependencies to decorate, query and cookie
parsing) cost a tenth of a send and gave handlers that read their own lenient JSON nothing. The
app, its error handlers and middleware stay FastAPI's.
"""

from dataclasses import asdict

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.codes import service
from smsgate.dependencies import app_call, json_call
from smsgate.errors import JsmsError
from smsgate.idempotency.endpoints import answer_once
from smsgate.lenient import optional_int, optional_text
from smsgate.messages.service import SendGuard
from smsgate.responses import JsmsJSONResponse, error_response

router = APIRouter()
_VERIFY_FAILURES = {50010, 50011, 50012, 50026}


def msg_id_answer(msg_id: str) -> JsmsJSONResponse:
    return JsmsJSONResponse({"msg_id": msg_id})


async def send_code(request: Request) -> Response:
    call = await json_call(request)

    async def send(guard: SendGuard[str] | None) -> str:
        return await service.send_code(
            call.ctx,
            call.app,
            mobile=call.body.get("mobile"),
            temp_id=optional_int(call.body, "temp_id", 50013),
            sign_id=optional_int(call.body, "sign_id", 50102),
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
            code=optional_text(call.body, "code", 50039),
            voice_lang=optional_int(call.body, "voice_lang", 50040),
            ttl=optional_int(call.body, "ttl", 50041),
            guard=guard,
        )

    return await answer_once(request, call.ctx, call.app, call.body, send, msg_id_answer)


async def show_code(request: Request) -> JsmsJSONResponse:
    """GET /v1/codes/{msg_id} (an extension): where the app's code stands."""
    call = await app_call(request)
    state = await service.code_state(call.ctx, call.app, request.path_params["msg_id"])
    return JsmsJSONResponse(asdict(state))


async def verify_code(request: Request) -> JsmsJSONResponse:
    call = await json_call(request)
    code = optional_text(call.body, "code", 50010)
    try:
        await service.verify_code(call.ctx, call.app, request.path_params["msg_id"], code)
    except JsmsError as error:
        if error.code in _VERIFY_FAILURES:
            return error_response(error.code, {"is_valid": False})
        raise
    return JsmsJSONResponse({"is_valid": True})


router.add_route("/v1/codes", send_code, methods=["POST"])
router.add_route("/v1/voice_codes", send_voice_code, methods=["POST"])
router.add_route("/v1/codes/{msg_id}/valid", verify_code, methods=["POST"])
router.add_route("/v1/codes/{msg_id}", show_code, methods=["GET"])
