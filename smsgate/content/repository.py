"""Queries on unsubscribed numbers."""

from sqlalchemy import Connection, bindparam, delete, insert, select

from smsgate.db.models import Unsubscribe, table

UNSUBSCRIBES = table(Unsubscribe)

_IS_UNSUBSCRIBED = select(UNSUBSCRIBES.c.app_id).where(
    UNSUBSCRIBES.c.app_id == bindparam("app_id"), UNSUBSCRIBES.c.mobile == bindparam("mobile")
)
_INSERT = insert(UNSUBSCRIBES)
_DELETE = delete(UNSUBSCRIBES).where(
    UNSUBSCRIBES.c.app_id == bindparam("app_id"), UNSUBSCRIBES.c.mobile == bindparam("mobile")
)


def is_unsubscribed(conn: Connection, app_id: int, mobile: str) -> bool:
    return conn.execute(_IS_UNSUBSCRIBED, {"app_id": app_id, "mobile": mobile}).first() is not None


def add_unsubscribe(conn: Connection, app_id: int, mobile: str, now: int) -> None:
    conn.execute(_INSERT, {"app_id": app_id, "mobile": mobile, "created_at": now})


def remove_unsubscribe(conn: Connection, app_id: int, mobile: str) -> bool:
    return conn.execute(_DELETE, {"app_id": app_id, "mobile": mobile}).rowcount > 0
