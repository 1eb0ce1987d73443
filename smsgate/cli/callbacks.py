"""`smsgate callbacks`: the callback outbox, its dead letters and their replay; and the callback
and reply-number options of `smsgate app create` / `smsgate app update`."""

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from smsgate.access.networks import normalise_networks
from smsgate.callbacks import service as callbacks
from smsgate.cli.failures import Refused
from smsgate.cli.options import record_id
from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.reports.service import (
    check_reply_numbers_free,
    clean_reply_numbers,
    set_reply_numbers,
)

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


def check_reply_options(callback_url: str | None, master_secret: str | None) -> None:
    """Before any work: the master secret only signs callbacks, so it needs a URL to sign for."""
    if master_secret is not None and not callback_url:
        raise Refused(
            "--master-secret signs callbacks: give it with the --callback-url it is for"
            if callback_url is None
            else "--master-secret is not needed to remove the callback URL"
        )


def check_app_options(allow_ip: str | None, reply_numbers: list[str] | None) -> None:
    """Malformed values are refused before anything changes."""
    if allow_ip is not None:
        normalise_networks(allow_ip)
    if reply_numbers is not None:
        clean_reply_numbers(reply_numbers)


async def verify_callback_url(ctx: Context, url: str | None) -> None:
    """Before an app is created: a URL that fails its check must not cost the new app."""
    if url:
        await callbacks.verify_echostr(url, ctx.settings.callback_timeout_seconds)


async def apply_reply_options(
    ctx: Context,
    app_key: str,
    callback_url: str | None,
    master_secret: str | None,
    reply_numbers: list[str] | None,
    *,
    check_echostr: bool = True,
) -> dict[str, Any]:
    """The callback URL and reply numbers given on the command line, as a summary to print.
    Reply numbers taken by another app are refused before the URL changes."""
    changed: dict[str, Any] = {}
    if reply_numbers is not None:
        await check_reply_numbers_free(ctx.db, reply_numbers, app_key)
    if callback_url is not None:
        await callbacks.set_callback_url(
            ctx, app_key, callback_url, master_secret, check_echostr=check_echostr
        )
        changed["callback_url"] = callback_url or None
    if reply_numbers is not None:
        changed["reply_numbers"] = await set_reply_numbers(ctx.db, app_key, reply_numbers)
    return changed


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
    entry_ids: Annotated[list[int] | None, record_id("Dead callbacks by id.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead callback.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Send dead callbacks again now, with a fresh set of retries; an id that is not a dead
    callback (unknown, or still being tried) is named, and the exit code is then 1."""
    if entry_ids and all_dead:
        raise Refused("give callback ids or --all-dead, not both")
    if not entry_ids and not all_dead:
        raise Refused("give callback ids or --all-dead")
    asked = sorted(set(entry_ids or []))

    async def work(ctx: Context) -> list[int]:
        return await callbacks.replay_dead(ctx.db, None if all_dead else asked)

    replayed = run_job(work)
    missing = [entry_id for entry_id in asked if entry_id not in replayed]
    emit({"replayed": len(replayed)}, as_json, f"replayed: {len(replayed)}")
    if missing:
        raise Refused(f"not replayed, no dead callback has these ids: {missing}")
