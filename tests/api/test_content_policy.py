"""The content policy on every send path (jsms-api.md §2.1, §2.4, §2.5, §3): unsubscribed
numbers (50024) and sensitive words (50037), next to the 【】 (50054) and length (50038) rules,
on single, code and batch sends. Blacklisted apps and IP allowlists: tests/access."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from smsgate import clock
from smsgate.content.service import record_unsubscribe, unsubscribe
from smsgate.context import Context
from smsgate.db.models import Message
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
