"""GET /v1/accounts/dev: the developer account's pool (a plain Starlette route: see
codes/endpoints.py). Authenticated with devKey:devSecret, not with an app's credentials."""

from fastapi import APIRouter
from starlette.requests import Request

from smsgate.context import Context
from smsgate.devs import service
from smsgate.responses import JsmsJSONResponse
from smsgate.telemetry.access_log import note_caller

router = APIRouter()


async def dev_balance(request: Request) -> JsmsJSONResponse:
    ctx: Context = request.app.state.ctx
    dev: service.DevAccount = await request.app.state.dev_authenticator(request)
    note_caller(request.scope, dev.dev_key)
    return JsmsJSONResponse(await service.dev_balances(ctx.db, dev))


router.add_route("/v1/accounts/dev", dev_balance, methods=["GET"])
