"""/v1/schedule: single and batch scheduled SMS (JSMS §2.6-2.11)."""

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.dependencies import AppCall, app_call, path_key
from smsgate.errors import Code
from smsgate.idempotency.endpoints import answer_once
from smsgate.lenient import optional_id, read_json_object, string_map
from smsgate.messages.batch_format import Recipient, batch_answer, check_tag, parse_recipients
from smsgate.messages.schedules import service
from smsgate.messages.schedules.service import BATCH, SINGLE, Scheduled, ScheduleRequest
from smsgate.messages.service import SendGuard
from smsgate.responses import JsmsJSONResponse, empty_response

router = APIRouter()


async def _body(request: Request) -> tuple[AppCall, dict[str, Any]]:
    call = await app_call(request)
    body = await read_json_object(request, call.ctx.settings.max_batch_body_bytes)
    return call, body


def _schedule_id(request: Request) -> str:
    return path_key(request, "schedule_id", Code.INVALID_SCHEDULE_ID)


def _single_request(body: dict[str, Any]) -> ScheduleRequest:
    check_tag(body.get("tag"))
    recipient = Recipient(body.get("mobile"), string_map(body.get("temp_para")))
    return ScheduleRequest(
        kind=SINGLE,
        send_time=body.get("send_time"),
        temp_id=optional_id(body, "temp_id", Code.INVALID_TEMP_ID),
        sign_id=optional_id(body, "sign_id", Code.INVALID_SIGN_ID),
        recipients=[recipient],
        tag=body.get("tag"),
    )


def _batch_request(body: dict[str, Any]) -> ScheduleRequest:
    check_tag(body.get("tag"))
    return ScheduleRequest(
        kind=BATCH,
        send_time=body.get("send_time"),
        temp_id=optional_id(body, "temp_id", Code.INVALID_TEMP_ID),
        sign_id=optional_id(body, "sign_id", Code.INVALID_SIGN_ID),
        recipients=parse_recipients(body.get("recipients")),
        tag=body.get("tag"),
    )


def _batch_answer(request: ScheduleRequest, scheduled: service.Scheduled) -> JsmsJSONResponse:
    """§2.7: the schedule_id, the counts and the refused recipients."""
    counted = batch_answer(request.recipients, scheduled.outcomes)
    return JsmsJSONResponse(
        {
            "schedule_id": scheduled.schedule_id,
            "success_count": counted["success_count"],
            "failure_count": counted["failure_count"],
            "failure_recipients": counted["failure_recipients"],
        }
    )


async def create_single(request: Request) -> Response:
    call, body = await _body(request)

    async def send(guard: SendGuard[Scheduled] | None) -> Scheduled:
        return await service.create_schedule(call.ctx, call.app, _single_request(body), guard)

    def answer(scheduled: Scheduled) -> JsmsJSONResponse:
        return JsmsJSONResponse({"schedule_id": scheduled.schedule_id})

    return await answer_once(request, call.ctx, call.app, body, send, answer)


async def create_batch(request: Request) -> Response:
    call, body = await _body(request)
    requests: list[ScheduleRequest] = []

    async def send(guard: SendGuard[Scheduled] | None) -> Scheduled:
        requests.append(_batch_request(body))
        return await service.create_schedule(call.ctx, call.app, requests[0], guard)

    def answer(scheduled: Scheduled) -> JsmsJSONResponse:
        return _batch_answer(requests[0], scheduled)

    return await answer_once(request, call.ctx, call.app, body, send, answer)


async def update_single(request: Request) -> JsmsJSONResponse:
    call, body = await _body(request)
    schedule_id = _schedule_id(request)
    change = _single_request(body)
    scheduled = await service.update_schedule(call.ctx, call.app, schedule_id, change)
    return JsmsJSONResponse({"schedule_id": scheduled.schedule_id})


async def update_batch(request: Request) -> JsmsJSONResponse:
    call, body = await _body(request)
    schedule_id = _schedule_id(request)
    change = _batch_request(body)
    scheduled = await service.update_schedule(call.ctx, call.app, schedule_id, change)
    return _batch_answer(change, scheduled)


async def show(request: Request) -> JsmsJSONResponse:
    call = await app_call(request)
    view = await service.show_schedule(call.ctx, call.app, _schedule_id(request))
    return JsmsJSONResponse(
        {
            "schedule_id": view.schedule_id,
            "send_time": view.send_time,
            "temp_id": view.temp_id,
            "recipients": view.recipients,
        }
    )


async def delete(request: Request) -> Response:
    call = await app_call(request)
    await service.delete_schedule(call.ctx, call.app, _schedule_id(request))
    return empty_response()


router.add_route("/v1/schedule", create_single, methods=["POST"])
router.add_route("/v1/schedule/batch", create_batch, methods=["POST"])
router.add_route("/v1/schedule/batch/{schedule_id}", update_batch, methods=["PUT"])
router.add_route("/v1/schedule/{schedule_id}", update_single, methods=["PUT"])
router.add_route("/v1/schedule/{schedule_id}", show, methods=["GET"])
router.add_route("/v1/schedule/{schedule_id}", delete, methods=["DELETE"])
