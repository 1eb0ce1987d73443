"""An app's pumping defence and spend caps on its console page: set through the fraud service
`smsgate app update` uses, enforced by the JSMS API at once, audited; a malformed value refuses
the whole form and changes nothing; refused without the form token or a session."""

import httpx
import pytest

from smsgate.context import Context
from smsgate.fraud import service as fraud_service
from tests.api.helpers import assert_error
from tests.console.operator_pages import Operator, signed_in_operator
from tests.support.tenants import Tenant

PARAMS = {"name": "张三", "order": "A1001"}
FORM = {
    "fraud_mode": "enforce",
    "allowed_countries": "cn, hk",
    "blocked_prefixes": "+86139",
    "allowed_prefixes": "8816",
    "hourly_cap": "2",
    "daily_cap": "",
    "country_caps": "HK=-/1",
}


@pytest.fixture
async def ops(ctx: Context, api: httpx.AsyncClient) -> Operator:
    return await signed_in_operator(ctx, api)


async def send(api: httpx.AsyncClient, tenant: Tenant, mobile: str) -> httpx.Response:
    body = {"mobile": mobile, "temp_id": tenant.notify_temp, "temp_para": PARAMS}
    return await api.post("/v1/messages", json=body, auth=tenant.auth)


async def policy_of(ctx: Context, tenant: Tenant) -> dict[str, object]:
    status = await fraud_service.fraud_status(ctx.db, ctx.settings, tenant.app_key)
    return {key: value for key, value in status.items() if key not in ("spend", "conversion")}


@pytest.mark.usefixtures("frozen_clock")
async def test_caps_set_in_the_console_are_enforced_by_the_api(
    api: httpx.AsyncClient, ctx: Context, ops: Operator, tenant: Tenant
) -> None:
    # The clock stands still: every send falls in the same hour and day.
    answer = await ops.post(f"/console/apps/{tenant.app_key}/fraud", **FORM)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/apps/{tenant.app_key}"
    assert await policy_of(ctx, tenant) == {
        "fraud_mode": "enforce",
        "allowed_countries": "CN,HK",
        "blocked_prefixes": "+86139",
        "allowed_prefixes": "+8816",
        "hourly_cap": 2,
        "daily_cap": None,
        "country_caps": {"HK": {"daily": 1}},
    }
    assert_error(await send(api, tenant, "13900000001"), 403, 50230)  # the blocked prefix
    assert (await send(api, tenant, "+85291234567")).status_code == 200
    hk_full = await send(api, tenant, "+85291234568")
    assert_error(hk_full, 403, 50231)
    assert hk_full.json()["error"]["message"] == "spend cap reached: daily cap HK"
    assert (await send(api, tenant, "13800000001")).status_code == 200
    hour_full = await send(api, tenant, "13800000002")
    assert_error(hour_full, 403, 50231)
    assert hour_full.json()["error"]["message"] == "spend cap reached: hourly cap"
    audit = await ops.audit()
    assert "set_fraud_policy" in audit and "hourly_cap=2" in audit
    page = (await ops.client.get(f"/console/apps/{tenant.app_key}")).text
    assert 'data-spend="all-daily"' not in page  # no daily cap: nothing counted against one
    for scope, period, units in (("all", "hourly", 2), ("HK", "daily", 1)):
        assert f'data-spend="{scope}-{period}">' in page
        start = page.index(f'data-spend="{scope}-{period}">')
        assert page[start : page.index("</span>", start)].endswith(f": {units}"), scope


async def test_the_page_shows_the_policy_and_default_goes_back_to_the_server(
    ctx: Context, ops: Operator, tenant: Tenant
) -> None:
    path = f"/console/apps/{tenant.app_key}"
    await ops.post(f"{path}/fraud", **FORM)
    page = (await ops.client.get(path)).text
    for shown in ('value="CN,HK"', 'value="+86139"', 'value="+8816"', 'value="2"', "HK=-/1"):
        assert shown in page, shown
    assert '<option value="enforce" selected>' in page
    await ops.post(
        f"{path}/fraud",
        **{**FORM, "fraud_mode": "default", "allowed_countries_default": "on", "hourly_cap": ""},
    )
    policy = await policy_of(ctx, tenant)
    assert (policy["fraud_mode"], policy["allowed_countries"]) == (
        ctx.settings.fraud_mode,
        ctx.settings.fraud_allowed_countries,
    )
    assert policy["hourly_cap"] is None and policy["country_caps"] == {"HK": {"daily": 1}}
    page = (await ops.client.get(path)).text
    assert '<option value="default" selected>' in page
    assert 'name="allowed_countries_default" value="on" checked' in page
    ops.client.cookies.set("smsgate_console_lang", "zh", path="/console")
    page = (await ops.client.get(path)).text
    assert "防刷量与消费上限" in page and "分国家上限" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fraud_mode", "loud"),
        ("allowed_countries", "CN,XX"),
        ("blocked_prefixes", "+86x"),
        ("allowed_prefixes", "++1"),
        ("hourly_cap", "ten"),
        ("daily_cap", "-3"),
        ("country_caps", "HK=5"),
        ("country_caps", "ZZ=1/2"),
    ],
)
async def test_a_malformed_value_changes_nothing_and_is_shown_in_the_form(
    ctx: Context, ops: Operator, tenant: Tenant, field: str, value: str
) -> None:
    path = f"/console/apps/{tenant.app_key}"
    before = await policy_of(ctx, tenant)
    # every other field valid and different: none of them may be written either
    refused = await ops.post(f"{path}/fraud", **{**FORM, field: value})
    assert refused.status_code == 400
    assert 'role="alert"' in refused.text
    if field != "fraud_mode":
        assert f'value="{value}"' in refused.text  # what was typed stays in the form
    assert await policy_of(ctx, tenant) == before
    assert "set_fraud_policy" not in await ops.audit()


async def test_without_the_form_token_or_a_session_nothing_changes(
    api: httpx.AsyncClient, ctx: Context, ops: Operator, tenant: Tenant
) -> None:
    path = f"/console/apps/{tenant.app_key}/fraud"
    before = await policy_of(ctx, tenant)
    for token in ("", "not-the-token"):
        answer = await ops.client.post(path, data={**FORM, "csrf": token})
        assert answer.status_code == 403
    ops.client.cookies.set("smsgate_console", "forged-token", path="/console")
    answer = await ops.client.post(path, data={**FORM, "csrf": ops.csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
    assert await policy_of(ctx, tenant) == before
    missing = await api.get(f"/console/apps/{tenant.app_key}", auth=tenant.auth)
    assert missing.status_code == 303 and missing.headers["location"] == "/console/login"
