"""`smsgate callbacks`: the callback outbox, its dead letters and their replay; and the callback
and reply-number options of `smsgate app create` / `smsgate app update`."""

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.reports import callbacks
from smsgate.reports.service import NumberTaken, set_reply_numbers

callbacks_cli = typer.Typer(no_args_is_help=True, help="Signed callbacks to apps.")

CallbackUrl = Annotated[
    str | None,
    typer.Option(help='Where signed callbacks go (checked with an echostr GET); "" for none.'),
]
MasterSecret = Annotated[
    str | None,
    typer.Option(help="The app's master secret, needed once to sign callbacks of an old app."),
]
ReplyNumbers = Annotated[
    list[str] | None,
    typer.Option(
        "--reply-number",
        help='A number (prefix) replies to this app arrive at; repeat for more; "" for none.',
    ),
]


async def verify_callback_url(ctx: Context, url: str | None) -> None:
    """Before an app is created: a URL that fails its check must not cost the new app."""
    if url:
        try:
            await callbacks.verify_echostr(url, ctx.settings.callback_timeout_seconds)
        except callbacks.CallbackRefused as error:
            _refuse(str(error))


async def apply_reply_options(
    ctx: Context,
    app_key: str,
    callback_url: str | None,
    master_secret: str | None,
    reply_numbers: list[str] | None,
    *,
    check_echostr: bool = True,
) -> dict[str, Any]:
    """The callback URL and reply numbers given on the command line, as a summary to print."""
    changed: dict[str, Any] = {}
    try:
        if callback_url is not None:
            await callbacks.set_callback_url(
                ctx, app_key, callback_url, master_secret, check_echostr=check_echostr
            )
            changed["callback_url"] = callback_url or None
        if reply_numbers is not None:
            changed["reply_numbers"] = await set_reply_numbers(ctx.db, app_key, reply_numbers)
    except callbacks.CallbackRefused as error:
        _refuse(str(error))
    except NumberTaken as error:
        _refuse(f"reply number already used by another app: {error}")
    return changed


def _refuse(reason: str) -> None:
    typer.echo(f"refused: {reason}", err=True)
    raise typer.Exit(1)


def _when(ms: int | None) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat() if ms else "-"


@callbacks_cli.command("list")
def callbacks_list(
    dead: Annotated[bool, typer.Option("--dead", help="The dead letters instead.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Callbacks waiting for their next try, or (--dead) those that ran out of tries."""

    async def work(ctx: Context) -> list[dict[str, Any]]:
        return await callbacks.list_callbacks(ctx.db, dead=dead)

    rows = run_job(work)
    lines = [
        f"{r['id']}  {r['app_key']}  {r['type']}  tries {r['attempts']}  "
        f"{'dead ' + _when(r['dead_at']) if dead else 'due ' + _when(r['due_at'])}  "
        f"{r['last_error'] or ''}"
        for r in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "(none)")


@callbacks_cli.command("replay")
def callbacks_replay(
    entry_ids: Annotated[list[int] | None, typer.Argument(help="Dead callbacks by id.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead callback.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Send dead callbacks again now, with a fresh set of retries."""
    if not entry_ids and not all_dead:
        _refuse("give callback ids or --all-dead")

    async def work(ctx: Context) -> int:
        return await callbacks.replay_dead(ctx.db, None if all_dead else list(entry_ids or []))

    count = run_job(work)
    emit({"replayed": count}, as_json, f"replayed: {count}")
