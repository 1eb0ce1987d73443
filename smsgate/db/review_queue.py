"""What apps submit for an operator's review (signatures, templates), listed for the review
commands: one query for any such table, as both have `app_id` and `status` columns."""

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, select

from smsgate.db.models import App, table

APPS = table(App)
Submitted = TypeVar("Submitted")


def rows_for_review(
    conn: Connection,
    submitted: Table,
    status: int | None,
    app_id: int | None,
    as_row: Callable[[Iterable[Any]], Submitted],
) -> list[Submitted]:
    """Rows of `submitted` with their app's app_key, oldest first; None filters nothing.

    The table is the caller's, so is the row type: `as_row` takes the table's columns in order,
    then app_key (a NamedTuple's `_make`)."""
    query = select(submitted, APPS.c.app_key).join(APPS, APPS.c.id == submitted.c.app_id)
    if status is not None:
        query = query.where(submitted.c.status == status)
    if app_id is not None:
        query = query.where(submitted.c.app_id == app_id)
    return [as_row(row) for row in conn.execute(query.order_by(submitted.c.id))]
