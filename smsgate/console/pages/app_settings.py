"""An app's credentials and limits: rotate the master secret (shown once), its frequency limits,
its IP allowlist. Each through the service the command line uses, audited."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.access.networks import InvalidNetwork
from smsgate.apps import service as app_service
from smsgate.apps.policy import LIMIT_KEYS, InvalidPolicy
from smsgate.callbacks.service import rotate_master_secret
from smsgate.console import audit
from smsgate.console.pages.app_page import Problem, app_changed, show_app
from smsgate.console.web import ConsoleRefused, checked_form, context_of, form_text, render

router = APIRouter()
MAX_FIELD = 1000  # longer than any sensible rule list or allowlist


@router.post("/apps/{app_key}/rotate")
async def rotate_secret(request: Request, app_key: str) -> Response:
    session, _form = await checked_form(request)
    ctx = context_of(request)
    try:
        new = await rotate_master_secret(ctx, app_key)
    except app_service.UnknownApp:
        raise ConsoleRefused(404, "not_found") from None
    request.app.state.authenticator.forget(app_key)
    await audit.record(ctx.db, session.operator, "rotate_secret", app_key)
    # As at creation: the secret is in this answer only (no redirect, nothing cached).
    return render(request, "app_created.html", session, new=new, rotated=True)


@router.post("/apps/{app_key}/limits")
async def set_limits(request: Request, app_key: str) -> Response:
    """Each kind: the server's default (the box ticked), or the app's own rules ("" for none).
    A malformed rule refuses the whole form: no kind changes."""
    session, form = await checked_form(request)
    changes: dict[str, str | None] = {
        key: None if form_text(form, f"{key}_default") else form_text(form, key)[:MAX_FIELD]
        for key in LIMIT_KEYS
    }
    db = context_of(request).db
    try:
        await app_service.update_app(db, app_key, limits=changes)
    except app_service.UnknownApp:
        raise ConsoleRefused(404, "not_found") from None
    except InvalidPolicy as refusal:
        typed = {key: form_text(form, key) for key in LIMIT_KEYS}
        typed.update({f"{k}_default": "on" for k, v in changes.items() if v is None})
        problem = Problem("limits", "limits_refused", str(refusal), typed)
        return await show_app(request, session, app_key, problem=problem)
    detail = ", ".join(
        f"{key}={'default' if v is None else v or 'none'}" for key, v in changes.items()
    )
    await audit.record(db, session.operator, "set_limits", app_key, detail)
    return app_changed(request, app_key)


@router.post("/apps/{app_key}/allowlist")
async def set_allowlist(request: Request, app_key: str) -> Response:
    session, form = await checked_form(request)
    typed = form_text(form, "allowed_ips")[:MAX_FIELD]
    db = context_of(request).db
    try:
        app = await app_service.set_access(db, app_key, allowed_ips=typed)
    except app_service.UnknownApp:
        raise ConsoleRefused(404, "not_found") from None
    except InvalidNetwork as refusal:
        problem = Problem("allowlist", "allowlist_refused", str(refusal), {"allowed_ips": typed})
        return await show_app(request, session, app_key, problem=problem)
    stored = ",".join(map(str, app.allowed_networks)) or "anywhere"
    await audit.record(db, session.operator, "set_allowlist", app_key, stored)
    return app_changed(request, app_key)
