"""The FastAPI dependencies of the JSMS endpoints: who is calling, and with what body.

One dependency per endpoint rather than three: FastAPI's dependency resolution costs time per
dependency, and every JSMS call needs the same things in the same order (authentication first,
then the body).
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from smsgate.apps.service import AppAccount
from smsgate.context import Context
from smsgate.lenient import read_json_object


@dataclass(frozen=True, slots=True)
class AppCall:
    """An authenticated call: the process context and the calling app."""

    ctx: Context
    app: AppAccount


@dataclass(frozen=True, slots=True)
class JsonCall:
    """An authenticated call with its JSON object body."""

    ctx: Context
    app: AppAccount
    body: dict[str, Any]


async def app_call(request: Request) -> AppCall:
    ctx: Context = request.app.state.ctx
    app: AppAccount = await request.app.state.authenticator(request)
    return AppCall(ctx, app)


async def json_call(request: Request) -> JsonCall:
    ctx: Context = request.app.state.ctx
    app: AppAccount = await request.app.state.authenticator(request)
    body = await read_json_object(request, ctx.settings.max_body_bytes)
    return JsonCall(ctx, app, body)


AppCallDep = Annotated[AppCall, Depends(app_call)]
JsonCallDep = Annotated[JsonCall, Depends(json_call)]
