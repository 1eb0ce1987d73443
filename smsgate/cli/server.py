"""serve, worker and migrate: the commands that run smsgate itself."""

import asyncio
import contextlib
import math
import signal
import sys
from typing import Annotated

import typer

from smsgate.cli.failures import Refused
from smsgate.cli.options import port_number
from smsgate.cli.providers import checked_delivery_config
from smsgate.cli.running import run_job
from smsgate.console.accounts import first_operator_if_none
from smsgate.context import Context
from smsgate.demo import DemoApp, create_demo_if_empty
from smsgate.logs import configure_logging
from smsgate.settings import Settings


def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (SMSGATE_HOST).")] = None,
    port: Annotated[int | None, port_number("Listen port (SMSGATE_PORT)")] = None,
) -> None:
    """Migrate the database and serve the JSMS API with the delivery worker."""
    if host is not None and not host.strip():
        raise Refused("--host needs an address, such as 127.0.0.1 or 0.0.0.0")
    import uvicorn  # the server and the web app load only for the commands that need them

    from smsgate.app import create_app
    from smsgate.connection_watch import WatchedHttpToolsProtocol

    settings = Settings()
    settings = settings.model_copy(
        update={
            "host": settings.host if host is None else host,
            "port": settings.port if port is None else port,
        }
    )
    configure_logging(settings.log_level, settings.log_format)
    checked_delivery_config(settings)
    demo, operator = run_job(_prepare_to_serve, settings)
    if demo is not None:
        _print_demo(demo, settings)
    if operator is not None:
        _print_operator(operator, settings)
    typer.echo(f"smsgate serving on http://{settings.host}:{settings.port}/v1/")
    if settings.console:
        typer.echo(f"operator console on http://{settings.host}:{settings.port}/console/")
    uvicorn.run(
        create_app(settings, serve_metrics=True),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,  # uvicorn's lines go through smsgate's logging (logs.py), redacted
        access_log=False,  # smsgate writes its own (smsgate/observability/access_log.py)
        # smsgate alone decides which proxy headers name the client (SMSGATE_TRUSTED_PROXIES):
        # uvicorn would otherwise rewrite the client address from X-Forwarded-For by itself.
        proxy_headers=False,
        forwarded_allow_ips="",
        # SIGTERM: answer the requests in flight (for at most this long), then stop the loops.
        timeout_graceful_shutdown=math.ceil(settings.stop_timeout_seconds),
        # Pulls hand records out once: this protocol tells them whether the client took the answer.
        http=WatchedHttpToolsProtocol,
    )


async def _prepare_to_serve(ctx: Context) -> tuple[DemoApp | None, tuple[str, str] | None]:
    """`_run` has migrated the database; on first start, create the demo app and, for the
    console, a first operator (SMSGATE_CREATE_DEMO=false: neither; use `smsgate admin create`)."""
    if not ctx.settings.create_demo:
        return None, None
    demo = await create_demo_if_empty(ctx)
    operator = await first_operator_if_none(ctx.db) if ctx.settings.console else None
    return demo, operator


def _command() -> str:
    """How this command was started, for instructions a person can paste."""
    invoked = sys.argv[0]
    return "python -m smsgate" if invoked.endswith("__main__.py") else invoked


def _print_demo(demo: DemoApp, settings: Settings) -> None:
    base = f"http://{settings.host}:{settings.port}"
    typer.echo(
        "Created a demo app (shown once; the secret is stored hashed):\n"
        f"  appKey:       {demo.app_key}\n"
        f"  masterSecret: {demo.master_secret}\n"
        f"  temp_id:      {demo.temp_id} (verification code), "
        f"{demo.notification_temp_id} (notification with {{{{name}}}})\n"
        "Send a code to a test number:\n"
        f"  curl -u {demo.app_key}:{demo.master_secret} -X POST {base}/v1/codes \\\n"
        f'       -d \'{{"mobile":"13800138000","temp_id":{demo.temp_id}}}\'\n'
        f"Read what the sandbox delivered:  {_command()} sandbox inbox --mobile 13800138000\n"
    )


def _print_operator(operator: tuple[str, str], settings: Settings) -> None:
    name, password = operator
    typer.echo(
        "Created the first console operator (shown once; the password is stored hashed):\n"
        f"  console:  http://{settings.host}:{settings.port}/console/\n"
        f"  name:     {name}\n"
        f"  password: {password}\n"
        f"More operators: {_command()} admin create --name NAME\n"
    )


def migrate_command() -> None:
    """Bring the database schema up to date."""

    async def nothing(_ctx: Context) -> None:
        return None

    run_job(nothing)
    typer.echo("database is up to date")


def worker() -> None:
    """Run a delivery worker alone (scale-out beside API processes on PostgreSQL)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    checked_delivery_config(settings)

    async def work(ctx: Context) -> None:
        if ctx.db.is_sqlite:
            # SQLite has one writer and smsgate serve runs its worker inside; a second worker
            # would take over the first one's deliveries at start.
            typer.echo(
                "smsgate worker needs PostgreSQL (SMSGATE_DATABASE_URL); "
                "on SQLite the worker runs inside smsgate serve",
                err=True,
            )
            raise typer.Exit(2)
        if not await run_worker(ctx):
            raise typer.Exit(1)

    with contextlib.suppress(KeyboardInterrupt):
        run_job(work, settings)


async def run_worker(ctx: Context) -> bool:
    """The background loops and the metrics port until SIGTERM or SIGINT, then a graceful stop
    (the same as serve's). False when a loop failed."""
    from smsgate.background import run_background, stop_background
    from smsgate.observability.server import WORKER_DEFAULT_PORT, metrics_port, metrics_server

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, ctx.request_stop)
    async with metrics_server(ctx, metrics_port(ctx, WORKER_DEFAULT_PORT)):
        background = asyncio.create_task(run_background(ctx))
        stopping = asyncio.create_task(ctx.process.stopping.wait())
        await asyncio.wait([background, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        await stop_background(ctx, background)
    return background.cancelled() or background.exception() is None
