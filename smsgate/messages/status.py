"""What became of a message after it was accepted: submitted, delivered, failed."""

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import refund_quota
from smsgate.messages import repository
from smsgate.messages.voice_fallback.service import FALLBACK_CALL, sms_finished
from smsgate.report_status import ReportStatus
from smsgate.reports.service import FinalStatus, record_final_statuses
from smsgate.telemetry.metrics import Receipt

DELIVERED = ReportStatus.DELIVERED


def mark_submitted(conn: Connection, accepted: list[tuple[str, str | None]], provider: str) -> None:
    """Messages a provider took: (msg_id, the provider's message id) pairs."""
    if accepted:
        repository.set_submitted(conn, accepted, provider, clock.now_ms())


def record_delivery_reports(conn: Connection, reports: list[tuple[str, int]]) -> list[Receipt]:
    """Final statuses from a provider: (msg_id, JSMS report status) pairs. A message that is
    already final or unknown is left as it is. Returns the receipts applied, for metrics once
    the transaction commits."""
    rows = [
        (msg_id, "delivered" if status == DELIVERED else "failed", status)
        for msg_id, status in reports
    ]
    if not rows:
        return []
    now = clock.now_ms()
    final_now = repository.set_final_statuses(conn, rows, now)
    # The first report of a message is the one applied; later ones find it final.
    statuses = {msg_id: status for msg_id, status in reversed(reports)}
    # A fallback call is not a message the app knows by its msg_id: it has no report.
    record_final_statuses(
        conn,
        [
            FinalStatus(row.id, row.app_id, row.mobile, statuses[row.id])
            for row in final_now
            if row.kind != FALLBACK_CALL
        ],
    )
    sms_finished(conn, [(row.id, statuses[row.id]) for row in final_now if row.kind == "code"])
    return [Receipt(row.provider, statuses[row.id], row.submitted_at, now) for row in final_now]


def fail_before_provider(conn: Connection, msg_id: str, report_status: int) -> None:
    """No provider took the message: it is final as failed and its quota units go back."""
    message = repository.find_message(conn, msg_id)
    if message is None:
        return
    failed_now = repository.set_final_status(conn, msg_id, "failed", report_status, clock.now_ms())
    if failed_now and message.kind != FALLBACK_CALL:
        final = FinalStatus(msg_id, message.app_id, message.mobile, report_status)
        record_final_statuses(conn, [final])
    if failed_now and message.kind == "code":
        sms_finished(conn, [(msg_id, report_status)])
    if failed_now and message.quota_category and message.quota_units:
        refund_quota(conn, message.app_id, message.quota_category, message.quota_units)
