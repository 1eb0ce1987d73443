"""Message ids: UUIDs of version 7 (RFC 9562), a millisecond timestamp followed by 74 random bits.

Still unguessable, but time-ordered: new rows land at the right edge of every index keyed by
msg_id (messages, codes, outbox, inbox) instead of on a random page, so a group of sends committed
together dirties a few pages instead of one page per index per send.
"""

import secrets
import uuid

from smsgate import clock

MSG_ID_LENGTH = 36


def could_be_msg_id(text: str) -> bool:
    """Whether `text` may be an id smsgate made (a msg_id or schedule_id): at most 36 printable
    ASCII characters. Anything else is unknown without asking the database."""
    return len(text) <= MSG_ID_LENGTH and text.isascii() and text.isprintable()


def new_msg_id() -> str:
    millis = clock.now_ms() & ((1 << 48) - 1)
    random_bits = secrets.randbits(74)
    value = (millis << 80) | (0x7 << 76) | ((random_bits >> 62) << 64) | (0b10 << 62)
    value |= random_bits & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))
