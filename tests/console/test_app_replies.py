"""An app's page in the console: the callback URL and its signed test call against a real local
receiver, reply numbers, and quota moved from the app's developer account. Each through the
service the command line uses, audited; a refused value is shown and changes nothing."""

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from smsgate.apps import service as app_service
from smsgate.callbacks.service import callback_settings, set_callback_url
from smsgate.context import Context
from smsgate.devs import service as dev_service
from smsgate.reports.service import reply_numbers_of
from tests.api.callback_receiver import CallbackReceiver
from tests.console.operator_pages import Operator, signed_in_operator
from tests.support.ports import free_port

SECRET = re.compile(r'id="master-secret">([0-9a-z]{24})<')


@pytest.fixture
async def ops(ctx: Context, api: httpx.AsyncClient) -> Operator:
    return await signed_in_operator(ctx, api)


@pytest.fixture
async def app(ctx: Context) -> app_service.NewApp:
    return await app_service.create_app(ctx.db, "shop")


async def callback_url(ctx: Context, app_key: str) -> str | None:
    app = await app_service.find_app(ctx.db, app_key)
    return (await ctx.db.read(lambda conn: callback_settings(conn, app.id))).url


async def test_a_test_callback_reaches_the_url_signed_with_the_current_secret(
    ctx: Context, ops: Operator, app: app_service.NewApp
) -> None:
    key = app.account.app_key
    receiver = CallbackReceiver(key, app.master_secret)
    with receiver.running():
        answer = await ops.post(
            f"/console/apps/{key}/callback", url=receiver.url, master_secret=app.master_secret
        )
        assert answer.status_code == 303
        assert len(receiver.echo_checks) == 1 and await callback_url(ctx, key) == receiver.url
        tested = await ops.post(f"/console/apps/{key}/callback/test")
        assert tested.status_code == 200 and "HTTP 200" in tested.text
        [post] = receiver.posts
        assert post.signature_ok and post.field("type") == "SMS_TEST"
        assert f'"appKey":"{key}"' in post.field("data")
        # After a rotation the app holds the new secret only: callbacks are signed with it.
        rotated = await ops.post(f"/console/apps/{key}/rotate")
        found = SECRET.search(rotated.text)
        assert found
        receiver.master_secret = found.group(1)
        receiver.default_status = 503
        tested = await ops.post(f"/console/apps/{key}/callback/test")
        assert "HTTP 503" in tested.text
        assert len(receiver.posts) == 2 and receiver.posts[1].signature_ok
    audit = await ops.audit()
    assert "set_callback_url" in audit and audit.count("test_callback") == 2
    assert "HTTP 200" in audit and "HTTP 503" in audit


async def test_a_test_call_to_a_closed_port_shows_the_error(
    ctx: Context, ops: Operator, app: app_service.NewApp
) -> None:
    key = app.account.app_key
    nobody_listens = f"http://127.0.0.1:{free_port()}/cb"  # held for this process, never bound
    await set_callback_url(ctx, key, nobody_listens, app.master_secret, check_echostr=False)
    tested = await ops.post(f"/console/apps/{key}/callback/test")
    assert tested.status_code == 200 and "ConnectError" in tested.text
    assert 'class="bad"' in tested.text


@contextmanager
def trickling_endpoint() -> Iterator[str]:
    """An endpoint that answers one byte at a time, each well inside a read timeout: only a
    bound on the whole call ends it."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"x" * 10_000:
                if stop.wait(0.05):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/cb"
    finally:
        stop.set()
        listener.close()
        thread.join()


@pytest.mark.parametrize("settings_overrides", [{"callback_timeout_seconds": 0.5}])
async def test_the_test_call_is_bounded_in_time_as_a_whole(
    ctx: Context, ops: Operator, app: app_service.NewApp
) -> None:
    key = app.account.app_key
    with trickling_endpoint() as url:
        await set_callback_url(ctx, key, url, app.master_secret, check_echostr=False)
        tested = await ops.post(f"/console/apps/{key}/callback/test")
    assert tested.status_code == 200 and "no answer within 0.5 s" in tested.text
    assert "no answer within 0.5 s" in await ops.audit()


async def test_a_refused_callback_url_changes_nothing_and_clearing_removes_it(
    ctx: Context, ops: Operator, app: app_service.NewApp
) -> None:
    key = app.account.app_key
    refused = await ops.post(
        f"/console/apps/{key}/callback", url="ftp://example.org/cb", master_secret=app.master_secret
    )
    assert refused.status_code == 400 and "http://" in refused.text
    assert 'value="ftp://example.org/cb"' in refused.text
    receiver = CallbackReceiver(key, app.master_secret)
    with receiver.running():
        no_secret = await ops.post(f"/console/apps/{key}/callback", url=receiver.url)
        assert no_secret.status_code == 400 and "master secret" in no_secret.text
        assert await callback_url(ctx, key) is None
        receiver.echo_correctly = False
        wrong_echo = await ops.post(
            f"/console/apps/{key}/callback", url=receiver.url, master_secret=app.master_secret
        )
        assert wrong_echo.status_code == 400 and "echostr" in wrong_echo.text
        assert await callback_url(ctx, key) is None
        receiver.echo_correctly = True
        with_password = receiver.url.replace("http://", "http://hook:pw-123@")
        await ops.post(
            f"/console/apps/{key}/callback", url=with_password, master_secret=app.master_secret
        )
    assert await callback_url(ctx, key) == with_password
    cleared = await ops.post(f"/console/apps/{key}/callback", clear="1", url=receiver.url)
    assert cleared.status_code == 303 and await callback_url(ctx, key) is None
    untested = await ops.post(f"/console/apps/{key}/callback/test")
    assert untested.status_code == 400 and "no callback URL" in untested.text
    audit = await ops.audit()
    assert audit.count("set_callback_url") == 1 and "clear_callback_url" in audit
    assert "hook:***@127.0.0.1" in audit and "pw-123" not in audit


async def test_reply_numbers_are_added_and_removed_and_another_apps_is_refused(
    ctx: Context, ops: Operator, app: app_service.NewApp
) -> None:
    key = app.account.app_key
    other = await app_service.create_app(ctx.db, "other")
    assert (
        await ops.post(f"/console/apps/{key}/reply-numbers/add", number="+86 1069 01")
    ).status_code == 303
    await ops.post(f"/console/apps/{key}/reply-numbers/add", number="106902")
    taken = await ops.post(
        f"/console/apps/{other.account.app_key}/reply-numbers/add", number="106902"
    )
    assert taken.status_code == 400 and "another app" in taken.text
    bad = await ops.post(f"/console/apps/{key}/reply-numbers/add", number="1069x")
    assert bad.status_code == 400 and 'value="1069x"' in bad.text
    removed = await ops.post(f"/console/apps/{key}/reply-numbers/remove", number="106902")
    assert removed.status_code == 303

    mine = await ctx.db.read(lambda conn: reply_numbers_of(conn, app.account.id))
    theirs = await ctx.db.read(lambda conn: reply_numbers_of(conn, other.account.id))
    assert (mine, theirs) == (["86106901"], [])
    audit = await ops.audit()
    assert audit.count("add_reply_number") == 2 and "remove_reply_number" in audit


async def test_quota_moves_from_the_developer_account_all_or_nothing(
    ctx: Context, ops: Operator
) -> None:
    dev = await dev_service.create_dev(ctx.db, "studio")
    await dev_service.top_up(ctx.db, dev.account.dev_key, {"balance": 100, "voice": 10})
    new = await app_service.create_app(ctx.db, "game", dev_id=dev.account.id)
    key = new.account.app_key
    page = await ops.client.get(f"/console/apps/{key}")
    assert dev.account.dev_key in page.text and "balance: 100" in page.text
    moved = await ops.post(f"/console/apps/{key}/transfer", balance="30", voice="4")
    assert moved.status_code == 303
    too_much = await ops.post(f"/console/apps/{key}/transfer", balance="5", voice="7")
    assert too_much.status_code == 400 and "voice pool has 6 units" in too_much.text
    garbled = await ops.post(f"/console/apps/{key}/transfer", balance="-5")
    assert garbled.status_code == 400
    pools = await dev_service.dev_balances(ctx.db, dev.account)
    assert (pools["dev_balance"], pools["dev_voice"]) == (70, 6)
    quotas = await app_service.app_balances(ctx.db, await app_service.find_app(ctx.db, key))
    assert (quotas["app_balance"], quotas["app_voice"]) == (30, 4)
    audit = await ops.audit()
    assert audit.count("transfer_quota") == 1 and f"from {dev.account.dev_key}" in audit
    lone = await app_service.create_app(ctx.db, "alone")
    page = await ops.client.get(f"/console/apps/{lone.account.app_key}")
    assert "no developer account" in page.text
    refused = await ops.post(f"/console/apps/{lone.account.app_key}/transfer", balance="1")
    assert refused.status_code == 404
