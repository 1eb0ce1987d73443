"""The console's front door: sign in and out, the language switch, its own assets, and the
routers of every page, mounted under /console/ by `install_console`."""

import secrets
from importlib import resources

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import Response

from smsgate.console import accounts, audit
from smsgate.console.i18n import LANGUAGES
from smsgate.console.pages import (
    app_page,
    app_replies,
    app_settings,
    apps,
    callbacks,
    delivery,
    messages,
    overview,
    reports,
    review,
    sandbox,
    schedules,
)
from smsgate.console.pages.app_fraud import router as app_fraud_router
from smsgate.console.pages.devs import router as devs_router
from smsgate.console.web import (
    LANGUAGE_COOKIE,
    LOGIN_CSRF_COOKIE,
    PREFIX,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    ConsoleRefused,
    SignInNeeded,
    address_of,
    checked_form,
    context_of,
    form_text,
    render,
    same_token,
    see_other,
    set_cookie,
    signed_in,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
STATIC_TYPES = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript"}
LOGIN_FORM_SECONDS = 3600


def install_console(app: FastAPI) -> None:
    """Add the console's routes and its answers for a missing session and a refused request."""
    app.include_router(router)

    async def sign_in_needed(request: Request, _error: Exception) -> Response:
        return see_other(f"{PREFIX}/login")

    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, ConsoleRefused)
        return render(request, "refused.html", None, status=error.status, message=error.message)

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(ConsoleRefused, refused)


@router.get("")
async def home(request: Request) -> Response:
    await signed_in(request)
    return see_other(f"{PREFIX}/overview")


@router.get("/login")
async def login_page(request: Request) -> Response:
    return _login_form(request, error=None, status=200)


def _login_form(request: Request, error: str | None, status: int) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status=status, error=error, login_csrf=token)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, LOGIN_FORM_SECONDS)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    given = form.get("csrf")
    if not same_token(
        given if isinstance(given, str) else None, request.cookies.get(LOGIN_CSRF_COOKIE)
    ):
        raise ConsoleRefused(403, "stale_form")
    ctx = context_of(request)
    name, password = form_text(form, "name"), form.get("password")
    try:
        new = await accounts.sign_in(
            ctx.db,
            ctx.settings,
            name,
            password if isinstance(password, str) else "",
            address_of(request),
        )
    except accounts.SignInRefused as refusal:
        return _login_form(
            request,
            "throttled" if refusal.throttled else "wrong",
            429 if refusal.throttled else 401,
        )
    await audit.record(ctx.db, new.session.operator, "sign_in", address_of(request))
    response = see_other(f"{PREFIX}/overview")
    set_cookie(
        request, response, SESSION_COOKIE, new.token, ctx.settings.console_session_max_seconds
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    session, _form = await checked_form(request)
    ctx = context_of(request)
    await accounts.sign_out(ctx.db, session)
    await audit.record(ctx.db, session.operator, "sign_out", address_of(request))
    response = see_other(f"{PREFIX}/login")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


@router.get("/language/{language}")
async def switch_language(request: Request, language: str) -> Response:
    """Only a preference cookie: no state of smsgate changes, so no form is needed."""
    if language not in LANGUAGES:
        raise ConsoleRefused(404, "not_found")
    back = request.headers.get("referer", "")
    own = str(request.base_url).rstrip("/") + PREFIX + "/"
    response = see_other(back if back.startswith(own) else f"{PREFIX}/overview")
    set_cookie(request, response, LANGUAGE_COOKIE, language, 365 * 24 * 3600)
    return response


@router.get("/audit")
async def audit_page(request: Request) -> Response:
    session = await signed_in(request)
    operator = request.query_params.get("operator") or None
    lines = await audit.audit_lines(context_of(request).db, operator=operator)
    return render(request, "audit.html", session, lines=lines, operator=operator or "")


@router.get("/static/{name}")
async def static_file(name: str) -> Response:
    media_type = STATIC_TYPES.get(name)
    if media_type is None:
        raise ConsoleRefused(404, "not_found")
    body = resources.files("smsgate.console").joinpath("static", name).read_bytes()
    headers = {**SECURITY_HEADERS, "Cache-Control": "max-age=3600"}
    return Response(body, media_type=media_type, headers=headers)


for page in (
    overview,
    apps,
    app_page,
    app_settings,
    app_replies,
    review,
    messages,
    schedules,
    reports,
    callbacks,
    sandbox,
    delivery,
):
    router.include_router(page.router)

# Developer accounts, and the pumping defence and spend caps of an app's page.
router.include_router(devs_router)
router.include_router(app_fraud_router)
