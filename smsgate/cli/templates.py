"""`smsgate template`: create templates and review them."""

from dataclasses import asdict
from typing import Annotated

import typer

from smsgate.apps import service as app_service
from smsgate.cli.failures import Refused
from smsgate.cli.options import MAX_REASON, record_id, small_number, text_up_to, ttl_seconds
from smsgate.cli.review_filters import AppFilter, StatusFilter, chosen_app_id, chosen_status
from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.db.models import ReviewState
from smsgate.templates import service as template_service

template_cli = typer.Typer(no_args_is_help=True, help="Templates: create and review.")
TempId = Annotated[int, record_id("The template's temp_id.")]
FallbackAfter = Annotated[
    int | None,
    typer.Option(
        "--voice-fallback-after",
        min=0,
        help="Codes: call with the same code when the SMS failed or had no receipt after this"
        " many seconds (less than --ttl); 0 turns it off.",
    ),
]
FallbackLang = Annotated[
    int,
    typer.Option(
        "--voice-fallback-lang", min=0, max=2, help="The call's language: 0 zh, 1 en, 2 both."
    ),
]


@template_cli.command("create")
def template_create(
    app: Annotated[str, typer.Option("--app", help="The owning app's appKey.")],
    template_type: Annotated[
        int, small_number(1, 3, "--type", help_text="1 code, 2 notification, 3 marketing.")
    ],
    template: Annotated[str, typer.Option(help="Text with {{name}} placeholders.")],
    ttl: Annotated[int | None, ttl_seconds("Code lifetime in seconds, type 1 only")] = None,
    remark: Annotated[str, typer.Option(help="Use case; links for {{url}}.")] = "",
    approve: Annotated[bool, typer.Option("--approve", help="Approve at once.")] = False,
    voice_fallback_after: FallbackAfter = None,
    voice_fallback_lang: FallbackLang = 0,
    as_json: JsonFlag = False,
) -> None:
    """Create a template; it stays in review (status 0) unless --approve."""
    if ttl is not None and template_type != template_service.CODE:
        raise Refused("--ttl is the lifetime of a code: only code templates (--type 1) have one")
    fallback = None
    if voice_fallback_after is not None:
        fallback = template_service.VoiceFallbackChoice(voice_fallback_after, voice_fallback_lang)

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
            voice_fallback=fallback,
        )

    temp_id = run_job(work)
    emit({"temp_id": temp_id}, as_json, f"temp_id: {temp_id}")


@template_cli.command("update")
def template_update(
    temp_id: int,
    voice_fallback_after: FallbackAfter = None,
    voice_fallback_lang: FallbackLang = 0,
    as_json: JsonFlag = False,
) -> None:
    """Change what an operator decides for a template: its voice fallback (codes)."""
    if voice_fallback_after is None:
        typer.echo("nothing to change: give --voice-fallback-after", err=True)
        raise typer.Exit(2)
    choice = template_service.VoiceFallbackChoice(voice_fallback_after, voice_fallback_lang)

    async def work(ctx: Context) -> None:
        await template_service.set_voice_fallback(ctx.db, temp_id, choice)

    run_job(work)
    after = voice_fallback_after or None
    data = {"temp_id": temp_id, "voice_fallback_after": after}
    emit(
        data,
        as_json,
        f"template {temp_id}: voice fallback " + (f"after {after} s" if after else "off"),
    )


@template_cli.command("approve")
def template_approve(temp_id: TempId, as_json: JsonFlag = False) -> None:
    """Approve a template; the app gets an SMS_TEMPLATE callback."""
    _review(temp_id, as_json, approve=True)


@template_cli.command("reject")
def template_reject(
    temp_id: TempId,
    reason: Annotated[str, text_up_to(MAX_REASON, "Why, for the app's developer.")],
    as_json: JsonFlag = False,
) -> None:
    """Reject a template with a reason; the app gets an SMS_TEMPLATE callback and may change
    the template and submit it again."""
    _review(temp_id, as_json, approve=False, reason=reason)


def _review(temp_id: int, as_json: bool, *, approve: bool, reason: str = "") -> None:
    async def work(ctx: Context) -> None:
        await template_service.review_template(ctx.db, temp_id, approve=approve, reason=reason)

    run_job(work)
    status = "approved" if approve else "rejected"
    emit({"temp_id": temp_id, "status": status}, as_json, f"template {temp_id} {status}")


_STATUSES = {"review": ReviewState.IN_REVIEW, "approved": ReviewState.APPROVED}
_STATUSES["rejected"] = ReviewState.REJECTED


@template_cli.command("list")
def template_list(
    status: StatusFilter = None, app: AppFilter = None, as_json: JsonFlag = False
) -> None:
    """Templates with their type, text, remark and review state, oldest first."""
    chosen = chosen_status(status, _STATUSES)

    async def work(ctx: Context) -> list[template_service.TemplateForReview]:
        app_id = await chosen_app_id(ctx, app)
        return await template_service.templates_for_review(ctx.db, status=chosen, app_id=app_id)

    rows = [asdict(template) for template in run_job(work)]
    lines = [
        f"{row['temp_id']}  {row['status']:<8}  app {row['app_key']}  type {row['type']}"
        + (f"  ttl {row['ttl']}" if row["type"] == template_service.CODE else "")
        + (
            f"  voice fallback {row['voice_fallback_after']} s"
            if row["voice_fallback_after"]
            else ""
        )
        + f"\n    {row['template']}"
        + (f"\n    remark: {row['remark']}" if row["remark"] else "")
        + (f"\n    reason: {row['refuse_reason']}" if row["refuse_reason"] else "")
        for row in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "no templates")
