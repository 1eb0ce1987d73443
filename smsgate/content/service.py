"""The content policy every send passes: what may be said (sensitive words 50037), and to whom
marketing may go (50024). Who may call at all (50036, 50035) is smsgate/access.

The per-message checks run inside the send's build step, before anything is written: the sensitive
words on the composed text (one compiled regex), and for marketing one primary-key lookup of the
number in the app's unsubscribe list. 【】 (50054), length (50038) and the marketing hours and
suffix stay where the text is composed (smsgate/messages/service.py compose_sms).
"""

from typing import Protocol

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps import service as app_service
from smsgate.content import repository
from smsgate.content.sensitive_words import find_sensitive_words
from smsgate.db.engine import Database
from smsgate.errors import Code, JsmsError
from smsgate.mobiles import normalise_mobile
from smsgate.settings import Settings

# What a subscriber texts back to stop marketing ("回TD退订" is appended to every marketing SMS).
UNSUBSCRIBE_WORDS = frozenset({"td", "退订"})


class ScreenedMessage(Protocol):
    """The parts of smsgate.messages.service.OutgoingMessage the policy looks at."""

    @property
    def kind(self) -> str: ...
    @property
    def mobile(self) -> str: ...
    @property
    def text(self) -> str: ...


def screen_message(
    settings: Settings, conn: Connection, app: app_service.AppAccount, message: ScreenedMessage
) -> None:
    """Inside the send's transaction, before any write: 50036 (again, for sends that run
    without a request, like due schedules), 50037, then 50024 for marketing."""
    if app.blocked:
        raise JsmsError(Code.APP_IN_BLACK)
    if message.kind != "voice_code" and find_sensitive_words(message.text, settings):
        raise JsmsError(Code.HAS_BLACK_WORD)
    if message.kind == "marketing" and repository.is_unsubscribed(conn, app.id, message.mobile):
        raise JsmsError(Code.UNSUBSCRIBED_MOBILE)


def is_unsubscribe_request(text: str) -> bool:
    """Whether a reply asks to stop marketing: "TD" or "退订", in any case, spaces ignored."""
    return "".join(text.split()).casefold() in UNSUBSCRIBE_WORDS


def record_unsubscribe(conn: Connection, app_id: int, mobile: str) -> bool:
    """Inside the caller's transaction: no more marketing from this app to this number.

    Returns False when the number was already unsubscribed or is not a mobile number. Safe
    against a concurrent identical reply (the insert does nothing on conflict).
    """
    try:
        number = normalise_mobile(mobile)
    except JsmsError:
        return False
    return repository.add_unsubscribe(conn, app_id, number, clock.now_ms())


def remove_unsubscribe(conn: Connection, app_id: int, mobile: str) -> bool:
    """Inside the caller's transaction: the number may receive marketing again."""
    return repository.remove_unsubscribe(conn, app_id, normalise_mobile(mobile))


async def unsubscribe(db: Database, app_key: str, mobile: str) -> bool:
    app = await app_service.find_app(db, app_key)
    number = normalise_mobile(mobile)
    return await db.write(lambda conn: record_unsubscribe(conn, app.id, number))


async def resubscribe(db: Database, app_key: str, mobile: str) -> bool:
    app = await app_service.find_app(db, app_key)
    number = normalise_mobile(mobile)
    return await db.write(lambda conn: remove_unsubscribe(conn, app.id, number))
