"""The reports and replies pages: final statuses and replies (MO) whatever the apps have
pulled, by app, number, status and time, in pages; a report links to its message's page."""

import httpx
import pytest

from smsgate.context import Context
from smsgate.messages.replies import inject_reply
from smsgate.reports.service import set_reply_numbers
from tests.console.pages import field_time, listed, small_pages
from tests.console.signing_in import add_operator, sign_in
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

MINUTE = 60_000


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"notification_limits": ""}


@pytest.fixture
async def operator(ctx: Context, api: httpx.AsyncClient) -> str:
    await add_operator(ctx)
    assert (await sign_in(api, "ops")).status_code == 303
    return "ops"


async def send(api: httpx.AsyncClient, tenant: Tenant, mobile: str) -> str:
    body = {
        "mobile": mobile,
        "temp_id": tenant.notify_temp,
        "temp_para": {"name": "a", "order": "1"},
    }
    response = await api.post("/v1/messages", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text
    return str(response.json()["msg_id"])


async def test_reports_are_listed_newest_first_and_found_by_app_number_status_and_time(
    api: httpx.AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    operator: str,
    frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = await make_tenant(ctx)
    frozen_clock.now -= frozen_clock.now % MINUTE  # times the form can name to the minute
    start = frozen_clock.now
    delivered = await send(api, tenant, "13800138000")
    await worker.run_until_idle()
    frozen_clock.advance(MINUTE)
    failed = await send(api, tenant, "17000004004")  # the sandbox reports 4004
    await worker.run_until_idle()
    frozen_clock.advance(MINUTE)
    theirs = await send(api, other, "13900139000")
    await worker.run_until_idle()
    pending = await send(api, other, "13700137000")  # not delivered yet: no report
    await worker.worker.deliver_due()  # submitted, its report not sent
    all_reports = await api.get("/console/reports")
    assert listed(all_reports, "msg") == [theirs, failed, delivered]
    assert pending not in all_reports.text
    assert f'href="/console/messages/{failed}"' in all_reports.text
    assert "4004" in all_reports.text and "17000004004" in all_reports.text

    by_app = await api.get("/console/reports", params={"app": tenant.app_key})
    assert listed(by_app, "msg") == [failed, delivered]
    by_number = await api.get("/console/reports", params={"mobile": "+8613800138000"})
    assert listed(by_number, "msg") == [delivered]
    by_status = await api.get("/console/reports", params={"status": "failed"})
    assert listed(by_status, "msg") == [failed]
    by_id = await api.get("/console/reports", params={"msg_id": theirs})
    assert listed(by_id, "msg") == [theirs]
    since = {"since": field_time(start + MINUTE)}
    assert listed(await api.get("/console/reports", params=since), "msg") == [theirs, failed]
    until = {"until": field_time(start + MINUTE)}
    assert listed(await api.get("/console/reports", params=until), "msg") == [delivered]
    bad_number = await api.get("/console/reports", params={"mobile": "not a number"})
    assert listed(bad_number, "msg") == [] and 'class="error"' in bad_number.text

    small_pages(monkeypatch, 2)
    first = await api.get("/console/reports")
    assert listed(first, "msg") == [theirs, failed] and 'id="next-page"' in first.text
    second = await api.get("/console/reports", params={"page": "2"})
    assert listed(second, "msg") == [delivered] and 'id="next-page"' not in second.text


async def test_replies_are_listed_with_their_reply_number_and_app_even_once_pulled(
    api: httpx.AsyncClient,
    ctx: Context,
    tenant: Tenant,
    operator: str,
    frozen_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = await make_tenant(ctx)
    await set_reply_numbers(ctx.db, tenant.app_key, ["10690001"])
    await set_reply_numbers(ctx.db, other.app_key, ["10690002"])
    await inject_reply(ctx.db, "10690001345", "13800138000", "收到，谢谢")
    frozen_clock.advance(MINUTE)
    await inject_reply(ctx.db, "10690002", "13900139000", "TD")
    frozen_clock.advance(MINUTE)
    await inject_reply(ctx.db, "10690001", "13900139000", "改到明天")
    pulled = await api.get("/v1/reply", auth=tenant.auth)
    assert len(pulled.json()) == 2  # the app has read them: the console still lists them

    page = await api.get("/console/replies")
    assert listed(page, "reply") == ["改到明天", "TD", "收到，谢谢"]
    assert "10690001345" in page.text and other.app_key in page.text
    by_app = await api.get("/console/replies", params={"app": tenant.app_key})
    assert listed(by_app, "reply") == ["改到明天", "收到，谢谢"]
    by_number = await api.get("/console/replies", params={"mobile": "13900139000"})
    assert listed(by_number, "reply") == ["改到明天", "TD"]
    by_text = await api.get("/console/replies", params={"text": "谢"})
    assert listed(by_text, "reply") == ["收到，谢谢"]
    small_pages(monkeypatch, 2)
    second = await api.get("/console/replies", params={"page": "2"})
    assert listed(second, "reply") == ["收到，谢谢"]
