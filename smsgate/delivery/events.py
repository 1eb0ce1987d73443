"""DeliveryEvents on the database: what providers report becomes statuses, reports and replies.

Used by providers inside a worker, and by the webhook endpoints through which HTTP providers
report into an API process. Each call is one transaction.
"""

from collections.abc import Sequence

from smsgate import clock
from smsgate.db.engine import Database
from smsgate.delivery.provider_ids import apply_reports
from smsgate.messages.replies import record_replies
from smsgate.provider_answers import InboundSms, ProviderReport
from smsgate.telemetry import metrics


class DatabaseEvents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def reports(self, provider: str, reports: Sequence[ProviderReport]) -> None:
        if reports:
            now = clock.now_ms()
            receipts = await self._db.write(
                lambda conn: apply_reports(conn, provider, reports, now)
            )
            metrics.receipts_recorded(receipts)

    async def inbound(self, provider: str, messages: Sequence[InboundSms]) -> None:
        if messages:
            await self._db.write(lambda conn: record_replies(conn, provider, messages))
