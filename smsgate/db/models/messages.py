"""Messages and what a send writes beside them: codes, limit hits, idempotency keys, voice
fallbacks, schedules.
"""

from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from smsgate.db.models.base import Base


class Message(Base):
    """One accepted message: a text code, a voice code or a template SMS."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_app_created", "app_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # code, voice_code, notification, marketing
    channel: Mapped[str] = mapped_column(String(8))  # sms, voice
    mobile: Mapped[str] = mapped_column(String(20))  # E.164
    template_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The text as sent, kept only when it holds no code (codes live only in the outbox).
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    segments: Mapped[int] = mapped_column(SmallInteger)
    quota_category: Mapped[str | None] = mapped_column(String(8), nullable=True)
    quota_units: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12))  # accepted, submitted, delivered, failed
    report_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    submitted_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reported_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The access log's id of the request that sent it (none for scheduled messages).
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class VerificationCode(Base):
    __tablename__ = "verification_codes"

    msg_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    app_id: Mapped[int] = mapped_column(Integer)
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256(server key, msg_id:code)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    verified_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class LimitHit(Base):
    """One counted send for the SQL frequency-limit backend."""

    __tablename__ = "limit_hits"
    __table_args__ = (Index("ix_limit_hits_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160))
    at: Mapped[int] = mapped_column(BigInteger)


# A reply with no registered number goes to the app that last sent to its sender.
Index("ix_messages_mobile_created", Message.mobile, Message.created_at)


# Operators search messages by status, newest first (smsgate messages search).
# The console's hourly bars count from it alone (channel never changes once written).
Index("ix_messages_status_created", Message.status, Message.created_at, Message.channel)


# The console lists the newest messages first, also without a filter; the overview counts the
# day's codes and their checks from this index alone (the columns never change once written).
Index(
    "ix_messages_created_kind",
    Message.created_at,
    Message.kind,
    Message.app_id,
    Message.template_id,
    Message.id,
)
# ... and delivery reports (final statuses) newest first, of all apps or of one.
Index("ix_messages_reported", Message.reported_at)
Index("ix_messages_app_reported", Message.app_id, Message.reported_at)


class IdempotencyKey(Base):
    """The first answer to a send made with an Idempotency-Key, replayed to its repeats.

    A success is written in the send's own transaction, so a committed send always has its
    answer stored; a refusal is written after it.
    """

    __tablename__ = "idempotency_keys"

    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path, body
    status: Mapped[int] = mapped_column(SmallInteger)  # the HTTP status answered
    body: Mapped[bytes] = mapped_column(LargeBinary)  # the answer's bytes
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class VoiceFallback(Base):
    """A text code whose template asks for a call when the SMS fails or stays unconfirmed.

    Until the call is placed or found unneeded, the code is kept sealed with the server key
    (AES-GCM, bound to the msg_id); then `sealed_code` is wiped. The row stays as the message's
    record of what was done: `state` waiting, placed, or skipped with its `reason`.
    """

    __tablename__ = "voice_fallbacks"
    __table_args__ = (Index("ix_voice_fallbacks_state_due", "state", "due_at"),)

    msg_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    app_id: Mapped[int] = mapped_column(Integer)
    mobile: Mapped[str] = mapped_column(String(20))  # E.164
    voice_lang: Mapped[int] = mapped_column(SmallInteger)
    sealed_code: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(8))  # waiting, placed, skipped
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    due_at: Mapped[int] = mapped_column(BigInteger)  # no receipt by then: call
    lease_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    call_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # the call's message
    created_at: Mapped[int] = mapped_column(BigInteger)
    done_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Schedule(Base):
    """A template SMS to one or many recipients, sent by the scheduler at `send_at`.

    `version` grows with every change, so a scheduler that read an older version never sends it;
    `lease_until` keeps two schedulers from sending one schedule at the same time.
    """

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_status_send_at", "status", "send_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # single, batch
    temp_id: Mapped[int] = mapped_column(Integer)
    sign_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tag: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # JSON list of {msg_id, mobile (as sent), number (E.164), temp_para}; once sent, a recipient
    # refused at sending time also has its error_code.
    recipients: Mapped[str] = mapped_column(Text)
    send_at: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8))  # pending, sent, deleted
    version: Mapped[int] = mapped_column(Integer)
    lease_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class MessageRecord(NamedTuple):
    """A row of `messages`, as the slices that read whole messages get it."""

    id: str
    app_id: int
    kind: str  # code, voice_code, notification, marketing (a fallback call: its own kind)
    channel: str  # sms, voice
    mobile: str  # E.164
    template_id: int | None
    content: str | None  # kept only when it holds no code
    segments: int
    quota_category: str | None
    quota_units: int
    status: str  # accepted, submitted, delivered, failed
    report_status: int | None
    provider: str | None
    provider_message_id: str | None
    created_at: int
    submitted_at: int | None
    reported_at: int | None
    request_id: str | None


class CodeRecord(NamedTuple):
    """A code as kept: its hash only, and what decides whether it may still be checked."""

    msg_id: str
    app_id: int
    code_hash: str
    expires_at: int
    attempts: int  # wrong tries so far
    verified_at: int | None
