"""The values commands take, each with the range it can have: checked while the command line
is read, so an amount, id, duration or name out of range is a usage error (exit 2) before any
work, the same on SQLite and PostgreSQL.

Every numeric option and argument of every command, and every length-limited text, is built
here.
"""

from collections.abc import Callable
from typing import Any

import typer

from smsgate.apps.service import MAX_NAME_LENGTH
from smsgate.db.quotas import MAX_UNITS
from smsgate.templates.service import MAX_REASON as MAX_REASON  # re-exported for reasons
from smsgate.templates.service import MAX_TTL

# Template, signature and callback ids are 32-bit integer columns: a larger one cannot exist.
MAX_ID = 2**31 - 1
# The names of apps and developer accounts: the length their columns hold. Review reasons
# (MAX_REASON) hold 500, for templates and signatures alike.
MAX_NAME = MAX_NAME_LENGTH


def units(help_text: str) -> Any:
    """An amount of quota units."""
    return typer.Option(min=0, max=MAX_UNITS, help=f"{help_text} (0 to {MAX_UNITS}).")


def record_id(help_text: str) -> Any:
    """The id of a stored template, signature or callback, as an argument."""
    return typer.Argument(min=1, max=MAX_ID, help=help_text)


def ttl_seconds(help_text: str) -> Any:
    return typer.Option(min=1, max=MAX_TTL, help=f"{help_text} (1 to {MAX_TTL}).")


def small_number(low: int, high: int, *names: str, help_text: str) -> Any:
    """A number from a short fixed range, such as a template type."""
    return typer.Option(*names, min=low, max=high, help=help_text)


def port_number(help_text: str) -> Any:
    return typer.Option(min=1, max=65535, help=f"{help_text} (1 to 65535).")


def text_up_to(length: int, help_text: str, *names: str) -> Any:
    """A text of 1 to `length` characters (None when the option is not given)."""
    return typer.Option(*names, callback=_length_check(length), help=help_text)


def _length_check(length: int) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is not None and not 0 < len(value.strip()) <= length:
            raise typer.BadParameter(f"give 1 to {length} characters, not {len(value)}")
        return value

    return check
