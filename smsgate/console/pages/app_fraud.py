"""An app's pumping defence and spend caps: its mode, the countries and prefixes it may send
to, its hourly, daily and per-country caps. The form is the options of `smsgate app update`
(--fraud-mode, --allow-country, --block-prefix, --allow-prefix, --hourly-cap, --daily-cap,
--country-cap), changed through the same fraud service; a malformed value refuses the whole
form, so nothing is half-written."""

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate.apps import service as app_service
from smsgate.console import audit
from smsgate.console.pages.app_page import Problem, app_changed, show_app
from smsgate.console.web import ConsoleRefused, checked_form, context_of, form_text
from smsgate.fraud import service as fraud_service
from smsgate.fraud.prefixes import InvalidList

router = APIRouter()
MAX_FIELD = 1000  # longer than any sensible list of countries, prefixes or caps
FIELDS = (
    "fraud_mode",
    "allowed_countries",
    "blocked_prefixes",
    "allowed_prefixes",
    "hourly_cap",
    "daily_cap",
    "country_caps",
)
DEFAULT_COUNTRIES = "allowed_countries_default"


@router.post("/apps/{app_key}/fraud")
async def set_fraud_policy(request: Request, app_key: str) -> Response:
    """Every field is sent, so the stored policy becomes what the form shows: an empty prefix
    list or cap means none; the mode "default" and the ticked box follow the server."""
    session, form = await checked_form(request)
    typed = {name: form_text(form, name)[:MAX_FIELD] for name in FIELDS}
    server_countries = bool(form_text(form, DEFAULT_COUNTRIES))
    ctx = context_of(request)
    try:
        policy = await fraud_service.update_policy(
            ctx.db,
            ctx.settings,
            app_key,
            mode=typed["fraud_mode"] or "default",
            allowed_countries="default" if server_countries else typed["allowed_countries"],
            blocked_prefixes=typed["blocked_prefixes"],
            allowed_prefixes=typed["allowed_prefixes"],
            hourly_cap=typed["hourly_cap"],
            daily_cap=typed["daily_cap"],
            country_caps=typed["country_caps"],
        )
    except app_service.UnknownApp:
        raise ConsoleRefused(404, "not_found") from None
    except InvalidList as refusal:
        shown = {**typed, DEFAULT_COUNTRIES: "on" if server_countries else ""}
        problem = Problem("fraud", "fraud_refused", str(refusal), shown)
        return await show_app(request, session, app_key, problem=problem)
    detail = ", ".join(f"{key}={value}" for key, value in policy.items())
    await audit.record(ctx.db, session.operator, "set_fraud_policy", app_key, detail)
    return app_changed(request, app_key)
