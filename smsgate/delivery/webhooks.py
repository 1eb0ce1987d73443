"""Where HTTP providers call smsgate back: delivery reports and replies.

    GET|POST /providers/{name}/report     Kannel dlr-url, Aliyun SmsReport, Tencent Cloud status
                                          reports, Twilio StatusCallback
    GET|POST /providers/{name}/inbound    Kannel sms-service get-url, Aliyun SmsUp, Tencent Cloud
                                          replies, Twilio's messaging webhook

`name` is a provider of the delivery configuration. Each provider type checks its callbacks
(Twilio's signature, the others' `?token=`) and reads them; what they say goes to the
DeliveryEvents on the database, and the answer is what the vendor expects (a JSON
acknowledgement for Aliyun and Tencent Cloud, empty TwiML for a Twilio reply).
"""

from typing import cast
from urllib.parse import parse_qsl

import structlog
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.context import Context
from smsgate.delivery.config import DeliveryConfig, load_delivery_config
from smsgate.delivery.events import DatabaseEvents
from smsgate.delivery.providers.base import DeliveryEvents
from smsgate.delivery.providers.http_provider import (
    CallbackInvalid,
    CallbackKind,
    CallbackOutcome,
    CallbackRefused,
    CallbackRequest,
)
from smsgate.delivery.providers.registry import provider_type
from smsgate.errors import Code, JsmsError
from smsgate.lenient import read_limited_body

log = structlog.get_logger(__name__)
FORM_TYPE = "application/x-www-form-urlencoded"


async def provider_report(request: Request) -> Response:
    return await _callback(request, "report")


async def provider_inbound(request: Request) -> Response:
    return await _callback(request, "inbound")


async def _callback(request: Request, kind: CallbackKind) -> Response:
    ctx: Context = request.app.state.ctx
    name = request.path_params["name"]
    config = _delivery_config(request).providers.get(name)
    handler = None if config is None else provider_type(config.type).callback
    if config is None or handler is None:
        raise JsmsError(Code.API_NOT_FOUND)  # no such provider, or one that takes no callbacks
    callback = await _read(request, kind, ctx.settings.max_body_bytes)
    try:
        outcome = handler(config, callback)
    except CallbackRefused as refusal:
        log.warning("provider callback refused", provider=name, kind=kind, reason=str(refusal))
        raise JsmsError(Code.AUTH_FAILED) from None
    except CallbackInvalid as invalid:
        log.warning("provider callback unreadable", provider=name, kind=kind, reason=str(invalid))
        raise JsmsError(Code.INVALID_BODY) from None
    await hand_over(_events(request), name, outcome)
    return Response(outcome.answer, media_type=outcome.media_type)


async def hand_over(events: DeliveryEvents, provider: str, outcome: CallbackOutcome) -> None:
    await events.reports(provider, outcome.reports)
    await events.inbound(provider, outcome.inbound)


async def _read(request: Request, kind: CallbackKind, max_bytes: int) -> CallbackRequest:
    body = await read_limited_body(request, max_bytes) if request.method == "POST" else b""
    form: dict[str, str] = {}
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == FORM_TYPE:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    query = request.url.query
    return CallbackRequest(
        kind=kind,
        method=request.method,
        path_and_query=request.url.path + (f"?{query}" if query else ""),
        query=dict(request.query_params),
        form=form,
        body=body,
        headers={key.lower(): value for key, value in request.headers.items()},
    )


def _delivery_config(request: Request) -> DeliveryConfig:
    """Read once per process: the same file the worker routes by (checked at start)."""
    state = request.app.state
    if getattr(state, "delivery_config", None) is None:
        ctx: Context = state.ctx
        state.delivery_config = load_delivery_config(ctx.settings)
    return cast(DeliveryConfig, state.delivery_config)


def _events(request: Request) -> DeliveryEvents:
    state = request.app.state
    if getattr(state, "delivery_events", None) is None:
        ctx: Context = state.ctx
        state.delivery_events = DatabaseEvents(ctx.db)
    return cast(DeliveryEvents, state.delivery_events)


router = APIRouter()
for _kind, _endpoint in (("report", provider_report), ("inbound", provider_inbound)):
    router.add_route(f"/providers/{{name}}/{_kind}", _endpoint, methods=["GET", "POST"])
