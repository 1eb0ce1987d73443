"""Ids that cannot name a row (beyond the INTEGER columns, beyond 64 bits, thousands of digits)
are unknown ids with their own JSMS code, in bodies and in paths, on every backend; none of them
reaches the database, and none gives a 500."""

from typing import Any

from httpx import AsyncClient

from smsgate.context import Context
from smsgate.messages.schedules.send_time import format_send_time, schedule_zone
from tests.api.helpers import assert_error
from tests.support.clock import FrozenClock
from tests.support.tenants import Tenant

# Beyond INTEGER, beyond BIGINT, beyond 2^64 (orjson reads that as a float), a literal with
# more digits than Python converts by default, and their string and negative forms.
UNKNOWN_IDS: list[Any] = [
    2**31,
    2**63,
    2**64,
    99999999999999999999999,
    -(2**31) - 1,
    -(2**63) - 1,
    "2147483648",
    "9223372036854775808",
    "9" * 5000,
    " 2147483648 ",
    1e30,
    0,
    -1,
]
UNKNOWN_PATH_IDS = ["2147483648", "9223372036854775808", "9" * 5000, "0", "-1", "1e3", "%00"]
MOBILE = "13800138000"


async def test_unknown_temp_id_in_a_body(api: AsyncClient, tenant: Tenant) -> None:
    for value in UNKNOWN_IDS:
        assert_error(await post_json(api, tenant, "/v1/codes", temp_id=value), 403, 50013)
        assert_error(await post_json(api, tenant, "/v1/messages", temp_id=value), 403, 50013)
        batch = {"temp_id": value, "recipients": [{"mobile": MOBILE}]}
        answer = await api.post("/v1/messages/batch", json=batch, auth=tenant.auth)
        assert_error(answer, 403, 50013)


async def test_unknown_sign_id_in_a_body(api: AsyncClient, tenant: Tenant) -> None:
    para = {"name": "张三", "order": "A1"}
    for value in UNKNOWN_IDS:
        code = await post_json(api, tenant, "/v1/codes", temp_id=tenant.code_temp, sign_id=value)
        assert_error(code, 403, 50102)
        notice = await post_json(
            api, tenant, "/v1/messages", temp_id=tenant.notify_temp, sign_id=value, temp_para=para
        )
        assert_error(notice, 403, 50102)


async def test_an_unknown_id_keeps_the_order_of_checks(api: AsyncClient, tenant: Tenant) -> None:
    """An id beyond the columns is unknown where any unknown id is: after the mobile."""
    answer = await api.post(
        "/v1/messages", json={"mobile": "12", "temp_id": 2**40}, auth=tenant.auth
    )
    assert_error(answer, 403, 50006)


async def test_unknown_ids_in_schedules(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    when = format_send_time(frozen_clock.now + 3_600_000, schedule_zone(ctx.settings))
    for value in [2**31, 2**63, "9223372036854775808", 99999999999999999999999, "9" * 5000]:
        single = {"send_time": when, "mobile": MOBILE, "temp_id": value}
        assert_error(await api.post("/v1/schedule", json=single, auth=tenant.auth), 403, 50013)
        batch = {"send_time": when, "temp_id": value, "recipients": [{"mobile": MOBILE}]}
        answer = await api.post("/v1/schedule/batch", json=batch, auth=tenant.auth)
        assert_error(answer, 403, 50013)
        signed = {**single, "temp_id": tenant.notify_temp, "sign_id": value}
        assert_error(await api.post("/v1/schedule", json=signed, auth=tenant.auth), 403, 50102)


async def test_unknown_ids_in_paths(api: AsyncClient, tenant: Tenant) -> None:
    auth = tenant.auth
    change = {"type": 2, "template": "您好{{name}}"}
    form = {"sign": (None, "极光推送")}
    for text in UNKNOWN_PATH_IDS:
        assert_error(await api.get(f"/v1/templates/{text}", auth=auth), 403, 50013)
        assert_error(await api.delete(f"/v1/templates/{text}", auth=auth), 403, 50013)
        answer = await api.put(f"/v1/templates/{text}", json=change, auth=auth)
        assert_error(answer, 403, 50013)
        assert_error(await api.get(f"/v1/sign/{text}", auth=auth), 403, 50102)
        assert_error(await api.delete(f"/v1/sign/{text}", auth=auth), 403, 50102)
        assert_error(await api.post(f"/v1/sign/{text}", files=form, auth=auth), 403, 50102)


async def test_unknown_schedule_and_message_ids_in_paths(
    api: AsyncClient, ctx: Context, tenant: Tenant, frozen_clock: FrozenClock
) -> None:
    auth = tenant.auth
    when = format_send_time(frozen_clock.now + 3_600_000, schedule_zone(ctx.settings))
    single = {"send_time": when, "mobile": MOBILE, "temp_id": tenant.notify_temp}
    batch = {"send_time": when, "temp_id": tenant.notify_temp, "recipients": [{"mobile": MOBILE}]}
    for text in ["2147483648", "9" * 5000, "%00", "a%00b", "x" * 37, "%F0%9F%98%80", "%C2%A0"]:
        assert_error(await api.get(f"/v1/schedule/{text}", auth=auth), 403, 50028)
        assert_error(await api.delete(f"/v1/schedule/{text}", auth=auth), 403, 50028)
        assert_error(await api.put(f"/v1/schedule/{text}", json=single, auth=auth), 403, 50028)
        put_batch = await api.put(f"/v1/schedule/batch/{text}", json=batch, auth=auth)
        assert_error(put_batch, 403, 50028)
        verify = await api.post(f"/v1/codes/{text}/valid", json={"code": "123456"}, auth=auth)
        assert_error(verify, 403, 50026)
        assert verify.json()["is_valid"] is False


async def test_ids_at_the_edge_of_the_range_are_looked_up(api: AsyncClient, tenant: Tenant) -> None:
    """The largest id a row can have is an ordinary unknown id; leading zeros name the row."""
    assert_error(await api.get(f"/v1/templates/{2**31 - 1}", auth=tenant.auth), 403, 50013)
    found = await api.get(f"/v1/templates/000{tenant.code_temp}", auth=tenant.auth)
    assert found.status_code == 200, found.text
    padded = await post_json(api, tenant, "/v1/codes", temp_id=f"00{tenant.code_temp}")
    assert padded.status_code == 200, padded.text


async def test_other_integers_out_of_range(api: AsyncClient, tenant: Tenant) -> None:
    """ttl, voice_lang and a template's type: out of range is the field's own error."""
    for value in [2**31, 2**64, "9" * 5000, -(2**63) - 1, 1e300]:
        voice_ttl = await post_json(api, tenant, "/v1/voice_codes", ttl=value)
        assert_error(voice_ttl, 403, 50041)
        voice_lang = await post_json(api, tenant, "/v1/voice_codes", voice_lang=value)
        assert_error(voice_lang, 403, 50040)
        code_template = {"type": 1, "template": "验证码{{code}}", "ttl": value}
        response = await api.post("/v1/templates", json=code_template, auth=tenant.auth)
        assert_error(response, 403, 50041)
        typed = {"type": value, "template": "您好{{name}}"}
        assert_error(await api.post("/v1/templates", json=typed, auth=tenant.auth), 403, 50025)


async def test_sign_type_out_of_range(api: AsyncClient, tenant: Tenant) -> None:
    form = {"sign": (None, "极光推送"), "type": (None, "9" * 5000)}
    assert_error(await api.post("/v1/sign", files=form, auth=tenant.auth), 403, 50007)


async def post_json(api: AsyncClient, tenant: Tenant, url: str, **fields: Any) -> Any:
    return await api.post(url, json={"mobile": MOBILE, **fields}, auth=tenant.auth)
