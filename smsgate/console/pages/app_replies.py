"""Where an app hears back: its callback URL (set after the echostr check, or cleared), a signed
test callback sent at once, and the numbers its replies arrive at. Through the callbacks and
reports services the command line uses, audited."""

from urllib.parse import urlsplit

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.apps.service import UnknownApp
from smsgate.callbacks.probe import send_test_callback
from smsgate.callbacks.service import CallbackRefused, set_callback_url
from smsgate.console import audit
from smsgate.console.pages.app_page import Problem, app_changed, show_app
from smsgate.console.web import ConsoleRefused, checked_form, context_of, form_text
from smsgate.reports.service import InvalidReplyNumber, NumberTaken, change_reply_number

router = APIRouter()
MAX_URL = 500  # app_callbacks.url


@router.post("/apps/{app_key}/callback")
async def set_callback(request: Request, app_key: str) -> Response:
    """Set the URL (the master secret is needed once, unless a sealed one is kept), or clear it
    with the "clear" button."""
    session, form = await checked_form(request)
    clear = form_text(form, "clear") == "1"
    url = "" if clear else form_text(form, "url")
    secret = form_text(form, "master_secret") or None
    ctx = context_of(request)
    if len(url) > MAX_URL:
        return await show_app(request, session, app_key, problem=_refused(url, "URL too long"))
    try:
        await set_callback_url(ctx, app_key, url or None, None if clear else secret)
    except UnknownApp:
        raise ConsoleRefused(404, "not_found") from None
    except CallbackRefused as refusal:
        return await show_app(request, session, app_key, problem=_refused(url, str(refusal)))
    action = "set_callback_url" if url else "clear_callback_url"
    await audit.record(ctx.db, session.operator, action, app_key, _without_password(url))
    return app_changed(request, app_key)


def _without_password(url: str) -> str:
    """The URL for the audit list, which never holds a password (user:password@host)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}").geturl()


def _refused(url: str, detail: str) -> Problem:
    return Problem("callback", "callback_refused", detail, {"url": url})


@router.post("/apps/{app_key}/callback/test")
async def test_callback(request: Request, app_key: str) -> Response:
    """Post a signed SMS_TEST callback now (bounded by callback_timeout_seconds) and show what
    came back."""
    session, _form = await checked_form(request)
    ctx = context_of(request)
    try:
        result = await send_test_callback(ctx, app_key)
    except UnknownApp:
        raise ConsoleRefused(404, "not_found") from None
    except CallbackRefused as refusal:
        problem = Problem("callback_test", "test_refused", str(refusal))
        return await show_app(request, session, app_key, problem=problem)
    outcome = f"HTTP {result.status}" if result.status is not None else result.error or ""
    await audit.record(ctx.db, session.operator, "test_callback", app_key, outcome)
    return await show_app(request, session, app_key, probe=result)


@router.post("/apps/{app_key}/reply-numbers/add")
async def add_reply_number(request: Request, app_key: str) -> Response:
    return await _change_reply_number(request, app_key, add=True)


@router.post("/apps/{app_key}/reply-numbers/remove")
async def remove_reply_number(request: Request, app_key: str) -> Response:
    return await _change_reply_number(request, app_key, add=False)


async def _change_reply_number(request: Request, app_key: str, *, add: bool) -> Response:
    session, form = await checked_form(request)
    number = form_text(form, "number")[:64]
    db = context_of(request).db
    try:
        await change_reply_number(db, app_key, number, add=add)
    except UnknownApp:
        raise ConsoleRefused(404, "not_found") from None
    except (InvalidReplyNumber, NumberTaken) as refusal:
        message = "number_taken" if isinstance(refusal, NumberTaken) else "reply_number_refused"
        problem = Problem("reply_numbers", message, str(refusal), {"number": number})
        return await show_app(request, session, app_key, problem=problem)
    action = "add_reply_number" if add else "remove_reply_number"
    await audit.record(db, session.operator, action, app_key, number)
    return app_changed(request, app_key)
