"""The operator console (smsgate/console)."""

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smsgate.db.models.base import NEVER_REUSED, Base


class Operator(Base):
    """A person who may use the console; the password is stored as an argon2 hash only."""

    __tablename__ = "operators"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)


class ConsoleSession(Base):
    """A signed-in browser: the cookie holds a random token, the row only its SHA-256."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger)
    seen_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class LoginFailure(Base):
    """A failed sign-in, counted per operator name and per client address."""

    __tablename__ = "console_login_failures"
    __table_args__ = (Index("ix_console_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160))
    at: Mapped[int] = mapped_column(BigInteger)


class AuditEntry(Base):
    """One change made in the console: who, what, on what, when."""

    __tablename__ = "console_audit"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    operator: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[int] = mapped_column(BigInteger, index=True)
