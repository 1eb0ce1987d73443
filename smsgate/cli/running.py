"""What every command shares: a migrated database for one async job, and JSON or text output."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from smsgate.apps.policy import InvalidPolicy
from smsgate.apps.service import UnknownApp
from smsgate.context import Context, open_context
from smsgate.db.migrate import migrate
from smsgate.devs.service import UnknownDev
from smsgate.errors import JsmsError
from smsgate.fraud.prefixes import InvalidList
from smsgate.settings import Settings
from smsgate.signs.review import UnknownSign
from smsgate.templates import service as template_service

T = TypeVar("T")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
# What a command reports as "not found" (exit code 1) rather than a traceback.
NOT_FOUND: tuple[type[Exception], ...] = (
    UnknownApp,
    template_service.UnknownTemplate,
    UnknownDev,
    UnknownSign,
)


def run_job(work: Callable[[Context], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run one async job against a migrated database; JSMS errors become exit code 1."""
    settings = settings or Settings()

    async def job() -> T:
        ctx = open_context(settings)
        try:
            await migrate(ctx.db)
            return await work(ctx)
        finally:
            await ctx.close()

    try:
        return asyncio.run(job())
    except JsmsError as error:
        typer.echo(f"error {error.code}: {error.message}", err=True)
        raise typer.Exit(1) from None
    except NOT_FOUND as error:
        typer.echo(f"not found: {error}", err=True)
        raise typer.Exit(1) from None
    except (InvalidPolicy, InvalidList) as error:
        typer.echo(f"invalid: {error}", err=True)
        raise typer.Exit(1) from None


def emit(data: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False) if as_json else text)
