"""GET /v1/accounts/app: the app's remaining quotas (a plain Starlette route: see
codes/endpoints.py)."""

from fastapi import APIRouter
from starlette.requests import Request

from smsgate.apps import service
from smsgate.dependencies import app_call
from smsgate.responses import JsmsJSONResponse

router = APIRouter()


async def app_balance(request: Request) -> JsmsJSONResponse:
    call = await app_call(request)
    return JsmsJSONResponse(await service.app_balances(call.ctx.db, call.app))


router.add_route("/v1/accounts/app", app_balance, methods=["GET"])
