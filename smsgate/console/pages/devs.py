"""Developer accounts: list and search them with their pools and how many apps each holds,
create one (the devSecret shown once), top up a pool, and a developer's page with its apps,
each with the transfer form of the app's page (handled by pages/apps.py `transfer`).

The command line attaches an app to a developer only when the app is created (`smsgate app
create --dev`), so that is what the developer's page offers; an existing app is not moved.
"""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.apps import service as app_service
from smsgate.apps.service import MAX_NAME_LENGTH as MAX_NAME
from smsgate.console import audit
from smsgate.console.pages.apps import typed_units
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


@router.get("/devs")
async def devs_page(request: Request) -> Response:
    session = await signed_in(request)
    text = search_text(request)
    found = await dev_service.list_devs(context_of(request).db, text)
    return render(request, "devs.html", session, devs=found, q=text, categories=QUOTA_CATEGORIES)


def _name(text: str) -> str:
    if not text or len(text) > MAX_NAME:
        raise ConsoleRefused(400, "name_refused")
    return text


@router.post("/devs")
async def create_dev(request: Request) -> Response:
    session, form = await checked_form(request)
    name = _name(form_text(form, "name"))
    db = context_of(request).db
    new = await dev_service.create_dev(db, name)
    await audit.record(db, session.operator, "create_dev", new.account.dev_key, f"name={name}")
    # The secret is in this answer only (no redirect, nothing cached): it is stored hashed.
    return render(request, "dev_created.html", session, new=new)


@router.get("/devs/{dev_key}")
async def dev_page(request: Request, dev_key: str) -> Response:
    session = await signed_in(request)
    try:
        dev = await dev_service.dev_with_apps(context_of(request).db, dev_key)
    except dev_service.UnknownDev:
        raise ConsoleRefused(404, "not_found") from None
    return render(request, "dev.html", session, dev=dev, categories=QUOTA_CATEGORIES)


@router.post("/devs/{dev_key}/topup")
async def top_up(request: Request, dev_key: str) -> Response:
    session, form = await checked_form(request)
    category = form_text(form, "category")
    units = typed_units(form_text(form, "units"))
    if category not in QUOTA_CATEGORIES or not units:
        raise ConsoleRefused(400, "units_refused")
    db = context_of(request).db
    try:
        pool = await dev_service.top_up(db, dev_key, {category: units})
    except dev_service.UnknownDev:
        raise ConsoleRefused(404, "not_found") from None
    except QuotaRefused:
        raise ConsoleRefused(400, "units_refused") from None
    detail = f"{category} +{units} = {pool[category]}"
    await audit.record(db, session.operator, "top_up_dev", dev_key, detail)
    return see_other(f"{PREFIX}/devs/{dev_key}")


@router.post("/devs/{dev_key}/apps")
async def create_app_of_dev(request: Request, dev_key: str) -> Response:
    """As `smsgate app create --dev`: a new app owned by this developer (secret shown once)."""
    session, form = await checked_form(request)
    name = _name(form_text(form, "name"))
    balance = typed_units(form_text(form, "balance"))
    db = context_of(request).db
    try:
        dev = await dev_service.find_dev(db, dev_key)
        new = await app_service.create_app(db, name, quotas={"balance": balance}, dev_id=dev.id)
    except dev_service.UnknownDev:
        raise ConsoleRefused(404, "not_found") from None
    except QuotaRefused:
        raise ConsoleRefused(400, "units_refused") from None
    key = new.account.app_key
    await audit.record(db, session.operator, "create_app", key, f"name={name}, dev={dev_key}")
    return render(request, "app_created.html", session, new=new)
