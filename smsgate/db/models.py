"""The tables, typed. Times are epoch milliseconds (UTC) in BigInteger columns."""

from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


# Ids handed out once, never again after a delete (migration 0009): SQLite's AUTOINCREMENT.
# PostgreSQL's sequences never go back anyway.
NEVER_REUSED = {"sqlite_autoincrement": True}


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
    # Content policy (smsgate/content): the owning developer account, a blacklisted app (50036)
    # and the networks its calls may come from (50035; comma-separated CIDRs, NULL: anywhere).
    dev_id: Mapped[int | None] = mapped_column(
        ForeignKey("devs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allowed_ips: Mapped[str | None] = mapped_column(Text, nullable=True)


class Sign(Base):
    __tablename__ = "signs"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    sign: Mapped[str] = mapped_column(String(16))
    type: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    remark: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[int] = mapped_column(SmallInteger)  # 0 in review, 1 approved, 2 rejected
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    refuse_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Template(Base):
    __tablename__ = "templates"
    __table_args__ = NEVER_REUSED

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
    # Codes only, opt-in: call with the same code when the SMS failed or had no receipt after
    # this many seconds (smsgate/messages/voice_fallback), read out in this voice_lang.
    voice_fallback_after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    voice_fallback_lang: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)


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


# --- reports, replies and callbacks (smsgate/reports) -----------------------------------------


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


# A reply with no registered number goes to the app that last sent to its sender.
Index("ix_messages_mobile_created", Message.mobile, Message.created_at)


# Operators search messages by status, newest first (smsgate messages search).
# The console's hourly bars count from it alone (channel never changes once written).
Index("ix_messages_status_created", Message.status, Message.created_at, Message.channel)


# --- a message's story (smsgate/messages/story) -----------------------------------------------


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


# --- idempotent sends (smsgate/idempotency) ----------------------------------------------------


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


# --- voice fallback of text codes (smsgate/messages/voice_fallback) ----------------------------


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


# --- scheduled SMS (smsgate/messages/schedules) ------------------------------------------------


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


# --- the operator console (smsgate/console) -----------------------------------------------------


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


def table(model: type[Base]) -> Table:
    """A model's Core table: hot-path statements are built once on it (see apps/repository.py)."""
    return cast(Table, model.__table__)


# --- pumping defence and spend caps (smsgate/fraud) -------------------------------------------


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
        Index("ix_fraud_attempts_country", "app_id", "country_code", "at"),
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
