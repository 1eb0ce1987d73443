"""What every console page shares: the signed-in operator, CSRF checks, rendering, security
headers. Pages call `signed_in` (reading) or `checked_form` (changing) first."""

import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from smsgate.access.networks import client_address
from smsgate.console import accounts
from smsgate.console.i18n import LANGUAGES, choose_language, translator
from smsgate.context import Context

SESSION_COOKIE = "smsgate_console"
LOGIN_CSRF_COOKIE = "smsgate_console_login"
LANGUAGE_COOKIE = "smsgate_console_lang"
PREFIX = "/console"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
_TEMPLATES = Environment(
    loader=PackageLoader("smsgate.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


class SignInNeeded(Exception):
    """No live session: the browser goes to the sign-in page (nothing was done)."""


class ConsoleRefused(Exception):
    """A request the console refuses with a page: a stale form (CSRF), an unknown record."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def address_of(request: Request) -> str:
    settings = context_of(request).settings
    claimed = request.headers.getlist(settings.trusted_proxy_header)
    peer = request.client.host if request.client else None
    address = client_address(peer, claimed, settings.trusted_proxies, settings.trusted_proxy_header)
    return str(address) if address is not None else "unknown"


async def signed_in(request: Request) -> accounts.Session:
    """The operator's live session, or SignInNeeded."""
    token = request.cookies.get(SESSION_COOKIE)
    ctx = context_of(request)
    session = await accounts.find_session(ctx.db, ctx.settings, token) if token else None
    if session is None:
        raise SignInNeeded
    return session


def same_token(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


async def checked_form(request: Request) -> tuple[accounts.Session, FormData]:
    """A change: a live session first, then the form's CSRF token must be the session's."""
    session = await signed_in(request)
    form = await request.form()
    given = form.get("csrf")
    if not same_token(given if isinstance(given, str) else None, session.csrf_token):
        raise ConsoleRefused(403, "stale_form")
    return session, form


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def language_of(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return choose_language(request.headers.get("accept-language", ""))


def is_https(request: Request) -> bool:
    return request.url.scheme == "https" or context_of(request).settings.console_secure_cookie


def render(
    request: Request,
    name: str,
    session: accounts.Session | None,
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    language = language_of(request)
    page = _TEMPLATES.get_template(name).render(
        t=translator(language),
        lang=language,
        session=session,
        csrf=session.csrf_token if session else values.pop("login_csrf", ""),
        prefix=PREFIX,
        path=request.url.path,
        when=when,
        **values,
    )
    return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)


def see_other(location: str) -> RedirectResponse:
    """After a change: the browser loads the page again (POST, redirect, GET)."""
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def when(ms: int | None) -> str:
    """Epoch milliseconds as a UTC time a person reads."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def file_inside(path: str | None, directory: Path) -> Path | None:
    """A stored file's path, only when it lies inside `directory` and exists."""
    if not path:
        return None
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(directory.resolve()) or not resolved.is_file():
        return None
    return resolved
