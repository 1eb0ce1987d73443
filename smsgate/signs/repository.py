"""Queries on signatures and their proof images."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Connection, RowMapping, bindparam, delete, func, insert, select, update

from smsgate.db.models import App, ReviewState, Sign, SignImage, table
from smsgate.db.review_queue import rows_for_review
from smsgate.db.selects import FastSelect

SIGNS = table(Sign)
IMAGES = table(SignImage)
APPS = table(App)
_APPROVED = select(SIGNS.c.sign).where(
    SIGNS.c.app_id == bindparam("app_id"), SIGNS.c.status == ReviewState.APPROVED
)
_NAMED = FastSelect(_APPROVED.where(SIGNS.c.id == bindparam("sign_id")))
_DEFAULT = FastSelect(_APPROVED.where(SIGNS.c.is_default.is_(True)).limit(1))


def lock_app(conn: Connection, app_id: int) -> None:
    """Serialise an app's signature changes (PostgreSQL; SQLite has one writer anyway), so two
    parallel uploads cannot both pass the one-in-review check."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(APPS.c.id).where(APPS.c.id == app_id).with_for_update())


def insert_sign(conn: Connection, values: dict[str, object]) -> int:
    return int(conn.execute(insert(SIGNS).returning(SIGNS.c.id), values).scalar_one())


def approved_sign(conn: Connection, app_id: int, sign_id: int) -> str | None:
    """The text of the app's signature if it has the approved status, else None."""
    found = _NAMED.first(conn, {"app_id": app_id, "sign_id": sign_id})
    return None if found is None else str(found[0])


def default_sign(conn: Connection, app_id: int) -> str | None:
    """The text of the app's approved default signature, None when it has none."""
    found = _DEFAULT.first(conn, {"app_id": app_id})
    return None if found is None else str(found[0])


@dataclass(frozen=True, slots=True)
class StoredSign:
    """A row of `signs`."""

    id: int
    app_id: int
    sign: str
    type: int | None
    remark: str
    status: int
    is_default: bool
    refuse_reason: str | None
    created_at: int
    updated_at: int | None


def _stored(row: RowMapping | None) -> StoredSign | None:
    return None if row is None else StoredSign(**row)


def find_sign(conn: Connection, sign_id: int) -> StoredSign | None:
    return _stored(conn.execute(select(SIGNS).where(SIGNS.c.id == sign_id)).mappings().first())


def find_app_sign(conn: Connection, app_id: int, sign_id: int) -> StoredSign | None:
    """The signature if it belongs to the app: another app's is as good as none."""
    query = select(SIGNS).where(SIGNS.c.id == sign_id, SIGNS.c.app_id == app_id)
    return _stored(conn.execute(query).mappings().first())


def other_in_review(conn: Connection, app_id: int, status: int, except_id: int | None) -> bool:
    query = select(SIGNS.c.id).where(SIGNS.c.app_id == app_id, SIGNS.c.status == status)
    if except_id is not None:
        query = query.where(SIGNS.c.id != except_id)
    return conn.execute(query.limit(1)).first() is not None


def longest_sign(conn: Connection, app_id: int, statuses: Sequence[int]) -> str | None:
    query = (
        select(SIGNS.c.sign)
        .where(SIGNS.c.app_id == app_id, SIGNS.c.status.in_(statuses))
        .order_by(func.length(SIGNS.c.sign).desc())
        .limit(1)
    )
    found = conn.execute(query).scalar()
    return None if found is None else str(found)


def has_default(conn: Connection, app_id: int) -> bool:
    query = select(SIGNS.c.id).where(SIGNS.c.app_id == app_id, SIGNS.c.is_default.is_(True))
    return conn.execute(query.limit(1)).first() is not None


def update_sign(conn: Connection, sign_id: int, values: dict[str, object]) -> None:
    conn.execute(update(SIGNS).where(SIGNS.c.id == sign_id).values(**values))


def make_default(conn: Connection, app_id: int, sign_id: int) -> None:
    conn.execute(
        update(SIGNS).where(SIGNS.c.app_id == app_id).values(is_default=SIGNS.c.id == sign_id)
    )


def delete_sign(conn: Connection, sign_id: int) -> None:
    conn.execute(delete(IMAGES).where(IMAGES.c.sign_id == sign_id))
    conn.execute(delete(SIGNS).where(SIGNS.c.id == sign_id))


def image_names(conn: Connection, sign_id: int) -> list[str]:
    query = select(IMAGES.c.file_name).where(IMAGES.c.sign_id == sign_id)
    return [str(name) for name in conn.execute(query.order_by(IMAGES.c.position)).scalars()]


def replace_images(conn: Connection, sign_id: int, rows: list[dict[str, object]]) -> None:
    conn.execute(delete(IMAGES).where(IMAGES.c.sign_id == sign_id))
    if rows:
        conn.execute(insert(IMAGES), [{**row, "sign_id": sign_id} for row in rows])


class SignToReview(NamedTuple):
    """A row of `signs` with its app's key, as the review commands list it."""

    id: int
    app_id: int
    sign: str
    type: int | None
    remark: str
    status: int  # ReviewState
    is_default: bool
    refuse_reason: str | None
    created_at: int
    updated_at: int | None
    app_key: str


def list_signs(conn: Connection, status: int | None, app_id: int | None) -> list[SignToReview]:
    return rows_for_review(conn, SIGNS, status, app_id, SignToReview._make)


def images_of(conn: Connection, sign_ids: Sequence[int]) -> dict[int, list[str]]:
    if not sign_ids:
        return {}
    query = (
        select(IMAGES.c.sign_id, IMAGES.c.file_name)
        .where(IMAGES.c.sign_id.in_(sign_ids))
        .order_by(IMAGES.c.sign_id, IMAGES.c.position)
    )
    found: dict[int, list[str]] = {}
    for sign_id, name in conn.execute(query):
        found.setdefault(int(sign_id), []).append(str(name))
    return found
