"""`smsgate dev`: developer accounts, their pools, and moving quota to their apps."""

from typing import Annotated

import typer

from smsgate.cli.options import MAX_NAME, text_up_to, units
from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.devs import service as dev_service

dev_cli = typer.Typer(no_args_is_help=True, help="Developer accounts: credentials and pools.")
Units = Annotated[int, units("Units to add or move")]


def _show(quotas: dict[str, int | None]) -> str:
    return "  ".join(f"{k}: {v if v is not None else '-'}" for k, v in quotas.items())


def _amounts(balance: int, voice: int, industry: int, market: int) -> dict[str, int]:
    given = {"balance": balance, "voice": voice, "industry": industry, "market": market}
    return {category: amount for category, amount in given.items() if amount}


@dev_cli.command("create")
def dev_create(
    name: Annotated[str, text_up_to(MAX_NAME, "A name for people.")],
    as_json: JsonFlag = False,
) -> None:
    """Create a developer account; its secret is printed once and stored only hashed."""

    async def work(ctx: Context) -> dev_service.NewDev:
        return await dev_service.create_dev(ctx.db, name)

    new = run_job(work)
    data = {"dev_key": new.account.dev_key, "dev_secret": new.dev_secret}
    emit(data, as_json, f"devKey: {data['dev_key']}\ndevSecret: {data['dev_secret']}")


@dev_cli.command("topup")
def dev_topup(
    dev_key: str,
    balance: Units = 0,
    voice: Units = 0,
    industry: Units = 0,
    market: Units = 0,
    as_json: JsonFlag = False,
) -> None:
    """Add units to a developer's pool (a category never given stays null: not allocated)."""
    amounts = _amounts(balance, voice, industry, market)

    async def work(ctx: Context) -> dict[str, int | None]:
        return await dev_service.top_up(ctx.db, dev_key, amounts)

    quotas = run_job(work)
    emit(quotas, as_json, _show(quotas))


@dev_cli.command("transfer")
def dev_transfer(
    dev_key: str,
    app_key: Annotated[str, typer.Option("--app", help="An app of this developer.")],
    balance: Units = 0,
    voice: Units = 0,
    industry: Units = 0,
    market: Units = 0,
    as_json: JsonFlag = False,
) -> None:
    """Move units from the developer's pool to one of its apps: all of them or none."""
    amounts = _amounts(balance, voice, industry, market)

    async def work(ctx: Context) -> dev_service.Transfer:
        return await dev_service.transfer(ctx.db, dev_key, app_key, amounts)

    moved = run_job(work)
    data = {"dev": moved.dev, "app": moved.app}
    emit(data, as_json, f"dev  {_show(moved.dev)}\napp  {_show(moved.app)}")
