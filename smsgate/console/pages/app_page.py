"""One app's page: its state and every setting an operator changes there (the forms post to
smsgate/console/pages/app_settings.py, app_fraud.py and others). The page is read in one transaction
with a fixed number of queries, however many reply numbers the app has."""

from dataclasses import dataclass, field

from fastapi import APIRouter
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from smsgate.apps import service as app_service
from smsgate.apps.policy import LIMIT_KEYS
from smsgate.callbacks.probe import ProbeResult
from smsgate.callbacks.service import CallbackSettings, callback_settings
from smsgate.console.accounts import Session
from smsgate.console.web import PREFIX, ConsoleRefused, context_of, render, see_other, signed_in
from smsgate.db.quotas import QUOTA_CATEGORIES
from smsgate.devs.service import DevPool, dev_pool
from smsgate.fraud.service import PolicyChoices, policy_choices
from smsgate.reports.service import reply_numbers_of
from smsgate.settings import Settings

router = APIRouter()


@dataclass(frozen=True, slots=True)
class AppView:
    account: app_service.AppAccount
    quotas: dict[str, int | None]
    callback: CallbackSettings
    reply_numbers: list[str]
    dev: DevPool | None


@dataclass(frozen=True, slots=True)
class LimitRow:
    key: str  # the policy key, also the setting that holds the server's default
    kind: str
    own: str | None  # the app's own rules ("" for no limit); None: the server's default
    default: str


@dataclass(frozen=True, slots=True)
class Problem:
    """A form the operator sent that was refused: which one, why, and what was typed."""

    form: str
    message: str  # a sentence of i18n.py
    detail: str = ""
    typed: dict[str, str] = field(default_factory=dict)


def read_app_view(conn: Connection, app_key: str) -> AppView | None:
    account = app_service.app_by_key(conn, app_key)
    if account is None:
        return None
    return AppView(
        account,
        app_service.app_quotas(conn, account.id),
        callback_settings(conn, account.id),
        reply_numbers_of(conn, account.id),
        dev_pool(conn, account.dev_id) if account.dev_id is not None else None,
    )


def limit_rows(account: app_service.AppAccount, settings: Settings) -> list[LimitRow]:
    overrides = account.policy.overrides
    return [
        LimitRow(
            key,
            kind,
            ",".join(map(str, overrides[kind])) if kind in overrides else None,
            str(getattr(settings, key)),
        )
        for key, kind in LIMIT_KEYS.items()
    ]


async def show_app(
    request: Request,
    session: Session,
    app_key: str,
    *,
    problem: Problem | None = None,
    probe: ProbeResult | None = None,
) -> Response:
    """The app's page; with a refused form's problem beside that form (status 400)."""
    ctx = context_of(request)

    def read(conn: Connection) -> tuple[AppView, PolicyChoices] | None:
        view = read_app_view(conn, app_key)
        if view is None:
            return None
        return view, policy_choices(conn, ctx.settings, view.account.id)

    found = await ctx.db.read(read)
    if found is None:
        raise ConsoleRefused(404, "not_found")
    view, fraud = found
    return render(
        request,
        "app.html",
        session,
        status=400 if problem else 200,
        view=view,
        limits=limit_rows(view.account, ctx.settings),
        categories=QUOTA_CATEGORIES,
        problem=problem,
        probe=probe,
        fraud=fraud,
    )


@router.get("/apps/{app_key}")
async def app_page(request: Request, app_key: str) -> Response:
    session = await signed_in(request)
    return await show_app(request, session, app_key)


def app_changed(request: Request, app_key: str) -> Response:
    """After a change to the app: this process's cached credentials of it are dropped (the
    change holds for its next call), and the browser loads the app's page again."""
    request.app.state.authenticator.forget(app_key)
    return see_other(f"{PREFIX}/apps/{app_key}")
