"""Accounts: apps, the developer accounts that own them, and who unsubscribed from them."""

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from smsgate.db.models.base import NEVER_REUSED, Base


class App(Base):
    __tablename__ = "apps"
    __table_args__ = NEVER_REUSED

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
    # The owning developer account; and the access policy (smsgate/access): a blacklisted app
    # (50036) and the networks its calls may come from (50035; comma-separated CIDRs, NULL:
    # anywhere).
    dev_id: Mapped[int | None] = mapped_column(
        ForeignKey("devs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allowed_ips: Mapped[str | None] = mapped_column(Text, nullable=True)


class Dev(Base):
    """A developer account: its own credentials (devKey:devSecret), apps, and a quota pool that
    is moved to its apps (smsgate/devs)."""

    __tablename__ = "devs"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dev_key: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(100))
    # The account-level pool in units, as on apps; NULL means nothing allocated.
    balance: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    voice: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    industry: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    market: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)


class Unsubscribe(Base):
    """A number that asked one app for no more marketing (50024)."""

    __tablename__ = "unsubscribes"

    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    mobile: Mapped[str] = mapped_column(String(20), primary_key=True)  # E.164
    created_at: Mapped[int] = mapped_column(BigInteger)
