"""The filters `smsgate sign list` and `smsgate template list` share: --status and --app."""

from collections.abc import Mapping
from typing import Annotated

import typer

from smsgate.apps import service as app_service
from smsgate.context import Context

StatusFilter = Annotated[
    str | None, typer.Option(help="review, approved or rejected; default: all.")
]
AppFilter = Annotated[str | None, typer.Option("--app", help="Only this app's (appKey).")]


def chosen_status(status: str | None, statuses: Mapping[str, int]) -> int | None:
    """The review state --status names, checked before any database work."""
    if status is None:
        return None
    if status not in statuses:
        raise typer.BadParameter("review, approved or rejected", param_hint="--status")
    return statuses[status]


async def chosen_app_id(ctx: Context, app: str | None) -> int | None:
    return None if app is None else (await app_service.find_app(ctx.db, app)).id
