"""What every JSMS endpoint needs first: who is calling (authentication), then the body.

The endpoints call these directly instead of through FastAPI's dependency injection, which costs
a tenth of a send on the hottest routes (see codes/endpoints.py).
"""

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from smsgate.access.service import check_app_access
from smsgate.apps.service import AppAccount
from smsgate.context import Context
from smsgate.errors import JsmsError
from smsgate.lenient import read_json_object, row_id
from smsgate.msg_ids import could_be_msg_id
from smsgate.telemetry.access_log import note_caller


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
    if app.blocked or app.allowed_networks:  # the access policy (50036, 50035)
        peer = request.client.host if request.client else None
        claimed = request.headers.getlist(ctx.settings.trusted_proxy_header)
        check_app_access(app, peer, claimed, ctx.settings)
    return AppCall(ctx, app)


async def json_call(request: Request) -> JsonCall:
    call = await app_call(request)
    body = await read_json_object(request, call.ctx.settings.max_body_bytes)
    return JsonCall(call.ctx, call.app, body)


def path_id(request: Request, name: str, unknown_code: int) -> int:
    """A numeric id in the path; anything but digits names no object, which is JSMS error
    `unknown_code`, and so does a number beyond the id columns (see lenient.row_id)."""
    text: str = request.path_params[name]
    if not (text.isascii() and text.isdigit()):
        raise JsmsError(unknown_code)
    return row_id(text, unknown_code)


def path_key(request: Request, name: str, unknown_code: int) -> str:
    """A string id in the path (a msg_id, a schedule_id): smsgate makes them all 36 printable
    ASCII characters, so anything else (longer, a NUL, other scripts) names no object and never
    reaches the database."""
    text: str = request.path_params[name]
    if not could_be_msg_id(text):
        raise JsmsError(unknown_code)
    return text
