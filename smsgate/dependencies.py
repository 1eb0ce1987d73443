"""FastAPI dependencies shared by the endpoint modules: the context, the caller, the body."""

from typing import Annotated, Any

from fastapi import Depends, Request

from smsgate.apps.service import AppAccount
from smsgate.context import Context
from smsgate.lenient import read_json_object


async def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def get_app_account(request: Request) -> AppAccount:
    account: AppAccount = await request.app.state.authenticator(request)
    return account


async def get_json_body(request: Request) -> dict[str, Any]:
    ctx: Context = request.app.state.ctx
    return await read_json_object(request, ctx.settings.max_body_bytes)


ContextDep = Annotated[Context, Depends(get_context)]
AppDep = Annotated[AppAccount, Depends(get_app_account)]
JsonBody = Annotated[dict[str, Any], Depends(get_json_body)]
