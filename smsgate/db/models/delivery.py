"""Delivery: the outbox (smsgate/outbox owns it), providers' message ids and early reports,
provider health, the sandbox inbox.
"""

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smsgate.db.models.base import Base


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
    # A voice code's rendered speech (a WAV under data_dir), so a person can listen to it.
    audio_path: Mapped[str | None] = mapped_column(Text, nullable=True)


class ProviderMessageId(Base):
    """Which message a provider's own id belongs to: one row per submitted part."""

    __tablename__ = "provider_message_ids"

    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(36), index=True)
    report_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger, index=True)


class PendingReport(Base):
    """A delivery report that came before its submit answer was recorded: kept until then."""

    __tablename__ = "pending_reports"

    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    report_key: Mapped[str] = mapped_column(String(128))  # the report's first spelling of the id
    report_status: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[int] = mapped_column(BigInteger, index=True)


class ProviderHealth(Base):
    """Counters and circuit state of one provider as one worker process sees it."""

    __tablename__ = "provider_health"

    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    worker: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(12))  # down, open, half-open, closed
    since: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # in that state since
    submitted: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    open_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)
