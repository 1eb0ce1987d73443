"""Pumping defence and spend caps (smsgate/fraud)."""

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from smsgate.db.models.base import Base


class FraudPolicy(Base):
    """An app's own destination policy, defence mode and spend caps; absent: the defaults."""

    __tablename__ = "fraud_policies"

    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[str | None] = mapped_column(String(8), nullable=True)  # off, shadow, enforce
    # Comma-separated: ISO regions ("CN,HK"), and E.164 prefixes ("+8617", "+88216").
    allowed_countries: Mapped[str | None] = mapped_column(Text, nullable=True)
    blocked_prefixes: Mapped[str | None] = mapped_column(Text, nullable=True)
    allowed_prefixes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Spend caps in units per clock hour and per day; NULL: no cap. country_caps is JSON
    # {"CN": {"hourly": 100, "daily": 1000}}.
    hourly_cap: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    daily_cap: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    country_caps: Mapped[str | None] = mapped_column(Text, nullable=True)


class FraudAttempt(Base):
    """A code (text or voice) that reached the range rules: refused ones too, so an attacker
    who keeps trying keeps the range closed. msg_id is set when it was accepted."""

    __tablename__ = "fraud_attempts"
    __table_args__ = (
        Index("ix_fraud_attempts_range", "app_id", "number_range", "at"),
        Index("ix_fraud_attempts_number", "app_id", "country_code", "national", "at"),
        # Only accepted attempts: the country rule reads no others, and the neighbour count
        # (app, country, a span of numbers, since) must not be planned onto this index, which
        # would filter every recent attempt of the country (the planner tied the two before a
        # fresh table was first analysed).
        Index(
            "ix_fraud_attempts_country",
            "app_id",
            "country_code",
            "at",
            postgresql_where=text("msg_id IS NOT NULL"),
            sqlite_where=text("msg_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(Integer)
    country_code: Mapped[int] = mapped_column(Integer)
    national: Mapped[int] = mapped_column(BigInteger)
    number_range: Mapped[str] = mapped_column(String(24))  # "+861380013": country + prefix
    at: Mapped[int] = mapped_column(BigInteger, index=True)
    msg_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)


class FraudCount(Base):
    """Verifiable codes sent and verified per app, scope (a country or a range) and minute of
    sending: the conversion rule sums the buckets of its window."""

    __tablename__ = "fraud_counts"

    app_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(32), primary_key=True)  # country:86, range:+86138..
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # start, epoch ms
    sent: Mapped[int] = mapped_column(Integer, default=0)
    verified: Mapped[int] = mapped_column(Integer, default=0)


class FraudEvent(Base):
    """A decision of the pumping defence or a spend cap: what a message's story shows. The
    number is kept only as its range (country code and leading digits), never whole."""

    __tablename__ = "fraud_events"
    __table_args__ = (Index("ix_fraud_events_app_at", "app_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[int] = mapped_column(BigInteger)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(32))
    number_range: Mapped[str] = mapped_column(String(24))
    mode: Mapped[str] = mapped_column(String(8))  # shadow, enforce
    decision: Mapped[str] = mapped_column(String(8))  # refused; allowed (shadow)
    msg_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)


class SpendWindow(Base):
    """Units an app spent in one cap window (a clock hour or a local day), whole or for one
    country; `alerted` makes the cap's alert fire once per window."""

    __tablename__ = "spend_windows"

    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)  # all, or a region: CN
    period: Mapped[str] = mapped_column(String(8), primary_key=True)  # hourly, daily
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch ms
    units: Mapped[int] = mapped_column(BigInteger, default=0)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
