"""Matching a provider's delivery reports to messages by the provider's own message ids.

Every id a provider returned for a message (one per SMS part) is remembered with its msg_id. A
report names one of those ids, perhaps spelled differently (the report's aliases). A message is
final once every part has a report: delivered when all were, else the first failure's status.
A report that arrives before its submit answer was recorded waits in `pending_reports`.
"""

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from smsgate.db.models import PendingReport, ProviderMessageId, table
from smsgate.delivery.providers.base import ProviderReport
from smsgate.messages.status import DELIVERED, record_delivery_reports
from smsgate.observability.metrics import Receipt

IDS = table(ProviderMessageId)
PENDING = table(PendingReport)
_DIALECTS = {"postgresql": postgresql, "sqlite": sqlite}
_REPORT_LOCK_SPACE = 0x5250  # the first key of smsgate's two-key advisory locks for reports


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
    insert = _DIALECTS[conn.dialect.name].insert(IDS)
    # An id seen again (a retried submit the carrier numbered the same) now names this message.
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["provider", "provider_message_id"],
            set_={"msg_id": insert.excluded.msg_id, "report_status": None},
        ),
        rows,
    )
    ids = [row["provider_message_id"] for row in rows]
    early = conn.execute(
        select(PENDING.c.provider_message_id, PENDING.c.report_status, PENDING.c.report_key).where(
            PENDING.c.provider == provider, PENDING.c.provider_message_id.in_(ids)
        )
    ).all()
    if not early:
        return []
    reports = [ProviderReport(row[0], row[1]) for row in early]
    receipts = apply_reports(conn, provider, reports, now)
    conn.execute(  # the same report kept under its other spellings
        delete(PENDING).where(
            PENDING.c.provider == provider,
            PENDING.c.report_key.in_({row.report_key for row in early}),
        )
    )
    return receipts


def apply_reports(
    conn: Connection, provider: str, reports: Sequence[ProviderReport], now: int
) -> list[Receipt]:
    """Record each report against its message part, or keep it until its id is known; returns
    the receipts of the messages that became final."""
    serialise_with_reports(conn, [provider])
    touched: dict[str, None] = {}
    for report in reports:
        spellings = tuple(dict.fromkeys((report.provider_message_id, *report.aliases)))
        found = dict(
            conn.execute(
                select(IDS.c.provider_message_id, IDS.c.msg_id).where(
                    IDS.c.provider == provider, IDS.c.provider_message_id.in_(spellings)
                )
            ).all()
        )
        # The id as the report spells it first, then the other readings in the given order.
        match = next((pid for pid in spellings if pid in found), None)
        if match is None:
            _keep_for_later(conn, provider, spellings, report.report_status, now)
            continue
        conn.execute(
            update(IDS)
            .where(IDS.c.provider == provider, IDS.c.provider_message_id == match)
            .values(report_status=report.report_status)
        )
        conn.execute(
            delete(PENDING).where(
                PENDING.c.provider == provider, PENDING.c.provider_message_id.in_(spellings)
            )
        )
        touched[found[match]] = None
    finals = [(msg_id, status) for msg_id in touched if (status := _final_status(conn, msg_id))]
    return record_delivery_reports(conn, finals)


def serialise_with_reports(conn: Connection, providers: Iterable[str]) -> None:
    """On PostgreSQL, a report and the submit answer it overtook may commit at the same moment,
    each missing the other's rows (the report looks for the id, the submit looks for the early
    report). One lock per provider orders them; SQLite's write lock already does. Take it before
    touching any message row, in name order, so that transactions cannot deadlock."""
    if conn.dialect.name == "postgresql":
        for provider in sorted(set(providers)):
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:space, hashtext(:provider))"),
                {"space": _REPORT_LOCK_SPACE, "provider": provider},
            )


def _final_status(conn: Connection, msg_id: str) -> int | None:
    statuses = conn.execute(select(IDS.c.report_status).where(IDS.c.msg_id == msg_id)).scalars()
    parts = list(statuses)
    if any(status is None for status in parts):
        return None
    failures = [status for status in parts if status != DELIVERED]
    return failures[0] if failures else DELIVERED


def _keep_for_later(
    conn: Connection, provider: str, spellings: Sequence[str], status: int, now: int
) -> None:
    insert = _DIALECTS[conn.dialect.name].insert(PENDING)
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["provider", "provider_message_id"],
            set_={"report_status": status, "received_at": now, "report_key": spellings[0]},
        ),
        [
            {"provider": provider, "provider_message_id": pid, "report_status": status}
            | {"received_at": now, "report_key": spellings[0]}
            for pid in dict.fromkeys(spellings)
        ],
    )


def prune_provider_ids(conn: Connection, ids_before: int, pending_before: int) -> None:
    """Forget ids no report will come for any more, and early reports nobody claimed."""
    conn.execute(delete(IDS).where(IDS.c.created_at < ids_before))
    conn.execute(delete(PENDING).where(PENDING.c.received_at < pending_before))
