"""`smsgate template`: create templates and review them."""

from typing import Annotated

import typer

from smsgate.apps import service as app_service
from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.templates import service as template_service

template_cli = typer.Typer(no_args_is_help=True, help="Templates: create and review.")


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

    temp_id = run_job(work)
    emit({"temp_id": temp_id}, as_json, f"temp_id: {temp_id}")


@template_cli.command("approve")
def template_approve(temp_id: int) -> None:
    """Approve a template in review."""

    async def work(ctx: Context) -> None:
        await template_service.review_template(ctx.db, temp_id, approve=True)

    run_job(work)
    typer.echo(f"template {temp_id} approved")


@template_cli.command("reject")
def template_reject(
    temp_id: int, reason: Annotated[str, typer.Option(help="Why, for the app's developer.")]
) -> None:
    """Reject a template with a reason."""

    async def work(ctx: Context) -> None:
        await template_service.review_template(ctx.db, temp_id, approve=False, reason=reason)

    run_job(work)
    typer.echo(f"template {temp_id} rejected")
