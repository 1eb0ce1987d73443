"""The tables, typed. Times are epoch milliseconds (UTC) in BigInteger columns.

One module per domain; every name is re-exported here, and importing this package loads
every table into `Base.metadata` (Alembic compares the migrations against it).
"""

from smsgate.db.models.apps import App, Dev, Unsubscribe
from smsgate.db.models.base import NEVER_REUSED, Base, table
from smsgate.db.models.console import AuditEntry, ConsoleSession, LoginFailure, Operator
from smsgate.db.models.delivery import (
    OutboxEntry,
    PendingReport,
    ProviderHealth,
    ProviderMessageId,
    SandboxDelivery,
)
from smsgate.db.models.fraud import FraudAttempt, FraudCount, FraudEvent, FraudPolicy, SpendWindow
from smsgate.db.models.messages import (
    CodeRecord,
    IdempotencyKey,
    LimitHit,
    Message,
    MessageRecord,
    Schedule,
    VerificationCode,
    VoiceFallback,
)
from smsgate.db.models.reports import (
    AppCallback,
    CallbackEntry,
    PullClock,
    PullRecord,
    Reply,
    ReplyNumber,
)
from smsgate.db.models.review import ReviewState, Sign, SignImage, Template
from smsgate.db.models.story import REFUSAL_CONDITION, MessageEvent

__all__ = [
    "NEVER_REUSED",
    "REFUSAL_CONDITION",
    "App",
    "AppCallback",
    "AuditEntry",
    "Base",
    "CallbackEntry",
    "CodeRecord",
    "ConsoleSession",
    "Dev",
    "FraudAttempt",
    "FraudCount",
    "FraudEvent",
    "FraudPolicy",
    "IdempotencyKey",
    "LimitHit",
    "LoginFailure",
    "Message",
    "MessageEvent",
    "MessageRecord",
    "Operator",
    "OutboxEntry",
    "PendingReport",
    "ProviderHealth",
    "ProviderMessageId",
    "PullClock",
    "PullRecord",
    "Reply",
    "ReplyNumber",
    "ReviewState",
    "SandboxDelivery",
    "Schedule",
    "Sign",
    "SignImage",
    "SpendWindow",
    "Template",
    "Unsubscribe",
    "VerificationCode",
    "VoiceFallback",
    "table",
]
