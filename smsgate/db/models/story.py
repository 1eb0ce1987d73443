"""A message's story (smsgate/story)."""

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from smsgate.db.models.base import Base


class MessageEvent(Base):
    """One entry of a message's story: a refusal, a delivery try, a failover, a receipt, a
    callback try, a code check. The acceptance and the final status are the message row itself.

    A send refused before it was accepted has no msg_id (or the one a schedule announced); its
    app and number (E.164, when it was one) are kept so it can be found. Other events name only
    their message.
    """

    __tablename__ = "message_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    msg_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    app_id: Mapped[int | None] = mapped_column(
        ForeignKey("apps.id", ondelete="CASCADE"), nullable=True
    )
    at: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    mobile: Mapped[str | None] = mapped_column(String(20), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data: Mapped[str] = mapped_column(Text)  # JSON: what happened, never a code or a number


# Refusals are searched by number, app or time: partial indexes hold only them, so the events
# of accepted messages cost these indexes nothing. Queries repeat the condition literally.
REFUSAL_CONDITION = "kind = 'refused'"


for _name, *_columns in (
    ("ix_message_events_refused_mobile", MessageEvent.mobile, MessageEvent.at),
    ("ix_message_events_refused_app", MessageEvent.app_id, MessageEvent.at),
    ("ix_message_events_refused_at", MessageEvent.at),
):
    Index(
        _name,
        *_columns,
        sqlite_where=text(REFUSAL_CONDITION),
        postgresql_where=text(REFUSAL_CONDITION),
    )
