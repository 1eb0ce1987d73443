"""What every command shares: a migrated database for one async job, and JSON or text output.

Whatever a job raises is left to the one place that turns failures into a line and an exit
code (smsgate/cli/failures.py).
"""

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import structlog
import typer

from smsgate.context import Context, open_context
from smsgate.db.migrate import migrate
from smsgate.settings import Settings

T = TypeVar("T")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def run_job(work: Callable[[Context], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run one async job against a migrated database."""
    settings = settings or Settings()

    async def job() -> T:
        ctx = open_context(settings)
        try:
            await migrate(ctx.db)
            return await work(ctx)
        finally:
            await ctx.close()

    return asyncio.run(job())


def emit(data: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False) if as_json else text)


def quiet_logs(debug: bool) -> None:
    """For the commands that report their own outcome: only errors are logged (a service's
    warning, such as a dropped reply, is already in the command's line), all of it with
    `debug`; and on stderr (the one open when a line is written), so stdout carries only what
    the command prints and `--json` output stays parseable. `serve` and `worker` configure
    logging again for themselves."""
    level = logging.DEBUG if debug else logging.ERROR
    structlog.configure(
        logger_factory=_stderr_logger, wrapper_class=structlog.make_filtering_bound_logger(level)
    )


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)
