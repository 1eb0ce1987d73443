"""Developer accounts in the console: list and search with pools and app counts, create (the
devSecret shown once, and it opens GET /v1/accounts/dev), top up, and the developer's page
with its apps and the app page's transfer form; each change audited, refused without the form
token, and nothing reachable but by an operator."""

import re

import httpx
import pytest

from smsgate.apps import service as app_service
from smsgate.context import Context
from smsgate.devs import service as dev_service
from tests.api.helpers import assert_error
from tests.console.operator_pages import Operator, signed_in_operator

DEV_SECRET = re.compile(r'id="dev-secret">([0-9a-z]{24})<')
DEV_KEY = re.compile(r'id="dev-key">([0-9a-z]{24})<')
APP_SECRET = re.compile(r'id="master-secret">([0-9a-z]{24})<')


@pytest.fixture
async def ops(ctx: Context, api: httpx.AsyncClient) -> Operator:
    return await signed_in_operator(ctx, api)


@pytest.fixture
async def studio(ctx: Context) -> dev_service.NewDev:
    return await dev_service.create_dev(ctx.db, "studio")


async def test_a_created_developer_secret_is_shown_once_and_opens_the_dev_api(
    api: httpx.AsyncClient, ctx: Context, ops: Operator
) -> None:
    answer = await ops.post("/console/devs", name="Acme games")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    key_found, secret_found = DEV_KEY.search(answer.text), DEV_SECRET.search(answer.text)
    assert key_found and secret_found, answer.text
    key, secret = key_found.group(1), secret_found.group(1)
    pool = await api.get("/v1/accounts/dev", auth=(key, secret))
    assert pool.status_code == 200 and pool.json()["dev_balance"] is None
    assert_error(await api.get("/v1/accounts/dev", auth=(key, "x" * 24)), 401, 50002)
    for page in ("/console/devs", f"/console/devs/{key}", "/console/audit"):
        shown = await ops.client.get(page)
        assert shown.status_code == 200 and key in shown.text
        assert secret not in shown.text, page
    assert (await dev_service.find_dev(ctx.db, key)).name == "Acme games"
    assert "create_dev" in await ops.audit()


async def test_the_list_shows_pools_and_app_counts_and_searches_keys_and_names(
    ctx: Context, ops: Operator, studio: dev_service.NewDev
) -> None:
    other = await dev_service.create_dev(ctx.db, "lonely")
    await dev_service.top_up(ctx.db, studio.account.dev_key, {"voice": 70})
    for name in ("a", "b"):
        await app_service.create_app(ctx.db, name, dev_id=studio.account.id)
    await app_service.create_app(ctx.db, "nobody's")
    page = (await ops.client.get("/console/devs")).text
    row = _row(page, studio.account.dev_key)
    assert 'class="app-count">2<' in row and "voice: 70" in row
    assert 'class="app-count">0<' in _row(page, other.account.dev_key)
    found = (await ops.client.get("/console/devs", params={"q": "STUD"})).text
    assert studio.account.dev_key in found and other.account.dev_key not in found
    by_key = (await ops.client.get("/console/devs", params={"q": other.account.dev_key[3:9]})).text
    assert other.account.dev_key in by_key and studio.account.dev_key not in by_key
    wild = (await ops.client.get("/console/devs", params={"q": "%"})).text
    assert "data-dev=" not in wild  # "%" is a character searched for, not a wildcard


def _row(page: str, key: str) -> str:
    start = page.index(f'data-dev="{key}"')
    return page[start : page.index("</tr>", start)]


async def test_top_up_adds_to_the_pool_is_audited_and_a_bad_amount_changes_nothing(
    ctx: Context, ops: Operator, studio: dev_service.NewDev
) -> None:
    key = studio.account.dev_key
    answer = await ops.post(f"/console/devs/{key}/topup", category="balance", units="30")
    assert answer.status_code == 303 and answer.headers["location"] == f"/console/devs/{key}"
    await ops.post(f"/console/devs/{key}/topup", category="balance", units="12")
    for category, units in (("balance", "-5"), ("balance", "0"), ("gold", "5"), ("voice", "1e9")):
        refused = await ops.post(f"/console/devs/{key}/topup", category=category, units=units)
        assert refused.status_code == 400, (category, units)
    too_many = await ops.post(f"/console/devs/{key}/topup", category="voice", units="9" * 15)
    assert too_many.status_code == 400
    pool = await dev_service.dev_with_apps(ctx.db, key)
    assert pool.pool.quotas == {"balance": 42, "voice": None, "industry": None, "market": None}
    audit = await ops.audit()
    assert audit.count("top_up_dev") == 2 and "balance +12 = 42" in audit
    missing = await ops.post("/console/devs/nosuchdev/topup", category="balance", units="1")
    assert missing.status_code == 404


async def test_the_developer_page_lists_its_apps_and_moves_quota_with_the_app_form(
    ctx: Context, ops: Operator, studio: dev_service.NewDev
) -> None:
    dev_key = studio.account.dev_key
    await dev_service.top_up(ctx.db, dev_key, {"balance": 10})
    mine = await app_service.create_app(ctx.db, "mine", dev_id=studio.account.id)
    stranger = await app_service.create_app(ctx.db, "stranger")
    key = mine.account.app_key
    page = (await ops.client.get(f"/console/devs/{dev_key}")).text
    assert f'href="/console/apps/{key}"' in page
    assert f'action="/console/apps/{key}/transfer"' in page and 'name="back" value="dev"' in page
    assert stranger.account.app_key not in page
    moved = await ops.post(f"/console/apps/{key}/transfer", balance="4", back="dev")
    assert moved.status_code == 303 and moved.headers["location"] == f"/console/devs/{dev_key}"
    # more than the pool holds: all or nothing, shown beside the form on the app's page
    refused = await ops.post(f"/console/apps/{key}/transfer", balance="3", voice="1", back="dev")
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    after = await dev_service.dev_with_apps(ctx.db, dev_key)
    assert after.pool.quotas["balance"] == 6 and after.pool.quotas["voice"] is None
    assert [app.quotas["balance"] for app in after.apps] == [4]
    audit = await ops.audit()
    assert audit.count("transfer_quota") == 1 and f"from {dev_key}: balance 4" in audit
    # the app's page links back to its developer
    app_page = (await ops.client.get(f"/console/apps/{key}")).text
    assert f'href="/console/devs/{dev_key}"' in app_page


async def test_an_app_created_on_the_developer_page_belongs_to_it(
    api: httpx.AsyncClient, ctx: Context, ops: Operator, studio: dev_service.NewDev
) -> None:
    dev_key = studio.account.dev_key
    answer = await ops.post(f"/console/devs/{dev_key}/apps", name="new one", balance="3")
    assert answer.status_code == 200
    found = APP_SECRET.search(answer.text)
    assert found, answer.text
    apps = (await dev_service.dev_with_apps(ctx.db, dev_key)).apps
    assert [(a.account.name, a.quotas["balance"]) for a in apps] == [("new one", 3)]
    shown = await api.get("/v1/accounts/app", auth=(apps[0].account.app_key, found.group(1)))
    assert shown.status_code == 200 and shown.json()["app_balance"] == 3
    assert f"dev={dev_key}" in await ops.audit()
    refused = await ops.post(f"/console/devs/{dev_key}/apps", name="x" * 101)
    assert refused.status_code == 400
    assert len((await dev_service.dev_with_apps(ctx.db, dev_key)).apps) == 1


async def test_without_the_form_token_nothing_changes(
    ctx: Context, ops: Operator, studio: dev_service.NewDev
) -> None:
    dev_key = studio.account.dev_key
    for path, fields in (
        ("/console/devs", {"name": "sneaky"}),
        (f"/console/devs/{dev_key}/topup", {"category": "balance", "units": "5"}),
        (f"/console/devs/{dev_key}/apps", {"name": "sneaky"}),
    ):
        for token in ("", "not-the-token"):
            answer = await ops.client.post(path, data={"csrf": token, **fields})
            assert answer.status_code == 403, path
    assert [d.account.dev_key for d in await dev_service.list_devs(ctx.db)] == [dev_key]
    assert (await dev_service.dev_with_apps(ctx.db, dev_key)).pool.quotas["balance"] is None
    assert await app_service.list_apps(ctx.db) == []
    assert "sneaky" not in await ops.audit()


async def test_nobody_but_an_operator_reaches_the_pages_or_actions(
    api: httpx.AsyncClient, ctx: Context, studio: dev_service.NewDev
) -> None:
    dev_key, secret = studio.account.dev_key, studio.dev_secret
    for path in ("/console/devs", f"/console/devs/{dev_key}"):
        answer = await api.get(path, auth=(dev_key, secret))  # a developer is no operator
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
    api.cookies.set("smsgate_console", "forged-token", path="/console")
    for path in (
        "/console/devs",
        f"/console/devs/{dev_key}/topup",
        f"/console/devs/{dev_key}/apps",
    ):
        answer = await api.post(
            path, data={"csrf": "x", "name": "n", "category": "balance", "units": "9"}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/console/login"
    assert len(await dev_service.list_devs(ctx.db)) == 1
    assert (await dev_service.dev_with_apps(ctx.db, dev_key)).pool.quotas["balance"] is None


async def test_the_pages_speak_chinese_and_the_navigation_leads_to_them(
    ops: Operator, studio: dev_service.NewDev
) -> None:
    ops.client.cookies.set("smsgate_console_lang", "zh", path="/console")
    overview = (await ops.client.get("/console/overview")).text
    assert 'href="/console/devs"' in overview and "开发者" in overview
    page = (await ops.client.get(f"/console/devs/{studio.account.dev_key}")).text
    assert "为额度池充值" in page and "为该开发者创建应用" in page
