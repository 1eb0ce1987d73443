"""What apps submit for an operator's review (signatures, templates), listed for the review
commands: one query for any such table, as both have `app_id` and `status` columns."""

from typing import Any

from sqlalchemy import Connection, Row, Table, select

from smsgate.db.models import App, table

APPS = table(App)


def rows_for_review(
    conn: Connection, submitted: Table, status: int | None, app_id: int | None
) -> list[Row[Any]]:
    """Rows of `submitted` with their app's app_key, oldest first; None filters nothing."""
    query = select(submitted, APPS.c.app_key).join(APPS, APPS.c.id == submitted.c.app_id)
    if status is not None:
        query = query.where(submitted.c.status == status)
    if app_id is not None:
        query = query.where(submitted.c.app_id == app_id)
    return list(conn.execute(query.order_by(submitted.c.id)).all())
