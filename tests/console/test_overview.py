"""The overview's code conversion per app and template and its refusal reasons, both from the
database (every process's sends, not this one's counters)."""

import re

import httpx
import pytest

from smsgate.context import Context
from smsgate.templates.service import CODE, create_template
from tests.api.helpers import code_in, inbox
from tests.console.signing_in import add_operator, sign_in
from tests.support.clock import FrozenClock
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant, make_tenant

DAY = 24 * 3_600_000


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"code_limits": ""}


@pytest.fixture
async def operator(ctx: Context, api: httpx.AsyncClient) -> str:
    await add_operator(ctx)
    assert (await sign_in(api, "ops")).status_code == 303
    return "ops"


async def send_codes(
    api: httpx.AsyncClient, ctx: Context, worker: Delivery, tenant: Tenant, temp_id: int, n: int
) -> list[tuple[str, str]]:
    """n codes to numbers of their own, delivered: (msg_id, code) each."""
    sent = []
    for _ in range(n):
        mobile = f"1380013{len(await inbox(ctx)) + len(sent):04d}"
        body = {"mobile": mobile, "temp_id": temp_id}
        response = await api.post("/v1/codes", json=body, auth=tenant.auth)
        assert response.status_code == 200, response.text
        sent.append((response.json()["msg_id"], mobile))
    await worker.run_until_idle()
    texts = {entry.msg_id: entry.text for entry in await inbox(ctx)}
    return [(msg_id, code_in(texts[msg_id])) for msg_id, _mobile in sent]


async def verify(api: httpx.AsyncClient, tenant: Tenant, msg_id: str, code: str) -> None:
    answer = await api.post(f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth)
    assert answer.json() == {"is_valid": True}


def conversion_rows(page: str) -> dict[tuple[str, str], tuple[int, int, str]]:
    """(appKey, template or "all") -> (sent, verified, rate) from the conversion table."""
    section = page.split('id="conversion"')[1].split("</section>")[0]
    found = {}
    for app, template, cells in re.findall(
        r'<tr class="(?:app-total|template)" data-app="([^"]+)"(?: data-template="([^"]+)")?>'
        r"(.*?)</tr>",
        section,
    ):
        sent, verified, rate = re.findall(r'<td class="num">([^<]+)</td>', cells)
        found[(app, template or "all")] = (int(sent), int(verified), rate)
    return found


async def test_conversion_is_verified_over_sent_codes_per_app_and_template_in_the_last_day(
    api: httpx.AsyncClient,
    ctx: Context,
    tenant: Tenant,
    worker: Delivery,
    operator: str,
    frozen_clock: FrozenClock,
) -> None:
    other = await make_tenant(ctx)
    second = await create_template(
        ctx.db, tenant.app_id, template_type=CODE, text="登录码{{code}}", ttl=300, approve=True
    )
    old = await send_codes(api, ctx, worker, tenant, tenant.code_temp, 1)
    await verify(api, tenant, *old[0])
    frozen_clock.advance(DAY + 1000)  # that one is older than the overview's day
    first = await send_codes(api, ctx, worker, tenant, tenant.code_temp, 3)
    for msg_id, code in first[:2]:
        await verify(api, tenant, msg_id, code)
    [(msg_id, code)] = await send_codes(api, ctx, worker, tenant, second, 1)
    await verify(api, tenant, msg_id, code)
    await send_codes(api, ctx, worker, other, other.code_temp, 2)
    params = {"name": "a", "order": "1"}
    body = {"mobile": "13900139000", "temp_id": tenant.notify_temp, "temp_para": params}
    assert (await api.post("/v1/messages", json=body, auth=tenant.auth)).status_code == 200

    await sign_in(api, operator)  # the session ended in the day that went by
    page = await api.get("/console/overview")
    assert conversion_rows(page.text) == {
        (tenant.app_key, "all"): (4, 3, "75.0%"),
        (tenant.app_key, str(tenant.code_temp)): (3, 2, "66.7%"),
        (tenant.app_key, str(second)): (1, 1, "100.0%"),
        (other.app_key, "all"): (2, 0, "0.0%"),
        (other.app_key, str(other.code_temp)): (2, 0, "0.0%"),
    }


async def test_refusal_reasons_are_counted_from_the_database(
    api: httpx.AsyncClient, ctx: Context, tenant: Tenant, operator: str
) -> None:
    for mobile in ("12345", "99999", "1"):
        body = {"mobile": mobile, "temp_id": tenant.code_temp}
        answer = await api.post("/v1/codes", json=body, auth=tenant.auth)
        assert answer.json()["error"]["code"] == 50006
    unknown = {"mobile": "13800138000", "temp_id": 999999}
    assert (await api.post("/v1/codes", json=unknown, auth=tenant.auth)).status_code == 403
    page = await api.get("/console/overview")
    section = page.text.split('id="refusals"')[1].split("</section>")[0]
    counted = re.findall(r"<th>(\d+) [^<]*</th>.*?<td class=\"num\">(\d+)</td>", section)
    assert counted == [("50006", "3"), ("50013", "1")]
