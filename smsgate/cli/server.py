"""serve, worker and migrate: the commands that run smsgate itself."""

import contextlib
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
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="API processes sharing the port, delivery in one more (SMSGATE_WORKERS).",
        ),
    ] = None,
    separate_delivery: Annotated[
        bool | None,
        typer.Option(
            "--separate-delivery/--embedded-delivery",
            help="Delivery in its own process beside the API (SMSGATE_SEPARATE_DELIVERY).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Migrate the database and serve the JSMS API with the delivery worker."""
    if host is not None and not host.strip():
        raise Refused("--host needs an address, such as 127.0.0.1 or 0.0.0.0")
    # The server and the web app load only for the commands that need them.
    from smsgate.cli import processes

    settings = Settings()
    overrides = {"host": host, "port": port, "workers": workers}
    overrides["separate_delivery"] = separate_delivery
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
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
    if settings.workers == 1 and not (settings.separate_delivery and settings.embedded_worker):
        processes.serve_one_process(settings)
        return
    with contextlib.suppress(KeyboardInterrupt):
        status = processes.serve_processes(settings)
    raise typer.Exit(status)


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
    from smsgate.cli import processes  # loads the delivery worker only for this command

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
        if not await processes.run_worker(ctx):
            raise typer.Exit(1)

    with contextlib.suppress(KeyboardInterrupt):
        run_job(work, settings)
