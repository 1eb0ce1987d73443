"""POST /v1/templates, PUT, GET and DELETE /v1/templates/{temp_id} (plain Starlette routes: see
codes/endpoints.py)."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.dependencies import app_call, json_call, path_id
from smsgate.errors import Code
from smsgate.responses import JsmsJSONResponse, empty_response
from smsgate.templates import service
from smsgate.templates.schemas import TemplateCreated, TemplateShown, template_draft

router = APIRouter()


def _temp_id(request: Request) -> int:
    """The id in the path (authoritative over a `temp_id` in the body); anything but a
    positive number names no template (50013)."""
    return path_id(request, "temp_id", Code.INVALID_TEMP_ID)


async def create_template(request: Request) -> JsmsJSONResponse:
    call = await json_call(request)
    temp_id = await service.submit_template(call.ctx, call.app.id, template_draft(call.body))
    return JsmsJSONResponse(TemplateCreated(temp_id=temp_id))


async def change_template(request: Request) -> JsmsJSONResponse:
    call = await json_call(request)
    temp_id = await service.change_template(
        call.ctx, call.app.id, _temp_id(request), template_draft(call.body)
    )
    return JsmsJSONResponse(TemplateCreated(temp_id=temp_id))


async def show_template(request: Request) -> JsmsJSONResponse:
    call = await app_call(request)
    found = await service.show_template(call.ctx.db, call.app.id, _temp_id(request))
    shown = TemplateShown(
        temp_id=found.temp_id,
        template=found.template,
        type=found.type,
        ttl=found.ttl,
        remark=found.remark,
        status=found.status,
    )
    return JsmsJSONResponse(shown)


async def delete_template(request: Request) -> Response:
    call = await app_call(request)
    await service.delete_template(call.ctx.db, call.app.id, _temp_id(request))
    return empty_response()


router.add_route("/v1/templates", create_template, methods=["POST"])
router.add_route("/v1/templates/{temp_id}", change_template, methods=["PUT"])
router.add_route("/v1/templates/{temp_id}", show_template, methods=["GET"])
router.add_route("/v1/templates/{temp_id}", delete_template, methods=["DELETE"])
