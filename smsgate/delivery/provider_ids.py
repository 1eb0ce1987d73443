"""Matching a provider's delivery reports to messages by the provider's own message ids.

Every id a provider returned for a message (one per SMS part) is remembered with its msg_id and
the provider's name; providers that know smsgate's own msg_id (the sandbox, Kannel's dlr-url,
voice calls) return it as their id, so their reports go the same way. A report is looked up only
among the ids of the provider it came from: it can never touch a message another provider
carried. A report names one of those ids, perhaps spelled differently (the report's aliases).
A message is final once every part has a report: delivered when all were, else the first
failure's status. A report that arrives before its submit answer was recorded waits in
`pending_reports`.
"""

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection

from smsgate.delivery import repository
from smsgate.messages.status import record_delivery_reports
from smsgate.provider_answers import ProviderReport
from smsgate.report_status import ReportStatus
from smsgate.story.recording import record_receipts
from smsgate.telemetry.metrics import Receipt


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
    ids = [pid for _, given in submitted for pid in dict.fromkeys(given)]
    if not rows:
        return []
    serialise_with_reports(conn, [provider])
    repository.remember_ids(conn, rows)
    early = repository.early_reports(conn, provider, ids)
    if not early:
        return []
    reports = [ProviderReport(row.provider_message_id, row.report_status) for row in early]
    receipts = apply_reports(conn, provider, reports, now)
    # the same report kept under its other spellings
    keys = sorted({row.report_key for row in early})
    repository.drop_pending_keys(conn, provider, keys)
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
    found = repository.find_ids(conn, provider, every)
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
    repository.set_reports(conn, provider, matched)
    repository.drop_pending_ids(conn, provider, sorted(set(answered)))
    record_receipts(conn, provider, [(found[p], p, s) for p, s in matched.items()], now)
    return record_delivery_reports(conn, _final_statuses(conn, list(touched)))


def serialise_with_reports(conn: Connection, providers: Iterable[str]) -> None:
    """On PostgreSQL, a report and the submit answer it overtook may commit at the same moment,
    each missing the other's rows (the report looks for the id, the submit looks for the early
    report). One lock per provider orders them; SQLite's write lock already does. Take it before
    touching any message row, in name order, so that transactions cannot deadlock."""
    repository.lock_reports(conn, providers)


def _final_statuses(conn: Connection, msg_ids: list[str]) -> list[tuple[str, int]]:
    """(msg_id, status) of the messages whose every part has a report now."""
    parts: dict[str, list[int | None]] = {msg_id: [] for msg_id in msg_ids}
    for msg_id, status in repository.part_statuses(conn, msg_ids):
        parts[msg_id].append(status)
    finals: list[tuple[str, int]] = []
    for msg_id, statuses in parts.items():
        reported = [status for status in statuses if status is not None]
        if not reported or len(reported) != len(statuses):
            continue
        failures = [status for status in reported if status != ReportStatus.DELIVERED]
        finals.append((msg_id, failures[0] if failures else ReportStatus.DELIVERED))
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
        repository.keep_pending(conn, list(rows.values()))


def prune_provider_ids(conn: Connection, ids_before: int, pending_before: int) -> None:
    """Forget ids no report will come for any more, and early reports nobody claimed."""
    repository.prune_ids(conn, ids_before, pending_before)
