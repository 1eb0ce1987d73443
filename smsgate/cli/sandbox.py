"""`smsgate sandbox`: what the sandbox provider delivered."""

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from smsgate.cli.failures import Refused
from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.delivery.providers.sandbox import sandbox_inbox
from smsgate.messages.replies import inject_reply
from smsgate.mobiles import display_mobile, normalise_mobile

sandbox_cli = typer.Typer(no_args_is_help=True, help="The sandbox provider's inbox.")


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
                "audio": e.audio_path,
            }
            for e in entries
        ]

    rows = run_job(work)
    lines = [
        f"{r['delivered_at']}  {r['mobile']}  {r['channel']}  {r['text']}"
        + (f"\n    audio: {r['audio']}" if r["audio"] else "")
        for r in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "(empty)")


@sandbox_cli.command("reply")
def sandbox_reply_command(
    to: Annotated[str, typer.Option(help="The number the reply was sent to (a reply number).")],
    sender: Annotated[str, typer.Option("--from", help="The replying handset's number.")],
    text: Annotated[str, typer.Option(help="What the handset wrote.")],
    as_json: JsonFlag = False,
) -> None:
    """A reply (MO) as the sandbox provider would report it: recorded for the app whose reply
    number it was sent to, else for the app that last sent to the handset; one that matches no
    app is dropped, as a provider's would be, and the exit code is 1."""

    async def work(ctx: Context) -> str | None:
        return await inject_reply(ctx.db, to, sender, text)

    app_key = run_job(work)
    if app_key is None:
        raise Refused(
            f"reply dropped: no app has a reply number that {to!r} starts with, "
            "and no app has sent to this handset"
        )
    emit({"recorded": True, "app_key": app_key}, as_json, f"reply recorded for app {app_key}")
