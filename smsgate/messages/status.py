"""What became of a message after it was accepted: submitted, delivered, failed."""

from sqlalchemy import Connection

from smsgate import clock
from smsgate.apps.service import refund_quota
from smsgate.messages import repository

DELIVERED = 4001


def mark_submitted(
    conn: Connection, msg_id: str, provider: str, provider_message_id: str | None
) -> None:
    repository.set_submitted(conn, msg_id, provider, provider_message_id, clock.now_ms())


def record_delivery_report(conn: Connection, msg_id: str, report_status: int) -> bool:
    """A final status from a provider; False when the message was already final or is unknown."""
    status = "delivered" if report_status == DELIVERED else "failed"
    return repository.set_final_status(conn, msg_id, status, report_status, clock.now_ms())


def fail_before_provider(conn: Connection, msg_id: str, report_status: int) -> None:
    """No provider took the message: it is final as failed and its quota units go back."""
    message = repository.find_message(conn, msg_id)
    if message is None:
        return
    failed_now = repository.set_final_status(conn, msg_id, "failed", report_status, clock.now_ms())
    if failed_now and message.quota_category and message.quota_units:
        refund_quota(conn, message.app_id, message.quota_category, message.quota_units)
