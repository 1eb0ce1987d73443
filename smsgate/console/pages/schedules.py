"""Schedules: pending, sent and cancelled ones by app, status and send time; one schedule with
its recipients; cancel a pending one through the rules of DELETE /v1/schedule/{id}."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.console import audit
from smsgate.console.search_form import app_filter, form_time, paging_of, query_of
from smsgate.console.web import (
    PREFIX,
    ConsoleRefused,
    checked_form,
    context_of,
    render,
    see_other,
    signed_in,
)
from smsgate.errors import JsmsError
from smsgate.messages.schedules import service as schedules
from smsgate.messages.schedules.repository import DELETED, PENDING, SENT, ScheduleSearch
from smsgate.mobiles import display_mobile

router = APIRouter()
STATUSES = (PENDING, SENT, DELETED)


@router.get("/schedules")
async def schedules_page(request: Request) -> Response:
    session = await signed_in(request)
    ctx = context_of(request)
    query = query_of(request)
    paging = paging_of(query)
    chosen = ScheduleSearch(
        app_id=await app_filter(ctx.db, query.get("app", "")),
        status=query.get("status") if query.get("status") in STATUSES else None,
        since=form_time(query.get("since", "")),
        until=form_time(query.get("until", "")),
    )
    found = await schedules.list_schedules(ctx, chosen, paging.limit, paging.offset)
    shown, more = paging.split(found)
    return render(
        request,
        "schedules.html",
        session,
        schedules=shown,
        more=more,
        paging=paging,
        query=query,
        statuses=STATUSES,
    )


@router.get("/schedules/{schedule_id}")
async def schedule_page(request: Request, schedule_id: str) -> Response:
    session = await signed_in(request)
    found = await schedules.find_any_schedule(context_of(request), schedule_id[:64])
    if found is None:
        raise ConsoleRefused(404, "not_found")
    return render(request, "schedule.html", session, schedule=found, display_mobile=display_mobile)


@router.post("/schedules/{schedule_id}/cancel")
async def cancel(request: Request, schedule_id: str) -> Response:
    session, _form = await checked_form(request)
    ctx = context_of(request)
    try:
        app_key = await schedules.cancel_schedule(ctx, schedule_id[:64])
    except JsmsError as error:
        raise ConsoleRefused(error.http_status, f"{error.code} {error.message}") from None
    await audit.record(
        ctx.db, session.operator, "cancel_schedule", f"schedule {schedule_id}", f"app={app_key}"
    )
    return see_other(f"{PREFIX}/schedules/{schedule_id}")
