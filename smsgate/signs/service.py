"""Signatures: the 【...】 prefix every SMS carries."""

import re

from sqlalchemy import Connection, bindparam, insert, select

from smsgate import clock
from smsgate.db.engine import Database
from smsgate.db.models import Sign, table
from smsgate.errors import JsmsError

APPROVED = 1
SIGNS = table(Sign)
_APPROVED = select(SIGNS.c.sign).where(
    SIGNS.c.app_id == bindparam("app_id"), SIGNS.c.status == APPROVED
)
_NAMED = _APPROVED.where(SIGNS.c.id == bindparam("sign_id"))
_DEFAULT = _APPROVED.where(SIGNS.c.is_default.is_(True)).limit(1)
# 2-8 Chinese characters, ASCII letters or digits; no spaces or brackets.
_SIGN_TEXT = re.compile(r"[A-Za-z0-9\u4e00-\u9fff]{2,8}")


def check_sign_text(text: str) -> str:
    text = text.strip()
    if not _SIGN_TEXT.fullmatch(text):
        raise JsmsError(50104)
    return text


async def create_default_sign(db: Database, app_id: int, text: str) -> int:
    """An approved signature that sends use when they name none (operator-created)."""
    values = {
        "app_id": app_id,
        "sign": check_sign_text(text),
        "status": APPROVED,
        "is_default": True,
        "remark": "",
        "created_at": clock.now_ms(),
    }
    statement = insert(SIGNS).values(**values).returning(SIGNS.c.id)
    return await db.write(lambda conn: int(conn.execute(statement).scalar_one()))


def signature_for_send(conn: Connection, app_id: int, sign_id: int | None) -> str:
    """The signature text: the named one (50102 unless approved and this app's), else the
    app's default (50046 when it has none)."""
    if sign_id is not None:
        named = conn.execute(_NAMED, {"app_id": app_id, "sign_id": sign_id}).scalar()
        if named is None:
            raise JsmsError(50102)
        return str(named)
    default = conn.execute(_DEFAULT, {"app_id": app_id}).scalar()
    if default is None:
        raise JsmsError(50046)
    return str(default)
