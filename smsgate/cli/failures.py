"""Every failure of a command as one line on stderr and an exit code a script can act on.

    1   refused, not found or failed: the command did not do what was asked
    2   a usage error (an option out of range, a missing argument), an invalid setting or
        delivery configuration
    75  the database is busy or unreachable: try again (sysexits' EX_TEMPFAIL)

No traceback reaches the terminal, whatever was raised; with SMSGATE_LOG_LEVEL=debug the
traceback follows the line. Driver messages are cut to their first line, so the SQL and the
parameters a driver appends (numbers, texts) are never printed.
"""

import socket
import sqlite3
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import pydantic
import structlog
import typer
from sqlalchemy import exc as sql_errors
from typer._click.exceptions import NoArgsIsHelpError
from typer.core import TyperGroup

from smsgate.access.networks import InvalidNetwork
from smsgate.apps.policy import InvalidPolicy
from smsgate.apps.service import UnknownApp
from smsgate.callbacks.service import CallbackRefused
from smsgate.cli.running import quiet_logs
from smsgate.db.quotas import QuotaRefused
from smsgate.delivery.config import InvalidDeliveryConfig
from smsgate.devs.service import UnknownDev
from smsgate.errors import JsmsError
from smsgate.fraud.prefixes import InvalidList
from smsgate.reports.service import InvalidReplyNumber, NumberTaken
from smsgate.settings import Settings
from smsgate.signs.review import UnknownSign
from smsgate.templates.service import InvalidFallback, UnknownTemplate

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DATABASE = 75


class Refused(Exception):
    """A command that will not do what it was asked; the message says why, for a person."""


_NOT_FOUND: dict[type[Exception], str] = {
    UnknownApp: "app",
    UnknownTemplate: "template",
    UnknownDev: "developer",
    UnknownSign: "signature",
}
_REFUSED = (Refused, QuotaRefused, CallbackRefused)
# InvalidPolicy covers a bad limit, InvalidNetwork a bad --allow-ip; InvalidList a bad country
# or prefix list.
_INVALID = (InvalidPolicy, InvalidNetwork, InvalidReplyNumber, InvalidList, InvalidFallback)
_NETWORK_ERRORS = (ConnectionError, socket.gaierror, TimeoutError)
# SQLite's own words when another connection holds the lock past the busy timeout.
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


class OneLineErrors(TyperGroup):
    """The `smsgate` group: runs a command and turns whatever it raises into one line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        debug = _debugging()
        logging_before = structlog.get_config()
        quiet_logs(debug)
        try:
            code = self._run(args, prog_name, complete_var, windows_expand_args, debug, **extra)
        finally:
            structlog.configure(**logging_before)  # for callers in the same process (tests)
        sys.exit(code)

    def _run(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        windows_expand_args: bool,
        debug: bool,
        **extra: Any,
    ) -> int:
        try:
            result = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except NoArgsIsHelpError as error:  # `smsgate app`: the help, not a failure line
            error.show()
            return error.exit_code
        except Exception as error:
            line, code = describe(error)
            typer.echo(line, err=True)
            if debug:
                traceback.print_exception(error, file=sys.stderr)
            return code
        return result if isinstance(result, int) else 0


def describe(error: Exception) -> tuple[str, int]:
    """The line and exit code of one failure."""
    if isinstance(error, typer.TyperException):  # usage errors; their exit code is 2
        context = getattr(error, "ctx", None)
        where = f"{context.command_path}: " if context is not None else ""
        return _one_line(where + error.format_message()), error.exit_code
    if isinstance(error, typer.Abort):
        return "aborted", EXIT_FAILED
    if isinstance(error, JsmsError):
        return _one_line(f"error {error.code}: {error.message}"), EXIT_FAILED
    for kind, name in _NOT_FOUND.items():
        if isinstance(error, kind):
            return _one_line(f"not found: {name} {error}"), EXIT_FAILED
    if isinstance(error, _REFUSED):
        return _one_line(f"refused: {error}"), EXIT_FAILED
    if isinstance(error, _INVALID):
        return _one_line(f"invalid: {error}"), EXIT_FAILED
    if isinstance(error, NumberTaken):
        return f"refused: reply number already used by another app: {error}", EXIT_FAILED
    if isinstance(error, pydantic.ValidationError):
        return _invalid_settings(error), EXIT_USAGE
    if isinstance(error, InvalidDeliveryConfig):
        return _one_line(f"invalid delivery configuration: {error}"), EXIT_USAGE
    return _database_failure(error) or _unexpected(error)


def _database_failure(error: Exception) -> tuple[str, int] | None:
    """Busy, unreachable or refusing: the driver's first line, never the SQL or parameters."""
    orig = error.orig if isinstance(error, sql_errors.DBAPIError) else None
    cause = orig if orig is not None else error
    text = _first_line(cause)
    if any(words in text.lower() for words in _SQLITE_BUSY):
        return (
            "database busy: another process held SQLite's write lock longer than smsgate waits "
            "for it (a long transaction or a stuck process); try again",
            EXIT_DATABASE,
        )
    unreachable = (sql_errors.OperationalError, sql_errors.InterfaceError, *_NETWORK_ERRORS)
    if isinstance(error, unreachable) or isinstance(cause, _NETWORK_ERRORS):
        return f"database unreachable: {text}", EXIT_DATABASE
    if isinstance(error, sql_errors.DBAPIError | sqlite3.Error) or _is_asyncpg(cause):
        return f"database error: {text}", EXIT_FAILED
    if isinstance(error, OSError):
        return f"failed: {text}", EXIT_FAILED
    return None


def _is_asyncpg(error: BaseException) -> bool:
    return type(error).__module__.startswith("asyncpg")


def _unexpected(error: Exception) -> tuple[str, int]:
    return (
        f"failed: {type(error).__name__}: {_first_line(error)} "
        "(SMSGATE_LOG_LEVEL=debug shows where)",
        EXIT_FAILED,
    )


def _invalid_settings(error: pydantic.ValidationError) -> str:
    problems = [
        f"SMSGATE_{'_'.join(map(str, problem['loc'])).upper()}: {problem['msg']}"
        for problem in error.errors()
    ]
    return _one_line("invalid setting " + "; ".join(problems))


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _debugging() -> bool:
    try:
        return Settings().log_level.lower() == "debug"
    except Exception:
        return False
