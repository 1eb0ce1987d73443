"""Signatures: the 【...】 prefix every SMS carries."""

import re

from sqlalchemy import Connection, insert, select

from smsgate import clock
from smsgate.db.engine import Database
from smsgate.db.models import Sign
from smsgate.errors import JsmsError

APPROVED = 1
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
    statement = insert(Sign).values(**values).returning(Sign.id)
    return await db.write(lambda conn: int(conn.execute(statement).scalar_one()))


def signature_for_send(conn: Connection, app_id: int, sign_id: int | None) -> str:
    """The signature text: the named one (50102 unless approved and this app's), else the
    app's default (50046 when it has none)."""
    query = select(Sign.sign).where(Sign.app_id == app_id, Sign.status == APPROVED)
    if sign_id is not None:
        text = conn.execute(query.where(Sign.id == sign_id)).scalar_one_or_none()
        if text is None:
            raise JsmsError(50102)
        return text
    text = conn.execute(query.where(Sign.is_default.is_(True)).limit(1)).scalar()
    if text is None:
        raise JsmsError(50046)
    return text
