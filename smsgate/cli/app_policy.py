"""`smsgate app block|unblock|unsubscribe|resubscribe`: the content policy of one app.

The allowlist is set with `smsgate app update --allow-ip`; these commands join the `app` group
through `add_policy_commands`.
A running server sees a change within `auth_cache_seconds` (the authenticated app is cached).
"""

from typing import Annotated

import typer

from smsgate.apps import service as app_service
from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.content import service as content_service
from smsgate.context import Context

Mobile = Annotated[str, typer.Argument(help="The number, as an API call would send it.")]


def _set_blocked(app_key: str, blocked: bool, as_json: JsonFlag) -> None:
    async def work(ctx: Context) -> app_service.AppAccount:
        return await app_service.set_access(ctx.db, app_key, blocked=blocked)

    app = run_job(work)
    data = {"app_key": app.app_key, "blocked": app.blocked}
    emit(data, as_json, f"app_key: {app.app_key}  blocked: {app.blocked}")


def app_block(app_key: str, as_json: JsonFlag = False) -> None:
    """Blacklist an app: every API call and every send of it is refused with 50036."""
    _set_blocked(app_key, True, as_json)


def app_unblock(app_key: str, as_json: JsonFlag = False) -> None:
    """Take an app off the blacklist."""
    _set_blocked(app_key, False, as_json)


def app_unsubscribe(app_key: str, mobile: Mobile, as_json: JsonFlag = False) -> None:
    """Stop marketing from this app to this number (its sends answer 50024)."""

    async def work(ctx: Context) -> bool:
        return await content_service.unsubscribe(ctx.db, app_key, mobile)

    changed = run_job(work)
    emit({"changed": changed}, as_json, "unsubscribed" if changed else "already unsubscribed")


def app_resubscribe(app_key: str, mobile: Mobile, as_json: JsonFlag = False) -> None:
    """Allow marketing from this app to this number again."""

    async def work(ctx: Context) -> bool:
        return await content_service.resubscribe(ctx.db, app_key, mobile)

    changed = run_job(work)
    emit({"changed": changed}, as_json, "resubscribed" if changed else "was not unsubscribed")


def add_policy_commands(group: typer.Typer) -> None:
    group.command("block")(app_block)
    group.command("unblock")(app_unblock)
    group.command("unsubscribe")(app_unsubscribe)
    group.command("resubscribe")(app_resubscribe)
