"""Queries on unsubscribed numbers."""

from sqlalchemy import Connection, bindparam, delete, select

from smsgate.db.models import Unsubscribe, table
from smsgate.db.upserts import insert_or_ignore

UNSUBSCRIBES = table(Unsubscribe)

_IS_UNSUBSCRIBED = select(UNSUBSCRIBES.c.app_id).where(
    UNSUBSCRIBES.c.app_id == bindparam("app_id"), UNSUBSCRIBES.c.mobile == bindparam("mobile")
)
# A concurrent identical reply finds the row there: nothing happens twice.
_INSERT_ONCE = insert_or_ignore(UNSUBSCRIBES)
_DELETE = delete(UNSUBSCRIBES).where(
    UNSUBSCRIBES.c.app_id == bindparam("app_id"), UNSUBSCRIBES.c.mobile == bindparam("mobile")
)


def is_unsubscribed(conn: Connection, app_id: int, mobile: str) -> bool:
    return conn.execute(_IS_UNSUBSCRIBED, {"app_id": app_id, "mobile": mobile}).first() is not None


def add_unsubscribe(conn: Connection, app_id: int, mobile: str, now: int) -> bool:
    """False when the number was unsubscribed already."""
    values = {"app_id": app_id, "mobile": mobile, "created_at": now}
    return _INSERT_ONCE.execute(conn, values).rowcount > 0


def remove_unsubscribe(conn: Connection, app_id: int, mobile: str) -> bool:
    return conn.execute(_DELETE, {"app_id": app_id, "mobile": mobile}).rowcount > 0
