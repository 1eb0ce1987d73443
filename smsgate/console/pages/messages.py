"""Messages: search by number, msg_id, app, status and time; one message's page."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.console.search_form import form_time, query_of
from smsgate.console.timeline import load_timeline
from smsgate.console.web import ConsoleRefused, context_of, render, signed_in
from smsgate.errors import JsmsError
from smsgate.messages.lookup import message_detail, search_messages
from smsgate.messages.repository import MessageFilter
from smsgate.mobiles import display_mobile, normalise_mobile

router = APIRouter()
STATUSES = ("accepted", "submitted", "delivered", "failed")  # messages.status


def _filter(query: dict[str, str]) -> tuple[MessageFilter, str | None]:
    """The search form as a filter; an unreadable number is said, not ignored."""
    problem = None
    mobile = None
    if query.get("mobile"):
        try:
            mobile = normalise_mobile(query["mobile"])
        except JsmsError:
            problem = "mobile"
    status = query.get("status") if query.get("status") in STATUSES else None
    chosen = MessageFilter(
        mobile=mobile,
        msg_id=query.get("msg_id") or None,
        app_key=query.get("app") or None,
        status=status,
        since=form_time(query.get("since", "")),
        until=form_time(query.get("until", "")),
    )
    return chosen, problem


@router.get("/messages")
async def messages_page(request: Request) -> Response:
    session = await signed_in(request)
    query = query_of(request)
    chosen, problem = _filter(query)
    found = [] if problem else await search_messages(context_of(request).db, chosen)
    return render(
        request,
        "messages.html",
        session,
        messages=found,
        query=query,
        problem=problem,
        statuses=STATUSES,
        display_mobile=display_mobile,
    )


@router.get("/messages/{msg_id}")
async def message_page(request: Request, msg_id: str) -> Response:
    session = await signed_in(request)
    detail = await message_detail(context_of(request).db, msg_id[:64])
    if detail is None:
        raise ConsoleRefused(404, "not_found")
    return render(
        request,
        "message.html",
        session,
        detail=detail,
        message=detail.message,
        timeline=await load_timeline(context_of(request).db, detail.message.id),
        display_mobile=display_mobile,
    )
