"""Reports, replies and callbacks (smsgate/reports, smsgate/callbacks)."""

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smsgate.db.models.base import NEVER_REUSED, Base


class AppCallback(Base):
    """Where an app's signed callbacks go, and its master secret sealed for signing them (the
    JSMS signature needs the plaintext; apps.secret_hash cannot give it back)."""

    __tablename__ = "app_callbacks"

    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    sealed_secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    verified_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ReplyNumber(Base):
    """A number (or number prefix, e.g. a long code with the app's extension) replies come to."""

    __tablename__ = "reply_numbers"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)


class PullRecord(Base):
    """A delivery report or a reply waiting for GET /v1/report or /v1/reply (read once).

    A pull leases the records it answers with; they are deleted only after the answer was
    written to the client, so a lost answer offers them again.
    """

    __tablename__ = "pull_records"
    __table_args__ = (Index("ix_pull_records_app_kind_id", "app_id", "kind", "id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # report, reply
    data: Mapped[str] = mapped_column(Text)  # the JSON object as the pull answers it
    received_at: Mapped[int] = mapped_column(BigInteger, index=True)
    lease_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Reply(Base):
    """A reply (MO) as it came in, for operators: kept `report_keep_seconds` like the pull
    records, but not deleted when the app reads it, and with the number it was sent to."""

    __tablename__ = "replies"
    __table_args__ = (
        Index("ix_replies_app_received", "app_id", "received_at"),
        Index("ix_replies_mobile_received", "mobile", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    mobile: Mapped[str] = mapped_column(String(20))  # E.164 when it was one, else as received
    reply_number: Mapped[str] = mapped_column(String(32))  # the number it was sent to
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[int] = mapped_column(BigInteger, index=True)


class PullClock(Base):
    """When an app last pulled each kind: one pull per 5 s (50009)."""

    __tablename__ = "pull_clocks"

    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    pulled_at: Mapped[int] = mapped_column(BigInteger)


class CallbackEntry(Base):
    """A callback to post; retried on a schedule, then kept as dead (dead_at set) for replay."""

    __tablename__ = "callback_outbox"
    __table_args__ = (Index("ix_callback_outbox_dead_due", "dead_at", "due_at"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    data: Mapped[str] = mapped_column(Text)  # JSON, posted as the `data` field
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[int] = mapped_column(BigInteger)
    lease_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    dead_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
