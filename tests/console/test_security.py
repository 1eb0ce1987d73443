"""The console's security without a browser: CSRF, session expiry, sign-in throttling, nobody
but an operator reaches a page or an action, and every change is in the audit list."""

import httpx
import pytest

from smsgate.apps import service as app_service
from smsgate.context import Context
from tests.console.signing_in import PASSWORD, add_operator, csrf_of, sign_in
from tests.support.clock import FrozenClock

PAGES = [
    "/console",
    "/console/overview",
    "/console/apps",
    "/console/apps/KEY",
    "/console/review",
    "/console/messages",
    "/console/messages/00000000-0000-0000-0000-000000000000",
    "/console/callbacks",
    "/console/sandbox",
    "/console/sandbox/x/audio",
    "/console/delivery",
    "/console/audit",
    "/console/schedules",
    "/console/schedules/00000000-0000-0000-0000-000000000000",
    "/console/reports",
    "/console/replies",
    "/console/review/signs/1/images/0",
]
ACTIONS = [
    "/console/apps",
    "/console/apps/KEY/block",
    "/console/apps/KEY/unblock",
    "/console/apps/KEY/topup",
    "/console/apps/KEY/rotate",
    "/console/apps/KEY/limits",
    "/console/apps/KEY/allowlist",
    "/console/apps/KEY/callback",
    "/console/apps/KEY/callback/test",
    "/console/apps/KEY/reply-numbers/add",
    "/console/apps/KEY/reply-numbers/remove",
    "/console/apps/KEY/transfer",
    "/console/review/templates/1",
    "/console/review/signs/1",
    "/console/callbacks/replay",
    "/console/callbacks/1/replay",
    "/console/schedules/SCHEDULE/cancel",
    "/console/logout",
]


@pytest.fixture
async def operator(ctx: Context) -> str:
    await add_operator(ctx)
    return "ops"


async def test_the_right_password_opens_a_session_with_a_strict_http_only_cookie(
    api: httpx.AsyncClient, operator: str
) -> None:
    answer = await sign_in(api, operator)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/overview"
    cookie = next(
        v
        for k, v in answer.headers.multi_items()
        if k == "set-cookie" and v.startswith("smsgate_console=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    page = await api.get("/console/overview")
    assert page.status_code == 200 and "ops" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_nobody_but_an_operator_reaches_a_page_or_an_action(
    api: httpx.AsyncClient, ctx: Context, operator: str
) -> None:
    new = await app_service.create_app(ctx.db, "victim", quotas={"balance": 5})
    key, secret = new.account.app_key, new.master_secret
    for page in PAGES:
        path = page.replace("KEY", key)
        answer = await api.get(path, auth=(key, secret))  # an app's credentials are no operator's
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/console/login", path
    api.cookies.set("smsgate_console", "forged-token", path="/console")
    for path in ACTIONS:
        target = path.replace("KEY", key)
        answer = await api.post(
            target, data={"csrf": "x", "units": "9", "category": "balance", "name": "n"}
        )
        assert answer.status_code == 303, target
        assert answer.headers["location"] == "/console/login", target
    after = await app_service.find_app(ctx.db, key)
    assert not after.blocked
    assert (await app_service.app_balances(ctx.db, after))["app_balance"] == 5
    assert len(await app_service.list_apps(ctx.db)) == 1


async def test_a_form_without_the_session_token_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, ctx: Context, operator: str
) -> None:
    new = await app_service.create_app(ctx.db, "target")
    await sign_in(api, operator)
    for token in (None, "", "not-the-token"):
        data = {} if token is None else {"csrf": token}
        answer = await api.post(f"/console/apps/{new.account.app_key}/block", data=data)
        assert answer.status_code == 403
        assert "expired" in answer.text
    assert not (await app_service.find_app(ctx.db, new.account.app_key)).blocked
    page = await api.get("/console/apps")
    answer = await api.post(
        f"/console/apps/{new.account.app_key}/block", data={"csrf": csrf_of(page.text)}
    )
    assert answer.status_code == 303
    assert (await app_service.find_app(ctx.db, new.account.app_key)).blocked


async def test_the_sign_in_form_needs_its_own_token(api: httpx.AsyncClient, operator: str) -> None:
    answer = await api.post(
        "/console/login", data={"csrf": "guess", "name": operator, "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert "smsgate_console=" not in answer.headers.get("set-cookie", "")


async def test_a_session_ends_after_its_idle_time_and_at_its_maximum(
    api: httpx.AsyncClient, ctx: Context, operator: str, frozen_clock: FrozenClock
) -> None:
    idle_ms = ctx.settings.console_session_idle_seconds * 1000
    await sign_in(api, operator)
    frozen_clock.advance(idle_ms - 1000)
    assert (await api.get("/console/apps")).status_code == 200  # in use: moved on
    frozen_clock.advance(idle_ms - 1000)
    assert (await api.get("/console/apps")).status_code == 200
    frozen_clock.advance(idle_ms + 1)
    gone = await api.get("/console/apps")
    assert gone.status_code == 303 and gone.headers["location"] == "/console/login"
    # however busy, a session ends at its maximum
    await sign_in(api, operator)
    step = idle_ms // 2
    for _ in range(ctx.settings.console_session_max_seconds * 1000 // step - 1):
        frozen_clock.advance(step)
        assert (await api.get("/console/audit")).status_code == 200
    frozen_clock.advance(step + 1)
    assert (await api.get("/console/audit")).status_code == 303


async def test_sign_out_ends_the_session_on_the_server(
    api: httpx.AsyncClient, operator: str
) -> None:
    await sign_in(api, operator)
    token = api.cookies.get("smsgate_console")
    page = await api.get("/console/overview")
    answer = await api.post("/console/logout", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 303
    api.cookies.set("smsgate_console", token, path="/console")  # a copied cookie is worth nothing
    assert (await api.get("/console/overview")).status_code == 303


async def test_failed_sign_ins_are_throttled_per_name_and_per_address(
    api: httpx.AsyncClient, ctx: Context, operator: str, frozen_clock: FrozenClock
) -> None:
    per_name = int(ctx.settings.console_login_limits.split("/")[0])
    for _ in range(per_name):
        assert (await sign_in(api, operator, "wrong password!")).status_code == 401
    refused = await sign_in(api, operator)  # now even the right password is refused
    assert refused.status_code == 429
    assert "smsgate_console=" not in refused.headers.get("set-cookie", "")
    frozen_clock.advance(int(ctx.settings.console_login_limits.split("/")[1]) * 1000 + 1)
    assert (await sign_in(api, operator)).status_code == 303
    # per address: many names from one address
    per_address = int(ctx.settings.console_login_address_limits.split("/")[0])
    for n in range(per_address):
        assert (await sign_in(api, f"nobody{n}", "wrong password!")).status_code == 401
    assert (await sign_in(api, operator)).status_code == 429


async def test_a_console_change_appears_in_the_audit_list(
    api: httpx.AsyncClient, ctx: Context, operator: str
) -> None:
    new = await app_service.create_app(ctx.db, "audited")
    await sign_in(api, operator)
    page = await api.get("/console/apps")
    await api.post(
        f"/console/apps/{new.account.app_key}/topup",
        data={"csrf": csrf_of(page.text), "category": "voice", "units": "40"},
    )
    audit = await api.get("/console/audit")
    assert (
        "top_up" in audit.text
        and new.account.app_key in audit.text
        and "voice +40 = 40" in audit.text
    )
    assert ">ops<" in audit.text


async def test_the_language_follows_the_browser_and_the_switch(
    api: httpx.AsyncClient, operator: str
) -> None:
    page = await api.get("/console/login", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert "登录" in page.text
    page = await api.get("/console/login", headers={"accept-language": "en-US,en;q=0.9"})
    assert "Sign in" in page.text and "登录" not in page.text
    await api.get("/console/language/zh")
    page = await api.get("/console/login", headers={"accept-language": "en-US"})
    assert "登录" in page.text
