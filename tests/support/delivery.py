"""The delivery worker driven by hand, so a test decides when messages move."""

from smsgate.context import Context
from smsgate.delivery.providers.sandbox import SandboxProvider
from smsgate.delivery.worker import DeliveryWorker


class Delivery:
    """The sandbox provider behind a delivery worker, run until nothing is due."""

    def __init__(self, ctx: Context) -> None:
        self.provider = SandboxProvider(ctx.db, ctx.settings.sandbox_report_delay)
        self.worker = DeliveryWorker(ctx, self.provider)

    async def run_until_idle(self) -> None:
        """Deliver everything due, then send every due delivery report."""
        while await self.worker.deliver_due():
            pass
        await self.provider.send_due_reports()
