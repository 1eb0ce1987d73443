"""`smsgate admin`: operator accounts of the web console."""

from typing import Annotated

import typer

from smsgate.cli.failures import Refused
from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.console import accounts
from smsgate.context import Context

admin_cli = typer.Typer(no_args_is_help=True, help="Operators of the web console (/console/).")


@admin_cli.command("create")
def admin_create(
    name: Annotated[str, typer.Option("--name", help="The operator's sign-in name.")],
    generate: Annotated[
        bool, typer.Option("--generate", help="Generate the password and print it once.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create an operator; the password is asked for twice, or generated with --generate."""
    password = None
    if not generate:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work(ctx: Context) -> str:
        return await accounts.create_operator(ctx.db, name, password)

    try:
        chosen = run_job(work)
    except accounts.OperatorRefused as refusal:
        raise Refused(str(refusal)) from None
    shown = chosen if generate else None
    data = {"name": name, "password": shown}
    text = f"operator {name} created" + (f"\npassword: {shown}" if shown else "")
    emit(data, as_json, text)
