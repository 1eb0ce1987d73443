"""The tables, typed. Times are epoch milliseconds (UTC) in BigInteger columns."""

from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class App(Base):
    __tablename__ = "apps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_key: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(100))
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Quotas in units (one SMS part or one voice call); NULL means unmetered.
    balance: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    voice: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    industry: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    market: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # JSON of the frequency limits this app overrides (smsgate.apps.policy); NULL: the defaults.
    policy: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)


class Sign(Base):
    __tablename__ = "signs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    sign: Mapped[str] = mapped_column(String(16))
    type: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    remark: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[int] = mapped_column(SmallInteger)  # 0 in review, 1 approved, 2 rejected
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    refuse_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)


class Template(Base):
    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    type: Mapped[int] = mapped_column(SmallInteger)  # 1 code, 2 notification, 3 marketing
    template: Mapped[str] = mapped_column(Text)
    ttl: Mapped[int] = mapped_column(Integer, default=0)
    remark: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[int] = mapped_column(SmallInteger)  # 0 in review, 1 approved, 2 rejected
    refuse_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


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


class OutboxEntry(Base):
    """A message waiting for a provider. The payload is the only place a code's plaintext lives."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    msg_id: Mapped[str] = mapped_column(String(36), unique=True)
    channel: Mapped[str] = mapped_column(String(8))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[int] = mapped_column(BigInteger, index=True)
    lease_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)


class LimitHit(Base):
    """One counted send for the SQL frequency-limit backend."""

    __tablename__ = "limit_hits"
    __table_args__ = (Index("ix_limit_hits_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160))
    at: Mapped[int] = mapped_column(BigInteger)


class SandboxDelivery(Base):
    """What a handset would have received from the sandbox provider."""

    __tablename__ = "sandbox_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    msg_id: Mapped[str] = mapped_column(String(36), unique=True)
    mobile: Mapped[str] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    report_status: Mapped[int] = mapped_column(Integer)
    report_due_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    delivered_at: Mapped[int] = mapped_column(BigInteger)


def table(model: type[Base]) -> Table:
    """A model's Core table: hot-path statements are built once on it (see apps/repository.py)."""
    return cast(Table, model.__table__)
