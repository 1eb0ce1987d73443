"""Apps: list and search, create (the master secret shown once), block and unblock, top up, and
move quota from the app's developer account."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.apps import service as app_service
from smsgate.apps.service import MAX_NAME_LENGTH as MAX_NAME
from smsgate.console import audit
from smsgate.console.pages.app_page import Problem, show_app
from smsgate.console.search_form import search_text
from smsgate.console.web import (
    PREFIX,
    ConsoleRefused,
    checked_form,
    context_of,
    form_text,
    render,
    see_other,
    signed_in,
)
from smsgate.db.quotas import QUOTA_CATEGORIES, QuotaRefused
from smsgate.devs import service as dev_service

router = APIRouter()


@router.get("/apps")
async def apps_page(request: Request) -> Response:
    session = await signed_in(request)
    text = search_text(request)
    found = await app_service.list_apps(context_of(request).db, text)
    return render(request, "apps.html", session, apps=found, q=text, categories=QUOTA_CATEGORIES)


def typed_units(text: str) -> int | None:
    """A units field as typed: empty for none; anything but digits is refused."""
    if not text:
        return None
    if not text.isdigit():
        raise ConsoleRefused(400, "units_refused")
    return int(text)


@router.post("/apps")
async def create_app(request: Request) -> Response:
    session, form = await checked_form(request)
    name = form_text(form, "name")
    if not name or len(name) > MAX_NAME:
        raise ConsoleRefused(400, "name_refused")
    balance = typed_units(form_text(form, "balance"))
    db = context_of(request).db
    try:
        new = await app_service.create_app(db, name, quotas={"balance": balance})
    except QuotaRefused:
        raise ConsoleRefused(400, "units_refused") from None
    await audit.record(db, session.operator, "create_app", new.account.app_key, f"name={name}")
    # The secret is in this answer only (no redirect, nothing cached): it is stored hashed.
    return render(request, "app_created.html", session, new=new)


async def _change_access(request: Request, app_key: str, blocked: bool) -> Response:
    session, _form = await checked_form(request)
    db = context_of(request).db
    try:
        await app_service.set_access(db, app_key, blocked=blocked)
    except app_service.UnknownApp:
        raise ConsoleRefused(404, "not_found") from None
    request.app.state.authenticator.forget(app_key)  # the next call of the app sees it
    await audit.record(db, session.operator, "block_app" if blocked else "unblock_app", app_key)
    return see_other(f"{PREFIX}/apps?q={app_key}")


@router.post("/apps/{app_key}/block")
async def block_app(request: Request, app_key: str) -> Response:
    return await _change_access(request, app_key, blocked=True)


@router.post("/apps/{app_key}/unblock")
async def unblock_app(request: Request, app_key: str) -> Response:
    return await _change_access(request, app_key, blocked=False)


@router.post("/apps/{app_key}/topup")
async def top_up(request: Request, app_key: str) -> Response:
    session, form = await checked_form(request)
    category = form_text(form, "category")
    units = typed_units(form_text(form, "units"))
    if category not in QUOTA_CATEGORIES or not units:
        raise ConsoleRefused(400, "units_refused")
    db = context_of(request).db
    try:
        quotas = await app_service.top_up(db, app_key, {category: units})
    except app_service.UnknownApp:
        raise ConsoleRefused(404, "not_found") from None
    except QuotaRefused:
        raise ConsoleRefused(400, "units_refused") from None
    detail = f"{category} +{units} = {quotas[category]}"
    await audit.record(db, session.operator, "top_up", app_key, detail)
    return see_other(f"{PREFIX}/apps?q={app_key}")


@router.post("/apps/{app_key}/transfer")
async def transfer(request: Request, app_key: str) -> Response:
    """Move units from the app's developer account to the app: every category given, or none
    (the developer service's rule, as `smsgate dev transfer`). A refusal is shown on the app's
    page, beside the same form."""
    session, form = await checked_form(request)
    typed = {category: form_text(form, category) for category in QUOTA_CATEGORIES}
    db = context_of(request).db
    try:
        app = await app_service.find_app(db, app_key)
    except app_service.UnknownApp:
        raise ConsoleRefused(404, "not_found") from None
    dev_id = app.dev_id
    pool = await db.read(lambda conn: dev_service.dev_pool(conn, dev_id)) if dev_id else None
    if pool is None:  # no developer account: nothing to move from
        raise ConsoleRefused(404, "not_found")
    dev_key = pool.account.dev_key
    try:
        amounts = {category: typed_units(text) or 0 for category, text in typed.items() if text}
        await dev_service.transfer(db, dev_key, app_key, amounts)
    except (ConsoleRefused, QuotaRefused) as refusal:
        detail = str(refusal) if isinstance(refusal, QuotaRefused) else ""
        problem = Problem("transfer", "units_refused", detail, typed)
        return await show_app(request, session, app_key, problem=problem)
    moved = ", ".join(f"{category} {units}" for category, units in amounts.items())
    await audit.record(db, session.operator, "transfer_quota", app_key, f"from {dev_key}: {moved}")
    # Posted from the developer's page (smsgate/console/pages/devs.py): back there.
    back = form_text(form, "back") == "dev"
    return see_other(f"{PREFIX}/devs/{dev_key}" if back else f"{PREFIX}/apps/{app_key}")
