"""What operators review: signatures with their proof images, and templates."""

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smsgate.db.models.base import NEVER_REUSED, Base
from smsgate.wire_numbers import WireNumber


class ReviewState(WireNumber):
    """The `status` of a signature or a template."""

    IN_REVIEW = 0
    APPROVED = 1
    REJECTED = 2


class Sign(Base):
    __tablename__ = "signs"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    sign: Mapped[str] = mapped_column(String(16))
    type: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    remark: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[int] = mapped_column(SmallInteger)  # ReviewState
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    refuse_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class SignImage(Base):
    """A proof document of a signature, stored as a file under the data dir."""

    __tablename__ = "sign_images"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sign_id: Mapped[int] = mapped_column(ForeignKey("signs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)  # arrival order in the upload
    file_name: Mapped[str] = mapped_column(String(100))  # relative to <data_dir>/sign-images
    media_type: Mapped[str] = mapped_column(String(16))  # sniffed: image/jpeg, image/png, ...
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)


class Template(Base):
    __tablename__ = "templates"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    type: Mapped[int] = mapped_column(SmallInteger)  # 1 code, 2 notification, 3 marketing
    template: Mapped[str] = mapped_column(Text)
    ttl: Mapped[int] = mapped_column(Integer, default=0)
    remark: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[int] = mapped_column(SmallInteger)  # ReviewState
    refuse_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    # Codes only, opt-in: call with the same code when the SMS failed or had no receipt after
    # this many seconds (smsgate/messages/voice_fallback), read out in this voice_lang.
    voice_fallback_after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    voice_fallback_lang: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
