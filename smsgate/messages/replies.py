"""Replies (MO) from handsets: which app each belongs to, decided here, above both the reports
slice (reply numbers, the records apps pull) and this one (who last sent to the number).
"""

from collections.abc import Sequence

import structlog
from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import app_by_id
from smsgate.db.engine import Database
from smsgate.errors import JsmsError
from smsgate.messages.service import last_sender_app
from smsgate.mobiles import mask_mobile, normalise_mobile
from smsgate.provider_answers import InboundSms
from smsgate.reports.service import reply_number_app, store_reply

log = structlog.get_logger(__name__)


def record_replies(
    conn: Connection, provider: str, replies: Sequence[InboundSms], *, any_carrier: bool = False
) -> list[int | None]:
    """Store replies (MO) for the apps they were sent to and offer them by pull and callback.

    The app is the one whose reply number is the longest prefix of the number the reply was
    sent to (a long code plus the app's extension); failing that, the app that last sent to the
    replying number through this provider (a provider's reply answers what it carried; only the
    operator's `any_carrier` injection looks at every provider). A reply that matches no app is
    logged and dropped. "TD" or "退订" also unsubscribes the number from the app's marketing
    (smsgate.content). Returns, per reply, the app it went to (None: dropped).
    """
    now = clock.now_ms()
    carrier = None if any_carrier else provider
    matched: list[int | None] = []
    for reply in replies:
        mobile = _normalised_sender(reply.mobile)
        app_id = reply_number_app(conn, reply.to)
        if app_id is None:
            app_id = last_sender_app(conn, mobile, carrier)
        matched.append(app_id)
        if app_id is None:
            log.warning("reply matches no app", provider=provider, mobile=_masked(mobile))
            continue
        store_reply(conn, app_id, mobile, reply.text, now, reply.to)
    return matched


def _normalised_sender(mobile: str) -> str:
    try:
        return normalise_mobile(mobile)
    except JsmsError:
        return mobile  # not a mobile we could send to; still the app's reply to read


def _masked(mobile: str) -> str:
    try:
        return mask_mobile(mobile)
    except Exception:
        return "*" * max(len(mobile) - 4, 0) + mobile[-4:]


async def inject_reply(db: Database, to: str, mobile: str, text: str) -> str | None:
    """A reply as the sandbox provider would report it (for tests and `smsgate sandbox reply`);
    the operator's own injection, so it may answer a message any provider carried. Returns the
    appKey of the app it went to, or None when it matched no app and was dropped."""
    sender = normalise_mobile(mobile)
    reply = InboundSms(to=to, mobile=sender, text=text)

    def record(conn: Connection) -> str | None:
        [app_id] = record_replies(conn, "sandbox", [reply], any_carrier=True)
        app = None if app_id is None else app_by_id(conn, app_id)
        return None if app is None else app.app_key

    return await db.write(record)
