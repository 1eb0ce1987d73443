"""POST /v1/sign, POST or PUT /v1/sign/{sign_id}, GET and DELETE /v1/sign/{sign_id}
(plain Starlette routes: see codes/endpoints.py)."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.dependencies import app_call, path_id
from smsgate.errors import Code
from smsgate.responses import JsmsJSONResponse, empty_response
from smsgate.signs import service
from smsgate.signs.forms import read_sign_form
from smsgate.signs.schemas import SignCreated, SignShown

router = APIRouter()


def _sign_id(request: Request) -> int:
    """The id in the path; anything but a positive number names no signature (50102)."""
    return path_id(request, "sign_id", Code.INVALID_SIGN_ID)


async def create_sign(request: Request) -> JsmsJSONResponse:
    call = await app_call(request)
    draft = await read_sign_form(request, call.ctx.settings.sign_image_max_bytes)
    sign_id = await service.submit_sign(call.ctx, call.app.id, draft)
    return JsmsJSONResponse(SignCreated(sign_id=sign_id))


async def change_sign(request: Request) -> JsmsJSONResponse:
    call = await app_call(request)
    sign_id = _sign_id(request)
    draft = await read_sign_form(request, call.ctx.settings.sign_image_max_bytes)
    await service.change_sign(call.ctx, call.app.id, sign_id, draft)
    return JsmsJSONResponse(SignCreated(sign_id=sign_id))


async def show_sign(request: Request) -> JsmsJSONResponse:
    call = await app_call(request)
    sign = await service.show_sign(call.ctx.db, call.app.id, _sign_id(request))
    shown = SignShown(
        sign_id=sign.sign_id,
        sign=sign.sign,
        status=sign.status,
        is_default=int(sign.is_default),
        use_status=int(sign.in_use),
    )
    return JsmsJSONResponse(shown)


async def delete_sign(request: Request) -> Response:
    call = await app_call(request)
    await service.delete_sign(call.ctx, call.app.id, _sign_id(request))
    return empty_response()


router.add_route("/v1/sign", create_sign, methods=["POST"])
# docs-zh and every SDK change a signature with POST, docs-en says PUT: both (§7 A5).
router.add_route("/v1/sign/{sign_id}", change_sign, methods=["POST", "PUT"])
router.add_route("/v1/sign/{sign_id}", show_sign, methods=["GET"])
router.add_route("/v1/sign/{sign_id}", delete_sign, methods=["DELETE"])
