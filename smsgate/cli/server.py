"""serve, worker and migrate: the commands that run smsgate itself."""

import contextlib
import sys
from typing import Annotated

import typer

from smsgate.cli.failures import Refused
from smsgate.cli.options import port_number
from smsgate.cli.providers import checked_delivery_config
from smsgate.cli.running import run_job
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

    settings = Settings()
    settings = settings.model_copy(
        update={
            "host": settings.host if host is None else host,
            "port": settings.port if port is None else port,
        }
    )
    configure_logging(settings.log_level, settings.log_format)
    checked_delivery_config(settings)
    demo = run_job(_prepare_to_serve, settings)
    if demo is not None:
        _print_demo(demo, settings)
    typer.echo(f"smsgate serving on http://{settings.host}:{settings.port}/v1/")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,  # uvicorn's lines go through smsgate's logging (logs.py), redacted
        access_log=False,  # smsgate writes its own (smsgate/observability/access_log.py)
        # smsgate alone decides which proxy headers name the client (SMSGATE_TRUSTED_PROXIES):
        # uvicorn would otherwise rewrite the client address from X-Forwarded-For by itself.
        proxy_headers=False,
        forwarded_allow_ips="",
    )


async def _prepare_to_serve(ctx: Context) -> DemoApp | None:
    """`_run` has migrated the database; on first start, create the demo app."""
    if not ctx.settings.create_demo:
        return None
    return await create_demo_if_empty(ctx)


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


def migrate_command() -> None:
    """Bring the database schema up to date."""

    async def nothing(_ctx: Context) -> None:
        return None

    run_job(nothing)
    typer.echo("database is up to date")


def worker() -> None:
    """Run a delivery worker alone (scale-out beside API processes on PostgreSQL)."""
    from smsgate.background import run_background

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
        await run_background(ctx)

    with contextlib.suppress(KeyboardInterrupt):
        run_job(work, settings)
