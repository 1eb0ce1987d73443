"""The `smsgate` command: serve, worker, migrate, and administration of apps and templates.

Every command reads the same settings (SMSGATE_DATA_DIR, SMSGATE_DATABASE_URL, ...) as `serve`
and goes through the same services as the API. `--json` output is for scripts.
"""

import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer

from smsgate.apps import service as app_service
from smsgate.apps.policy import InvalidPolicy
from smsgate.apps.service import UnknownApp
from smsgate.context import Context, open_context
from smsgate.db.migrate import migrate
from smsgate.delivery.providers.sandbox import sandbox_inbox
from smsgate.demo import DemoApp, create_demo_if_empty
from smsgate.errors import JsmsError
from smsgate.logs import configure_logging
from smsgate.mobiles import display_mobile, normalise_mobile
from smsgate.settings import Settings
from smsgate.signs.service import create_default_sign
from smsgate.templates import service as template_service

cli = typer.Typer(no_args_is_help=True, add_completion=False, help="smsgate: JSMS-compatible SMS.")
app_cli = typer.Typer(no_args_is_help=True, help="Apps: credentials and quotas.")
template_cli = typer.Typer(no_args_is_help=True, help="Templates: create and review.")
sandbox_cli = typer.Typer(no_args_is_help=True, help="The sandbox provider's inbox.")
cli.add_typer(app_cli, name="app")
cli.add_typer(template_cli, name="template")
cli.add_typer(sandbox_cli, name="sandbox")

T = TypeVar("T")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
_LIMIT_HELP = 'COUNT/SECONDS[,COUNT/SECONDS...] for this app; "" for no limit'
CodeLimits = Annotated[str | None, typer.Option(help=f"Text codes per number: {_LIMIT_HELP}.")]
VoiceLimits = Annotated[str | None, typer.Option(help=f"Voice codes per number: {_LIMIT_HELP}.")]
NotifyLimits = Annotated[
    str | None, typer.Option(help=f"Identical notifications per number: {_LIMIT_HELP}.")
]
MarketLimits = Annotated[str | None, typer.Option(help=f"Marketing per number: {_LIMIT_HELP}.")]


def _limit_changes(
    code: str | None, voice_code: str | None, notification: str | None, marketing: str | None
) -> dict[str, str | None]:
    """The limit options given on the command line; "default" drops the app's own rule."""
    given = {
        "code_limits": code,
        "voice_code_limits": voice_code,
        "notification_limits": notification,
        "marketing_limits": marketing,
    }
    chosen = {key: text for key, text in given.items() if text is not None}
    return {key: None if text == "default" else text for key, text in chosen.items()}


def main() -> None:
    cli()


def _run(work: Callable[[Context], Awaitable[T]], settings: Settings | None = None) -> T:
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
    except (UnknownApp, template_service.UnknownTemplate) as error:
        typer.echo(f"not found: {error}", err=True)
        raise typer.Exit(1) from None
    except InvalidPolicy as error:
        typer.echo(f"invalid: {error}", err=True)
        raise typer.Exit(1) from None


def _emit(data: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False) if as_json else text)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (SMSGATE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (SMSGATE_PORT).")] = None,
) -> None:
    """Migrate the database and serve the JSMS API with the delivery worker."""
    import uvicorn  # the server and the web app load only for the commands that need them

    from smsgate.app import create_app

    settings = Settings()
    settings = settings.model_copy(
        update={"host": host or settings.host, "port": port or settings.port}
    )
    configure_logging(settings.log_level, settings.log_format)
    demo = _run(_prepare_to_serve, settings)
    if demo is not None:
        _print_demo(demo, settings)
    typer.echo(f"smsgate serving on http://{settings.host}:{settings.port}/v1/")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
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


@cli.command("migrate")
def migrate_command() -> None:
    """Bring the database schema up to date."""

    async def nothing(_ctx: Context) -> None:
        return None

    _run(nothing)
    typer.echo("database is up to date")


@cli.command()
def worker() -> None:
    """Run a delivery worker alone (scale-out beside API processes on PostgreSQL)."""
    from smsgate.app import build_worker

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)

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
        await build_worker(ctx).run()

    with contextlib.suppress(KeyboardInterrupt):
        _run(work, settings)


@app_cli.command("create")
def app_create(
    name: Annotated[str, typer.Option(help="A name for people.")],
    sign: Annotated[str | None, typer.Option(help="Default signature, approved.")] = None,
    balance: Annotated[int | None, typer.Option(help="All-purpose units.")] = None,
    voice: Annotated[int | None, typer.Option(help="Voice-code units.")] = None,
    industry: Annotated[int | None, typer.Option(help="Code and notification units.")] = None,
    market: Annotated[int | None, typer.Option(help="Marketing units.")] = None,
    no_sms: Annotated[bool, typer.Option("--no-sms", help="Without SMS permission.")] = False,
    code_limits: CodeLimits = None,
    voice_code_limits: VoiceLimits = None,
    notification_limits: NotifyLimits = None,
    marketing_limits: MarketLimits = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an app; a quota category not given is unmetered, a limit not given is the
    server's default."""
    quotas = {"balance": balance, "voice": voice, "industry": industry, "market": market}
    limits = _limit_changes(code_limits, voice_code_limits, notification_limits, marketing_limits)

    async def work(ctx: Context) -> app_service.NewApp:
        new = await app_service.create_app(
            ctx.db, name, sms_enabled=not no_sms, quotas=quotas, limits=limits
        )
        if sign:
            await create_default_sign(ctx.db, new.account.id, sign)
        return new

    new = _run(work)
    data = {"app_key": new.account.app_key, "master_secret": new.master_secret}
    _emit(data, as_json, f"appKey: {data['app_key']}\nmasterSecret: {data['master_secret']}")


@app_cli.command("update")
def app_update(
    app_key: str,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    sms: Annotated[bool | None, typer.Option("--sms/--no-sms", help="SMS permission.")] = None,
    code_limits: CodeLimits = None,
    voice_code_limits: VoiceLimits = None,
    notification_limits: NotifyLimits = None,
    marketing_limits: MarketLimits = None,
    as_json: JsonFlag = False,
) -> None:
    """Change an app; a limit set to "default" follows the server's setting again."""
    limits = _limit_changes(code_limits, voice_code_limits, notification_limits, marketing_limits)

    async def work(ctx: Context) -> app_service.AppAccount:
        return await app_service.update_app(
            ctx.db, app_key, name=name, sms_enabled=sms, limits=limits
        )

    app = _run(work)
    data = {
        "app_key": app.app_key,
        "name": app.name,
        "sms_enabled": app.sms_enabled,
        "limits": {kind: ",".join(map(str, rules)) for kind, rules in app.policy.overrides.items()},
    }
    _emit(data, as_json, "  ".join(f"{key}: {value}" for key, value in data.items()))


@app_cli.command("topup")
def app_topup(
    app_key: str,
    balance: Annotated[int, typer.Option()] = 0,
    voice: Annotated[int, typer.Option()] = 0,
    industry: Annotated[int, typer.Option()] = 0,
    market: Annotated[int, typer.Option()] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Add units to an app's quotas."""
    amounts = {"balance": balance, "voice": voice, "industry": industry, "market": market}
    amounts = {category: amount for category, amount in amounts.items() if amount}

    async def work(ctx: Context) -> dict[str, int | None]:
        return await app_service.top_up(ctx.db, app_key, amounts)

    quotas = _run(work)
    _emit(
        quotas, as_json, "  ".join(f"{k}: {v if v is not None else '-'}" for k, v in quotas.items())
    )


@template_cli.command("create")
def template_create(
    app: Annotated[str, typer.Option("--app", help="The owning app's appKey.")],
    template_type: Annotated[
        int, typer.Option("--type", help="1 code, 2 notification, 3 marketing.")
    ],
    template: Annotated[str, typer.Option(help="Text with {{name}} placeholders.")],
    ttl: Annotated[int | None, typer.Option(help="Code lifetime in seconds (type 1).")] = None,
    remark: Annotated[str, typer.Option(help="Use case; links for {{url}}.")] = "",
    approve: Annotated[bool, typer.Option("--approve", help="Approve at once.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a template; it stays in review (status 0) unless --approve."""

    async def work(ctx: Context) -> int:
        account = await app_service.find_app(ctx.db, app)
        return await template_service.create_template(
            ctx.db,
            account.id,
            template_type=template_type,
            text=template,
            ttl=ttl,
            remark=remark,
            approve=approve,
        )

    temp_id = _run(work)
    _emit({"temp_id": temp_id}, as_json, f"temp_id: {temp_id}")


@template_cli.command("approve")
def template_approve(temp_id: int) -> None:
    """Approve a template in review."""

    async def work(ctx: Context) -> None:
        await template_service.review_template(ctx.db, temp_id, approve=True)

    _run(work)
    typer.echo(f"template {temp_id} approved")


@template_cli.command("reject")
def template_reject(
    temp_id: int, reason: Annotated[str, typer.Option(help="Why, for the app's developer.")]
) -> None:
    """Reject a template with a reason."""

    async def work(ctx: Context) -> None:
        await template_service.review_template(ctx.db, temp_id, approve=False, reason=reason)

    _run(work)
    typer.echo(f"template {temp_id} rejected")


@sandbox_cli.command("inbox")
def sandbox_inbox_command(
    mobile: Annotated[str | None, typer.Option(help="Only this number.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """What the sandbox delivered, newest last."""

    async def work(ctx: Context) -> list[dict[str, Any]]:
        number = normalise_mobile(mobile) if mobile else None
        entries = await sandbox_inbox(ctx.db, number)
        return [
            {
                "msg_id": e.msg_id,
                "mobile": display_mobile(e.mobile),
                "channel": e.channel,
                "text": e.text,
                "delivered_at": datetime.fromtimestamp(e.delivered_at / 1000, UTC).isoformat(),
                "report_status": e.report_status,
            }
            for e in entries
        ]

    rows = _run(work)
    lines = [f"{r['delivered_at']}  {r['mobile']}  {r['channel']}  {r['text']}" for r in rows]
    _emit(rows, as_json, "\n".join(lines) or "(empty)")
