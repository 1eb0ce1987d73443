"""Delivery reports and replies (MO): what came back from handsets, whatever the apps have
pulled, searchable by app, number and time, through the reports slice."""

from dataclasses import replace

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.console.search_form import (
    app_filter,
    form_time,
    mobile_filter,
    paging_of,
    query_of,
)
from smsgate.console.web import context_of, render, signed_in
from smsgate.mobiles import display_mobile
from smsgate.reports.repository import ListSearch
from smsgate.reports.service import list_replies, list_reports

router = APIRouter()
FINAL_STATUSES = ("delivered", "failed")


async def _search(request: Request) -> tuple[dict[str, str], ListSearch, bool]:
    """The form's query, the search it asks for, and whether its number was unreadable."""
    query = query_of(request)
    mobile, problem = mobile_filter(query.get("mobile", ""))
    chosen = ListSearch(
        app_id=await app_filter(context_of(request).db, query.get("app", "")),
        mobile=mobile,
        since=form_time(query.get("since", "")),
        until=form_time(query.get("until", "")),
    )
    return query, chosen, problem


@router.get("/reports")
async def reports_page(request: Request) -> Response:
    session = await signed_in(request)
    query, chosen, problem = await _search(request)
    status = query.get("status") if query.get("status") in FINAL_STATUSES else None
    chosen = replace(chosen, msg_id=query.get("msg_id") or None, status=status)
    paging = paging_of(query)
    found = (
        []
        if problem
        else await list_reports(context_of(request).db, chosen, paging.limit, paging.offset)
    )
    shown, more = paging.split(found)
    return render(
        request,
        "reports.html",
        session,
        reports=shown,
        more=more,
        paging=paging,
        query=query,
        problem=problem,
        statuses=FINAL_STATUSES,
        display_mobile=display_mobile,
    )


@router.get("/replies")
async def replies_page(request: Request) -> Response:
    session = await signed_in(request)
    query, chosen, problem = await _search(request)
    chosen = replace(chosen, text=query.get("text") or None)
    paging = paging_of(query)
    found = (
        []
        if problem
        else await list_replies(context_of(request).db, chosen, paging.limit, paging.offset)
    )
    shown, more = paging.split(found)
    return render(
        request,
        "replies.html",
        session,
        replies=shown,
        more=more,
        paging=paging,
        query=query,
        problem=problem,
        display_mobile=display_mobile,
    )
