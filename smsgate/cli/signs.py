"""`smsgate sign`: operator review of signatures and their proof images."""

from dataclasses import asdict
from typing import Annotated

import typer

from smsgate.cli.options import MAX_REASON, record_id, text_up_to
from smsgate.cli.review_filters import AppFilter, StatusFilter, chosen_app_id, chosen_status
from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.db.models import ReviewState
from smsgate.signs import review

sign_cli = typer.Typer(no_args_is_help=True, help="Signatures: list and review.")
STATUSES = {
    "review": ReviewState.IN_REVIEW,
    "approved": ReviewState.APPROVED,
    "rejected": ReviewState.REJECTED,
}
STATUS_NAMES: dict[int, str] = {number: name for name, number in STATUSES.items()}
SignId = Annotated[int, record_id("The signature's sign_id.")]


@sign_cli.command("list")
def sign_list(
    status: StatusFilter = None, app: AppFilter = None, as_json: JsonFlag = False
) -> None:
    """Signatures with their proof images (paths under the data dir), oldest first."""
    chosen = chosen_status(status, STATUSES)

    async def work(ctx: Context) -> list[review.SignForReview]:
        app_id = await chosen_app_id(ctx, app)
        return await review.signs_for_review(
            ctx.db, ctx.settings.data_dir, status=chosen, app_id=app_id
        )

    signs = run_job(work)
    rows = [{**asdict(sign), "status": STATUS_NAMES[sign.status]} for sign in signs]
    lines = [
        f"{row['sign_id']}  {row['status']:<8}  app {row['app_key']}  【{row['sign']}】"
        f"  type {row['type'] or '-'}  default {'yes' if row['is_default'] else 'no'}"
        f"  images {len(row['images'])}"
        + (f"  remark: {row['remark']}" if row["remark"] else "")
        + (f"  reason: {row['refuse_reason']}" if row["refuse_reason"] else "")
        + "".join(f"\n    {path}" for path in row["images"])
        for row in rows
    ]
    emit(rows, as_json, "\n".join(lines) or "no signatures")


@sign_cli.command("approve")
def sign_approve(
    sign_id: SignId,
    default: Annotated[
        bool, typer.Option("--default", help="Make it the app's default signature.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Approve a signature; the app's first approved signature becomes its default."""
    _review(sign_id, as_json, approve=True, make_default=default)


@sign_cli.command("reject")
def sign_reject(
    sign_id: SignId,
    reason: Annotated[str, text_up_to(MAX_REASON, "Why, for the app's developer.")],
    as_json: JsonFlag = False,
) -> None:
    """Reject a signature with a reason; the app may change it and submit it again."""
    _review(sign_id, as_json, approve=False, reason=reason)


def _review(
    sign_id: int, as_json: bool, *, approve: bool, reason: str = "", make_default: bool = False
) -> None:
    async def work(ctx: Context) -> None:
        await review.review_sign(
            ctx.db, sign_id, approve=approve, reason=reason, make_default=make_default
        )

    run_job(work)
    status = "approved" if approve else "rejected"
    emit({"sign_id": sign_id, "status": status}, as_json, f"signature {sign_id} {status}")
