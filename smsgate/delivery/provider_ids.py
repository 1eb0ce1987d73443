"""Matching a provider's delivery reports to messages by the provider's own message ids.

Every id a provider returned for a message (one per SMS part) is remembered with its msg_id and
the provider's name; providers that know smsgate's own msg_id (the sandbox, Kannel's dlr-url,
voice calls) return it as their id, so their reports go the same way. A report is looked up only
among the ids of the provider it came from: it can never touch a message another provider
carried. A report names one of those ids, perhaps spelled differently (the report's aliases).
A message is final once every part has a report: delivered when all were, else the first
failure's status. A report that arrives before its submit answer was recorded waits in
`pending_reports`.

Receipts arrive by the thousand a second: every statement here is built once, at import, with
bind parameters (expanding ones for id lists), so SQLAlchemy reuses its compiled form, and each
batch of reports runs one statement per step however many reports it holds.
"""

from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from smsgate.db.models import PendingReport, ProviderMessageId, table
from smsgate.delivery.providers.base import ProviderReport
from smsgate.messages.status import DELIVERED, record_delivery_reports
from smsgate.messages.story.recording import record_receipts
from smsgate.observability.metrics import Receipt

IDS = table(ProviderMessageId)
PENDING = table(PendingReport)
_DIALECTS = {"postgresql": postgresql, "sqlite": sqlite}
_REPORT_LOCK_SPACE = 0x5250  # the first key of smsgate's two-key advisory locks for reports

_LOCK = text("SELECT pg_advisory_xact_lock(:space, hashtext(:provider))")
_OF_PROVIDER = IDS.c.provider == bindparam("provider")
_FIND_IDS = select(IDS.c.provider_message_id, IDS.c.msg_id).where(
    _OF_PROVIDER, IDS.c.provider_message_id.in_(bindparam("ids", expanding=True))
)
_SET_REPORT = (
    update(IDS)
    .where(IDS.c.provider == bindparam("of"), IDS.c.provider_message_id == bindparam("pid"))
    .values(report_status=bindparam("status"))
)
_PARTS = select(IDS.c.msg_id, IDS.c.report_status).where(
    IDS.c.msg_id.in_(bindparam("ids", expanding=True))
)
_EARLY = select(PENDING.c.provider_message_id, PENDING.c.report_status, PENDING.c.report_key).where(
    PENDING.c.provider == bindparam("provider"),
    PENDING.c.provider_message_id.in_(bindparam("ids", expanding=True)),
)
_DROP_PENDING_IDS = delete(PENDING).where(
    PENDING.c.provider == bindparam("provider"),
    PENDING.c.provider_message_id.in_(bindparam("ids", expanding=True)),
)
_DROP_PENDING_KEYS = delete(PENDING).where(
    PENDING.c.provider == bindparam("provider"),
    PENDING.c.report_key.in_(bindparam("keys", expanding=True)),
)


def _remember_upsert(dialect: ModuleType) -> Insert:
    # An id seen again (a retried submit the carrier numbered the same) now names this message.
    insert: Any = dialect.insert(IDS)
    upsert: Insert = insert.on_conflict_do_update(
        index_elements=["provider", "provider_message_id"],
        set_={"msg_id": insert.excluded.msg_id, "report_status": None},
    )
    return upsert


def _keep_upsert(dialect: ModuleType) -> Insert:
    insert: Any = dialect.insert(PENDING)
    upsert: Insert = insert.on_conflict_do_update(
        index_elements=["provider", "provider_message_id"],
        set_={
            "report_status": insert.excluded.report_status,
            "received_at": insert.excluded.received_at,
            "report_key": insert.excluded.report_key,
        },
    )
    return upsert


_REMEMBER = {name: _remember_upsert(dialect) for name, dialect in _DIALECTS.items()}
_KEEP = {name: _keep_upsert(dialect) for name, dialect in _DIALECTS.items()}


def remember_provider_ids(
    conn: Connection, provider: str, submitted: Sequence[tuple[str, tuple[str, ...]]], now: int
) -> list[Receipt]:
    """(msg_id, the provider's ids for it) pairs; reports that came early are applied now
    (their receipts are returned)."""
    rows = [
        {"provider": provider, "provider_message_id": pid, "msg_id": msg_id, "created_at": now}
        for msg_id, ids in submitted
        for pid in dict.fromkeys(ids)
    ]
    if not rows:
        return []
    serialise_with_reports(conn, [provider])
    conn.execute(_REMEMBER[conn.dialect.name], rows)
    ids = [row["provider_message_id"] for row in rows]
    early = conn.execute(_EARLY, {"provider": provider, "ids": ids}).all()
    if not early:
        return []
    reports = [ProviderReport(row[0], row[1]) for row in early]
    receipts = apply_reports(conn, provider, reports, now)
    # the same report kept under its other spellings
    keys = sorted({row.report_key for row in early})
    conn.execute(_DROP_PENDING_KEYS, {"provider": provider, "keys": keys})
    return receipts


def apply_reports(
    conn: Connection, provider: str, reports: Sequence[ProviderReport], now: int
) -> list[Receipt]:
    """Record each report against the message part `provider` carried under that id, or keep
    it until such an id is known. Only ids this provider's own submits recorded are looked at,
    so no report can touch a message another provider carried (whatever msg_id it names).
    Returns the receipts of the messages that became final."""
    serialise_with_reports(conn, [provider])
    readings = [tuple(dict.fromkeys((r.provider_message_id, *r.aliases))) for r in reports]
    every = sorted({pid for spellings in readings for pid in spellings})
    found = dict(conn.execute(_FIND_IDS, {"provider": provider, "ids": every}).all())
    touched: dict[str, None] = {}
    matched: dict[str, int] = {}
    answered: list[str] = []
    unmatched: list[tuple[tuple[str, ...], int]] = []
    for report, spellings in zip(reports, readings, strict=True):
        # The id as the report spells it first, then the other readings in the given order.
        match = next((pid for pid in spellings if pid in found), None)
        if match is None:
            unmatched.append((spellings, report.report_status))
            continue
        matched[match] = report.report_status
        answered.extend(spellings)
        touched[found[match]] = None
    _keep_for_later(conn, provider, unmatched, now)
    if not matched:
        return []
    conn.execute(
        _SET_REPORT,
        [{"of": provider, "pid": pid, "status": status} for pid, status in matched.items()],
    )
    conn.execute(_DROP_PENDING_IDS, {"provider": provider, "ids": sorted(set(answered))})
    record_receipts(conn, provider, [(found[p], p, s) for p, s in matched.items()], now)
    return record_delivery_reports(conn, _final_statuses(conn, list(touched)))


def serialise_with_reports(conn: Connection, providers: Iterable[str]) -> None:
    """On PostgreSQL, a report and the submit answer it overtook may commit at the same moment,
    each missing the other's rows (the report looks for the id, the submit looks for the early
    report). One lock per provider orders them; SQLite's write lock already does. Take it before
    touching any message row, in name order, so that transactions cannot deadlock."""
    if conn.dialect.name == "postgresql":
        for provider in sorted(set(providers)):
            conn.execute(_LOCK, {"space": _REPORT_LOCK_SPACE, "provider": provider})


def _final_statuses(conn: Connection, msg_ids: list[str]) -> list[tuple[str, int]]:
    """(msg_id, status) of the messages whose every part has a report now."""
    parts: dict[str, list[int | None]] = {msg_id: [] for msg_id in msg_ids}
    for msg_id, status in conn.execute(_PARTS, {"ids": msg_ids}):
        parts[msg_id].append(status)
    finals: list[tuple[str, int]] = []
    for msg_id, statuses in parts.items():
        reported = [status for status in statuses if status is not None]
        if not reported or len(reported) != len(statuses):
            continue
        failures = [status for status in reported if status != DELIVERED]
        finals.append((msg_id, failures[0] if failures else DELIVERED))
    return finals


def _keep_for_later(
    conn: Connection, provider: str, reports: Sequence[tuple[tuple[str, ...], int]], now: int
) -> None:
    """Reports no known id matched, each under every spelling, in one statement. A spelling
    two of them share is kept for the later one, as if they had come one after the other."""
    rows = {
        pid: {"provider": provider, "provider_message_id": pid, "report_status": status}
        | {"received_at": now, "report_key": spellings[0]}
        for spellings, status in reports
        for pid in spellings
    }
    if rows:
        conn.execute(_KEEP[conn.dialect.name], list(rows.values()))


def prune_provider_ids(conn: Connection, ids_before: int, pending_before: int) -> None:
    """Forget ids no report will come for any more, and early reports nobody claimed."""
    conn.execute(delete(IDS).where(IDS.c.created_at < ids_before))
    conn.execute(delete(PENDING).where(PENDING.c.received_at < pending_before))
