"""GET /v1/accounts/app: the app's remaining quotas."""

from fastapi import APIRouter

from smsgate.apps import service
from smsgate.dependencies import AppCallDep
from smsgate.responses import JsmsJSONResponse

router = APIRouter()


@router.get("/v1/accounts/app")
async def app_balance(call: AppCallDep) -> JsmsJSONResponse:
    return JsmsJSONResponse(await service.app_balances(call.ctx.db, call.app))
