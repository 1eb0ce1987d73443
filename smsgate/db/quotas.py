"""The quota columns apps and developer pools both have, and the statements on them.

Each statement is built once per table with bind parameters (`units` and the table's id
parameter), so SQLAlchemy reuses its compiled form.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, Table, Update, bindparam, func, literal, select, update

QUOTA_CATEGORIES = ("balance", "voice", "industry", "market")
# The most units one category may hold: the official Java SDK reads a balance as a 32-bit int.
MAX_UNITS = 2**31 - 1


class QuotaRefused(ValueError):
    """An amount a quota cannot take: negative, or more than MAX_UNITS in all."""


def check_amounts(amounts: Mapping[str, int | None]) -> None:
    """Refuse, before anything is written, amounts that are negative or alone too large."""
    for category, amount in amounts.items():
        if amount is not None and not 0 <= amount <= MAX_UNITS:
            raise QuotaRefused(f"{category}: {amount} is not an amount of 0 to {MAX_UNITS} units")


def quota_select(table: Table, id_param: str) -> Select[Any]:
    """Every category of one row, in QUOTA_CATEGORIES' order."""
    columns = (table.c[name] for name in QUOTA_CATEGORIES)
    return select(*columns).where(table.c.id == bindparam(id_param))


def take_statements(table: Table, id_param: str) -> dict[str, Update]:
    """Per category, a conditional take: never below zero, and only from a category that has
    something allocated (NULL is not allocated); it updates no row when there are too few."""
    return {
        name: update(table)
        .where(
            table.c.id == bindparam(id_param),
            table.c[name].is_not(None),
            table.c[name] >= bindparam("units"),
        )
        .values({name: table.c[name] - bindparam("units")})
        for name in QUOTA_CATEGORIES
    }


def credit_statements(table: Table, id_param: str) -> dict[str, Update]:
    """Per category, an addition that allocates a category not allocated yet (NULL as 0); it
    updates no row when the sum would pass MAX_UNITS."""
    return {
        name: update(table)
        .where(
            table.c.id == bindparam(id_param),
            func.coalesce(table.c[name], 0) <= literal(MAX_UNITS) - bindparam("units"),
        )
        .values({name: func.coalesce(table.c[name], 0) + bindparam("units")})
        for name in QUOTA_CATEGORIES
    }
