"""GET /v1/accounts/app: the app's remaining quotas."""

from fastapi import APIRouter

from smsgate.apps import service
from smsgate.dependencies import AppDep, ContextDep
from smsgate.responses import JsmsJSONResponse

router = APIRouter()


@router.get("/v1/accounts/app")
async def app_balance(ctx: ContextDep, app: AppDep) -> JsmsJSONResponse:
    return JsmsJSONResponse(await service.app_balances(ctx.db, app))
