"""An app's page in the console: rotating the master secret, frequency limits and the IP
allowlist, each through the apps service, audited, refused without the form token, and a
malformed value shown beside its form with nothing changed."""

import re

import httpx
import pytest
from sqlalchemy import Connection, event

from smsgate.apps import service as app_service
from smsgate.console.pages.app_page import read_app_view
from smsgate.context import Context
from smsgate.reports.service import change_reply_number
from tests.api.helpers import assert_error
from tests.console.operator_pages import Operator, signed_in_operator

SECRET = re.compile(r'id="master-secret">([0-9a-z]{24})<')


@pytest.fixture
async def ops(ctx: Context, api: httpx.AsyncClient) -> Operator:
    return await signed_in_operator(ctx, api)


@pytest.fixture
async def app(ctx: Context) -> app_service.NewApp:
    return await app_service.create_app(ctx.db, "shop", quotas={"balance": 5})


async def test_a_rotated_secret_authenticates_and_the_old_one_is_refused_at_once(
    api: httpx.AsyncClient, ctx: Context, ops: Operator, app: app_service.NewApp
) -> None:
    key, old = app.account.app_key, app.master_secret
    # A verified call first: its credentials are now in the authenticator's cache.
    assert (await api.get("/v1/accounts/app", auth=(key, old))).status_code == 200
    answer = await ops.post(f"/console/apps/{key}/rotate")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    found = SECRET.search(answer.text)
    assert found, answer.text
    new = found.group(1)
    assert new != old
    assert_error(await api.get("/v1/accounts/app", auth=(key, old)), 401, 50002)
    shown = await api.get("/v1/accounts/app", auth=(key, new))
    assert shown.status_code == 200 and shown.json()["app_balance"] == 5
    audit = await ops.audit()
    assert "rotate_secret" in audit and key in audit
    assert new not in audit and old not in audit


async def test_limits_change_through_the_apps_service_and_a_bad_rule_changes_none(
    ctx: Context, ops: Operator, app: app_service.NewApp
) -> None:
    key = app.account.app_key
    answer = await ops.post(
        f"/console/apps/{key}/limits",
        code_limits="2/60, 9/3600",
        voice_code_limits_default="on",
        notification_limits="",
        marketing_limits_default="on",
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/apps/{key}"
    policy = (await app_service.find_app(ctx.db, key)).policy
    assert dict(policy.overrides) == {"code": ((2, 60), (9, 3600)), "notification": ()}
    page = await ops.client.get(f"/console/apps/{key}")
    assert 'value="2/60,9/3600"' in page.text  # as the service reads it back
    refused = await ops.post(
        f"/console/apps/{key}/limits",
        code_limits="1/60",
        voice_code_limits="often",
        notification_limits_default="on",
        marketing_limits_default="on",
    )
    assert refused.status_code == 400
    assert 'role="alert"' in refused.text and "often" in refused.text
    assert 'value="often"' in refused.text  # what was typed stays in the form
    assert (await app_service.find_app(ctx.db, key)).policy == policy
    audit = await ops.audit()
    assert audit.count("set_limits") == 1 and "code_limits=2/60, 9/3600" in audit


async def test_the_allowlist_holds_for_the_next_call_and_a_bad_entry_changes_nothing(
    api: httpx.AsyncClient, ctx: Context, ops: Operator, app: app_service.NewApp
) -> None:
    key, auth = app.account.app_key, (app.account.app_key, app.master_secret)
    assert (await api.get("/v1/accounts/app", auth=auth)).status_code == 200  # cached now
    answer = await ops.post(f"/console/apps/{key}/allowlist", allowed_ips="10.0.0.0/8, 192.0.2.7")
    assert answer.status_code == 303
    stored = (await app_service.find_app(ctx.db, key)).allowed_networks
    assert ",".join(map(str, stored)) == "10.0.0.0/8,192.0.2.7/32"
    assert_error(await api.get("/v1/accounts/app", auth=auth), 403, 50035)  # from 127.0.0.1
    page = await ops.client.get(f"/console/apps/{key}")
    assert 'value="10.0.0.0/8,192.0.2.7/32"' in page.text
    refused = await ops.post(f"/console/apps/{key}/allowlist", allowed_ips="127.0.0.1,nonsense")
    assert refused.status_code == 400 and "nonsense" in refused.text
    assert (await app_service.find_app(ctx.db, key)).allowed_networks == stored
    assert (await ops.post(f"/console/apps/{key}/allowlist", allowed_ips="")).status_code == 303
    assert (await api.get("/v1/accounts/app", auth=auth)).status_code == 200
    audit = await ops.audit()
    assert audit.count("set_allowlist") == 2 and "10.0.0.0/8,192.0.2.7/32" in audit


async def test_every_change_needs_the_form_token_and_changes_nothing_without(
    api: httpx.AsyncClient, ctx: Context, ops: Operator, app: app_service.NewApp
) -> None:
    key = app.account.app_key
    await change_reply_number(ctx.db, key, "1069000", add=True)
    before = await app_service.find_app(ctx.db, key)
    forms = {
        "rotate": {},
        "limits": {"code_limits": "1/1"},
        "allowlist": {"allowed_ips": "10.0.0.0/8"},
        "callback": {"url": "http://127.0.0.1:9/cb", "master_secret": app.master_secret},
        "callback/test": {},
        "reply-numbers/add": {"number": "1069001"},
        "reply-numbers/remove": {"number": "1069000"},
        "transfer": {"balance": "1"},
    }
    for action, fields in forms.items():
        answer = await api.post(f"/console/apps/{key}/{action}", data={"csrf": "x", **fields})
        assert answer.status_code == 403, action
        assert "expired" in answer.text, action
    assert await app_service.find_app(ctx.db, key) == before
    auth = (key, app.master_secret)
    assert (await api.get("/v1/accounts/app", auth=auth)).status_code == 200
    page = await ops.client.get(f"/console/apps/{key}")
    assert "1069001" not in page.text and 'data-number="1069000"' in page.text
    assert "rotate_secret" not in await ops.audit()


async def test_the_page_costs_the_same_queries_for_one_reply_number_as_for_six(
    ctx: Context, ops: Operator, app: app_service.NewApp
) -> None:
    key = app.account.app_key

    async def statements() -> int:
        def read(conn: Connection) -> int:
            sent: list[str] = []

            def count(*args: object) -> None:
                sent.append(str(args[2]))

            event.listen(conn, "before_cursor_execute", count)
            try:
                assert read_app_view(conn, key) is not None
            finally:
                event.remove(conn, "before_cursor_execute", count)
            return len(sent)

        return await ctx.db.read(read)

    await change_reply_number(ctx.db, key, "1069000", add=True)
    one = await statements()
    for n in range(1, 6):
        await change_reply_number(ctx.db, key, f"106900{n}", add=True)
    assert await statements() == one
    page = await ops.client.get(f"/console/apps/{key}")
    assert page.status_code == 200 and page.text.count('data-number="10690') == 6


async def test_the_page_and_its_refusals_speak_chinese(
    ops: Operator, app: app_service.NewApp
) -> None:
    key = app.account.app_key
    await ops.client.get("/console/language/zh")
    page = await ops.client.get(f"/console/apps/{key}")
    for text in (
        "重置 masterSecret",
        "频率限制",
        "IP 白名单",
        "回调地址",
        "上行号码",
        "开发者账号",
    ):
        assert text in page.text, text
    refused = await ops.post(f"/console/apps/{key}/allowlist", allowed_ips="nonsense")
    assert refused.status_code == 400 and "未做任何修改" in refused.text
