"""The `smsgate` command: serve, worker, migrate, and administration of apps and templates.

Every command reads the same settings (SMSGATE_DATA_DIR, SMSGATE_DATABASE_URL, ...) as `serve`
and goes through the same services as the API. `--json` output is for scripts; a failure is one
line on stderr and an exit code (smsgate/cli/failures.py). Each group of commands lives in its
own module and is added here.
"""

import typer

from smsgate.cli import server
from smsgate.cli.admin import admin_cli
from smsgate.cli.app_policy import add_policy_commands
from smsgate.cli.apps import app_cli
from smsgate.cli.callbacks import callbacks_cli
from smsgate.cli.devs import dev_cli
from smsgate.cli.failures import OneLineErrors
from smsgate.cli.fraud import fraud_cli
from smsgate.cli.messages import messages_cli
from smsgate.cli.providers import providers_cli
from smsgate.cli.sandbox import sandbox_cli
from smsgate.cli.signs import sign_cli
from smsgate.cli.templates import template_cli

cli = typer.Typer(
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    help="smsgate: JSMS-compatible SMS.",
)
cli.command()(server.serve)
cli.command("migrate")(server.migrate_command)
cli.command()(server.worker)
add_policy_commands(app_cli)
cli.add_typer(app_cli, name="app")
cli.add_typer(dev_cli, name="dev")
cli.add_typer(template_cli, name="template")
cli.add_typer(sign_cli, name="sign")
cli.add_typer(sandbox_cli, name="sandbox")
cli.add_typer(providers_cli, name="providers")
cli.add_typer(callbacks_cli, name="callbacks")
cli.add_typer(fraud_cli, name="fraud")
cli.add_typer(messages_cli, name="messages")
cli.add_typer(admin_cli, name="admin")


def main() -> None:
    cli()
