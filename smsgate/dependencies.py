"""What every JSMS endpoint needs first: who is calling (authentication), then the body.

The endpoints call these directly instead of through FastAPI's dependency injection, which costs
a tenth of a send on the hottest routes (see codes/endpoints.py).
"""

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from smsgate.apps.service import AppAccount
from smsgate.content.service import check_app_access
from smsgate.context import Context
from smsgate.errors import JsmsError
from smsgate.lenient import read_json_object
from smsgate.observability.access_log import note_caller


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
    note_caller(request.scope, app.app_key)
    if app.blocked or app.allowed_networks:  # the content policy's access checks (50036, 50035)
        peer = request.client.host if request.client else None
        claimed = request.headers.getlist(ctx.settings.trusted_proxy_header)
        check_app_access(app, peer, claimed, ctx.settings)
    return AppCall(ctx, app)


async def json_call(request: Request) -> JsonCall:
    call = await app_call(request)
    body = await read_json_object(request, call.ctx.settings.max_body_bytes)
    return JsonCall(call.ctx, call.app, body)


def path_id(request: Request, name: str, unknown_code: int) -> int:
    """A numeric id in the path; anything but digits (at most 18, so it fits a BIGINT) names
    no object, which is JSMS error `unknown_code`."""
    text: str = request.path_params[name]
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise JsmsError(unknown_code)
    return int(text)
