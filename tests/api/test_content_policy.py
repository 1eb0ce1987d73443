"""The content policy on every send path (jsms-api.md §2.1, §2.4, §2.5, §3): unsubscribed
numbers (50024), IP allowlists (50035), blacklisted apps (50036) and sensitive words (50037),
next to the 【】 (50054) and length (50038) rules, on single, code and batch sends."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from smsgate import clock
from smsgate.app import create_app
from smsgate.apps.service import find_app, set_access
from smsgate.content.service import record_unsubscribe, unsubscribe
from smsgate.context import Context
from smsgate.db.models import Message
from smsgate.errors import JsmsError
from smsgate.messages.service import send_template_message
from tests.api.helpers import assert_error, scalar
from tests.support.tenants import Tenant, make_tenant

PARAMS = {"name": "张三", "order": "A1001"}
NOON_SHANGHAI = int(datetime(2026, 11, 26, 4, 0, tzinfo=UTC).timestamp() * 1000)
MOBILE = "13800138000"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # Changes to an app must show at once here; the cache bound has a test of its own.
    return {"auth_cache_seconds": 0.0}


@pytest.fixture
def noon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now_ms", lambda: NOON_SHANGHAI)


def notify(tenant: Tenant, **para: str) -> dict[str, object]:
    return {"mobile": MOBILE, "temp_id": tenant.notify_temp, "temp_para": {**PARAMS, **para}}


async def message_count(ctx: Context) -> int:
    return int(await scalar(ctx, select(func.count()).select_from(Message)))


async def client_from(ctx: Context, address: str) -> AsyncIterator[AsyncClient]:
    app = create_app(ctx.settings, ctx)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://smsgate") as client:
        yield client


# --- 50037 sensitive words ---------------------------------------------------------------------


@pytest.mark.parametrize("limiter", ["sql", "redis"], indirect=True)
async def test_sensitive_word_in_parameters_is_refused(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    response = await api.post(
        "/v1/messages", json=notify(tenant, order="代开发票"), auth=tenant.auth
    )
    assert_error(response, 403, 50037)
    assert await message_count(ctx) == 0
    assert (
        await api.post("/v1/messages", json=notify(tenant), auth=tenant.auth)
    ).status_code == 200


HIDDEN = ["\u200b", "\u00ad", "\u2060", "\ufeff", "\u200d", "\ufe0f", "\U000e0041"]


async def test_sensitive_words_hidden_by_invisible_characters_are_refused(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    """A handset shows `发\u200b票` as 发票: parameters, batch recipients and templates."""
    for hidden in HIDDEN:
        single = notify(tenant, order=f"代开发{hidden}票")
        assert_error(await api.post("/v1/messages", json=single, auth=tenant.auth), 403, 50037)
        recipients = [{"mobile": MOBILE, "temp_para": {**PARAMS, "name": f"赌{hidden}博"}}]
        body = {"temp_id": tenant.notify_temp, "recipients": recipients}
        batch = await api.post("/v1/messages/batch", json=body, auth=tenant.auth)
        assert batch.json()["failure_recipients"][0]["error_code"] == "50037", batch.text
        template = {"type": 2, "template": f"可开发{hidden}票，联系{{{{name}}}}"}
        created = await api.post("/v1/templates", json=template, auth=tenant.auth)
        assert_error(created, 403, 50037)
    compatibility = {"type": 2, "template": "拒绝\uf912聊，联系{{name}}"}  # 裸聊
    answer = await api.post("/v1/templates", json=compatibility, auth=tenant.auth)
    assert_error(answer, 403, 50037)
    assert await message_count(ctx) == 0


async def test_operator_word_file_applies_to_approved_code_templates(
    api: AsyncClient, ctx: Context, tenant: Tenant, tmp_path: Path
) -> None:
    """A word added after a template was approved still stops its sends."""
    body = {"mobile": MOBILE, "temp_id": tenant.code_temp}
    assert (await api.post("/v1/codes", json=body, auth=tenant.auth)).status_code == 200
    words = tmp_path / "words.txt"
    words.write_text("分钟内有效\n", encoding="utf-8")
    ctx.settings = ctx.settings.model_copy(update={"sensitive_words_file": words})
    other = {"mobile": "13800138001", "temp_id": tenant.code_temp}
    assert_error(await api.post("/v1/codes", json=other, auth=tenant.auth), 403, 50037)


async def test_sensitive_word_in_a_batch_fails_only_that_recipient(
    api: AsyncClient, tenant: Tenant
) -> None:
    recipients = [
        {"mobile": "13800138001", "temp_para": PARAMS},
        {"mobile": "13800138002", "temp_para": {**PARAMS, "name": "赌博"}},
        {"mobile": "13800138003", "temp_para": {**PARAMS, "name": "【银行】"}},
        {"mobile": "13800138004", "temp_para": {**PARAMS, "name": "长" * 340}},
    ]
    body = {"temp_id": tenant.notify_temp, "recipients": recipients}
    response = await api.post("/v1/messages/batch", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    codes = [r.get("error_code") for r in response.json()["recipients"]]
    assert codes == [None, "50037", "50054", "50038"]


# --- 50024 unsubscribed numbers ----------------------------------------------------------------


@pytest.mark.parametrize("limiter", ["sql", "redis"], indirect=True)
async def test_unsubscribed_number_gets_no_marketing_but_notifications(
    api: AsyncClient, ctx: Context, tenant: Tenant, noon: None
) -> None:
    market = {"mobile": MOBILE, "temp_id": tenant.market_temp}
    assert (await api.post("/v1/messages", json=market, auth=tenant.auth)).status_code == 200
    assert await ctx.db.write(lambda conn: record_unsubscribe(conn, tenant.app_id, "+86" + MOBILE))
    assert not await ctx.db.write(lambda conn: record_unsubscribe(conn, tenant.app_id, MOBILE))
    assert_error(await api.post("/v1/messages", json=market, auth=tenant.auth), 403, 50024)
    assert (
        await api.post("/v1/messages", json=notify(tenant), auth=tenant.auth)
    ).status_code == 200
    other_number = {**market, "mobile": "13800138001"}
    assert (await api.post("/v1/messages", json=other_number, auth=tenant.auth)).status_code == 200


async def test_unsubscribe_is_per_app(
    api: AsyncClient, ctx: Context, tenant: Tenant, noon: None
) -> None:
    other = await make_tenant(ctx)
    await unsubscribe(ctx.db, other.app_key, MOBILE)
    market = {"mobile": MOBILE, "temp_id": tenant.market_temp}
    assert (await api.post("/v1/messages", json=market, auth=tenant.auth)).status_code == 200
    theirs = {"mobile": MOBILE, "temp_id": other.market_temp}
    assert_error(await api.post("/v1/messages", json=theirs, auth=other.auth), 403, 50024)


@pytest.mark.parametrize("limiter", ["sql", "redis"], indirect=True)
async def test_unsubscribed_recipient_in_a_marketing_batch(
    api: AsyncClient, ctx: Context, tenant: Tenant, noon: None
) -> None:
    await unsubscribe(ctx.db, tenant.app_key, "13800138002")
    recipients = [{"mobile": "13800138001"}, {"mobile": "13800138002"}]
    body = {"temp_id": tenant.market_temp, "recipients": recipients}
    response = await api.post("/v1/messages/batch", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    assert [r.get("error_code") for r in response.json()["recipients"]] == [None, "50024"]


# --- 50036 blacklisted app ---------------------------------------------------------------------


async def test_blocked_app_is_refused_everywhere(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_access(ctx.db, tenant.app_key, blocked=True)
    calls = [
        api.post("/v1/messages", json=notify(tenant), auth=tenant.auth),
        api.post(
            "/v1/codes", json={"mobile": MOBILE, "temp_id": tenant.code_temp}, auth=tenant.auth
        ),
        api.post("/v1/voice_codes", json={"mobile": MOBILE}, auth=tenant.auth),
        api.get("/v1/accounts/app", auth=tenant.auth),
        api.get(f"/v1/templates/{tenant.notify_temp}", auth=tenant.auth),
        api.get("/v1/report", auth=tenant.auth),
    ]
    for call in calls:
        assert_error(await call, 403, 50036)
    assert await message_count(ctx) == 0
    await set_access(ctx.db, tenant.app_key, blocked=False)
    assert (
        await api.post("/v1/messages", json=notify(tenant), auth=tenant.auth)
    ).status_code == 200


async def test_wrong_secret_of_a_blocked_app_is_still_an_auth_failure(
    api: AsyncClient, ctx: Context, tenant: Tenant
) -> None:
    await set_access(ctx.db, tenant.app_key, blocked=True)
    response = await api.post("/v1/messages", json=notify(tenant), auth=(tenant.app_key, "x" * 24))
    assert_error(response, 401, 50002)


async def test_sends_without_a_request_are_refused_for_a_blocked_app(
    ctx: Context, tenant: Tenant
) -> None:
    """A due schedule is sent by the server itself: the block holds there too."""
    await set_access(ctx.db, tenant.app_key, blocked=True)
    app = await find_app(ctx.db, tenant.app_key)
    with pytest.raises(JsmsError) as refused:
        await send_template_message(
            ctx, app, mobile=MOBILE, temp_id=tenant.notify_temp, sign_id=None, temp_para=PARAMS
        )
    assert refused.value.code == 50036


# --- 50035 IP allowlist ------------------------------------------------------------------------


async def test_allowlist_admits_listed_networks_only(ctx: Context, tenant: Tenant) -> None:
    await set_access(ctx.db, tenant.app_key, allowed_ips="203.0.113.0/24,2001:db8::/32")
    async for inside in client_from(ctx, "203.0.113.7"):
        response = await inside.post("/v1/messages", json=notify(tenant), auth=tenant.auth)
        assert response.status_code == 200, response.text
    async for v6 in client_from(ctx, "2001:db8::5"):
        response = await v6.post(
            "/v1/voice_codes", json={"mobile": "13800138009"}, auth=tenant.auth
        )
        assert response.status_code == 200, response.text
    async for outside in client_from(ctx, "198.51.100.1"):
        response = await outside.post("/v1/messages", json=notify(tenant), auth=tenant.auth)
        assert_error(response, 403, 50035)
        codes = {"mobile": MOBILE, "temp_id": tenant.code_temp}
        assert_error(await outside.post("/v1/codes", json=codes, auth=tenant.auth), 403, 50035)
    await set_access(ctx.db, tenant.app_key, allowed_ips="")
    async for anywhere in client_from(ctx, "198.51.100.1"):
        body = notify(tenant, order="B2")
        assert (await anywhere.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200


async def test_forwarded_for_counts_only_from_trusted_proxies(ctx: Context, tenant: Tenant) -> None:
    await set_access(ctx.db, tenant.app_key, allowed_ips="203.0.113.7")
    forged = {"X-Forwarded-For": "203.0.113.7"}
    async for direct in client_from(ctx, "198.51.100.1"):
        response = await direct.get("/v1/accounts/app", auth=tenant.auth, headers=forged)
        assert_error(response, 403, 50035)
    ctx.settings = ctx.settings.model_copy(update={"trusted_proxies": "10.0.0.0/8"})
    async for proxied in client_from(ctx, "10.1.1.1"):
        through = {"X-Forwarded-For": "1.2.3.4, 203.0.113.7"}
        response = await proxied.get("/v1/accounts/app", auth=tenant.auth, headers=through)
        assert_error(response, 403, 50033)  # past the allowlist: this app has no quota
        other = {"X-Forwarded-For": "203.0.113.7, 198.51.100.1"}
        response = await proxied.get("/v1/accounts/app", auth=tenant.auth, headers=other)
        assert_error(response, 403, 50035)


@pytest.mark.parametrize(
    ("header", "claim"),
    [
        ("x-forwarded-for", {"X-Forwarded-For": "203.0.113.7"}),
        ("x-real-ip", {"X-Real-IP": "203.0.113.7"}),
        ("forwarded", {"Forwarded": 'for="203.0.113.7:5000"'}),
    ],
)
async def test_a_trusted_proxy_names_the_client_only_in_its_own_header(
    ctx: Context, tenant: Tenant, header: str, claim: dict[str, str]
) -> None:
    """A proxy passes on any header it does not write itself, as the client sent it."""
    await set_access(ctx.db, tenant.app_key, allowed_ips="203.0.113.7")
    ctx.settings = ctx.settings.model_copy(
        update={"trusted_proxies": "10.0.0.0/8", "trusted_proxy_header": header}
    )
    every_claim = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Real-IP": "203.0.113.7",
        "Forwarded": "for=203.0.113.7",
    }
    others = {name: value for name, value in every_claim.items() if name not in claim}
    async for proxied in client_from(ctx, "10.1.1.1"):
        response = await proxied.get("/v1/accounts/app", auth=tenant.auth, headers=claim)
        assert_error(response, 403, 50033)  # past the allowlist: this app has no quota
        response = await proxied.get("/v1/accounts/app", auth=tenant.auth, headers=others)
        assert_error(response, 403, 50035)
    async for direct in client_from(ctx, "198.51.100.1"):
        response = await direct.get("/v1/accounts/app", auth=tenant.auth, headers=claim)
        assert_error(response, 403, 50035)


# --- 50034 vs 50009 ----------------------------------------------------------------------------


async def test_repeated_identical_notification_is_a_frequency_refusal(
    api: AsyncClient, tenant: Tenant
) -> None:
    """jsms-api.md §2.4/§5.3: the fourth identical notification in 10 minutes is 50009; 50034 is
    the same message twice inside one batch (§2.5)."""
    for _ in range(3):
        assert (
            await api.post("/v1/messages", json=notify(tenant), auth=tenant.auth)
        ).status_code == 200
    assert_error(await api.post("/v1/messages", json=notify(tenant), auth=tenant.auth), 403, 50009)
    twice = [{"mobile": "13800138001", "temp_para": PARAMS}] * 2
    body = {"temp_id": tenant.notify_temp, "recipients": twice}
    response = await api.post("/v1/messages/batch", json=body, auth=tenant.auth)
    assert [r.get("error_code") for r in response.json()["recipients"]] == [None, "50034"]
