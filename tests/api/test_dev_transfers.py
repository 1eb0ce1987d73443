"""Moving quota from a developer's pool to its apps: exact, atomic, never below zero."""

import asyncio

import pytest

from smsgate.apps.service import app_quotas, find_app
from smsgate.apps.service import create_app as create_account
from smsgate.context import Context
from smsgate.db.engine import Database
from smsgate.devs.service import (
    TransferRefused,
    UnknownDev,
    create_dev,
    dev_balances,
    find_dev,
    top_up,
    transfer,
)


async def pools(ctx: Context, dev_key: str, app_key: str) -> tuple[dict[str, int | None], ...]:
    dev = await dev_balances(ctx.db, await find_dev(ctx.db, dev_key))
    app = await find_app(ctx.db, app_key)
    quotas = await ctx.db.read(lambda conn: app_quotas(conn, app.id))
    return dev, quotas


async def test_all_categories_or_none(ctx: Context) -> None:
    dev = (await create_dev(ctx.db, "studio")).account
    app = (await create_account(ctx.db, "shop", dev_id=dev.id)).account
    await top_up(ctx.db, dev.dev_key, {"balance": 10, "voice": 2})
    with pytest.raises(TransferRefused):
        await transfer(ctx.db, dev.dev_key, app.app_key, {"balance": 5, "voice": 3})
    with pytest.raises(TransferRefused):  # nothing allocated in this category
        await transfer(ctx.db, dev.dev_key, app.app_key, {"market": 1})
    dev_pool, app_pool = await pools(ctx, dev.dev_key, app.app_key)
    assert dev_pool == {"dev_balance": 10, "dev_voice": 2, "dev_industry": None, "dev_market": None}
    assert app_pool == {"balance": None, "voice": None, "industry": None, "market": None}
    moved = await transfer(ctx.db, dev.dev_key, app.app_key, {"balance": 10, "voice": 2})
    assert moved.dev == {"balance": 0, "voice": 0, "industry": None, "market": None}
    assert moved.app == {"balance": 10, "voice": 2, "industry": None, "market": None}


async def test_only_to_the_developers_own_apps(ctx: Context) -> None:
    dev = (await create_dev(ctx.db, "studio")).account
    stranger = (await create_dev(ctx.db, "other")).account
    theirs = (await create_account(ctx.db, "theirs", dev_id=stranger.id)).account
    loose = (await create_account(ctx.db, "loose")).account
    await top_up(ctx.db, dev.dev_key, {"balance": 10})
    for app_key in (theirs.app_key, loose.app_key):
        with pytest.raises(TransferRefused):
            await transfer(ctx.db, dev.dev_key, app_key, {"balance": 1})
    with pytest.raises(UnknownDev):
        await transfer(ctx.db, "nobody", theirs.app_key, {"balance": 1})
    with pytest.raises(TransferRefused):
        await transfer(ctx.db, dev.dev_key, theirs.app_key, {"balance": 0})


async def test_parallel_transfers_never_overdraw(ctx: Context) -> None:
    """Twenty moves of 3 from a pool of 50 at once (PostgreSQL: twenty connections): exactly
    sixteen succeed, the pool ends at 2 and the app holds 48."""
    dev = (await create_dev(ctx.db, "studio")).account
    apps = [(await create_account(ctx.db, f"shop{i}", dev_id=dev.id)).account for i in range(2)]
    await top_up(ctx.db, dev.dev_key, {"industry": 50})
    # Separate engines on PostgreSQL, so the moves really run in separate transactions.
    databases = [Database(ctx.db.url.render_as_string(hide_password=False)) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(
                transfer(databases[i % 4], dev.dev_key, apps[i % 2].app_key, {"industry": 3})
                for i in range(20)
            ),
            return_exceptions=True,
        )
    finally:
        for database in databases:
            await database.dispose()
    succeeded = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, TransferRefused)]
    assert (len(succeeded), len(refused)) == (16, 4), results
    dev_pool = await dev_balances(ctx.db, dev)
    assert dev_pool["dev_industry"] == 2
    totals = 0
    for app in apps:
        _dev, quotas = await pools(ctx, dev.dev_key, app.app_key)
        totals += quotas["industry"] or 0
    assert totals == 48
