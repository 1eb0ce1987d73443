"""Overview: sends, deliveries and failures per hour by channel, top refusal reasons, the
outbox, provider states. Bars are drawn as CSS widths: no script, no CDN."""

from dataclasses import dataclass

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate import clock
from smsgate.console.pages.delivery import configured_states
from smsgate.console.web import context_of, render, signed_in
from smsgate.delivery.outbox import outbox_summary
from smsgate.errors import ERRORS
from smsgate.messages.lookup import HOUR_MS, hourly_counts
from smsgate.observability.metrics import refusals_by_reason

router = APIRouter()
HOURS = 24
TOP_REASONS = 8


@dataclass(frozen=True, slots=True)
class HourBar:
    hour: int
    channel: str
    sent: int
    delivered: int
    failed: int


def _bars(counts: list[tuple[int, str, str, int]], first_hour: int) -> list[HourBar]:
    """One bar per hour and channel that had messages, oldest first."""
    table: dict[tuple[int, str], dict[str, int]] = {}
    for hour, channel, status, n in counts:
        cell = table.setdefault((hour, channel), {"sent": 0, "delivered": 0, "failed": 0})
        cell["sent"] += n
        if status in ("delivered", "failed"):
            cell[status] += n
    return [
        HourBar(hour, channel, cell["sent"], cell["delivered"], cell["failed"])
        for (hour, channel), cell in sorted(table.items())
        if hour >= first_hour
    ]


@router.get("/overview")
async def overview_page(request: Request) -> Response:
    session = await signed_in(request)
    ctx = context_of(request)
    first_hour = (clock.now_ms() // HOUR_MS - HOURS + 1) * HOUR_MS
    bars = _bars(await hourly_counts(ctx.db, first_hour), first_hour)
    reasons = sorted(refusals_by_reason().items(), key=lambda item: -item[1])[:TOP_REASONS]
    depth, oldest = await outbox_summary(ctx.db)
    return render(
        request,
        "overview.html",
        session,
        bars=bars,
        most=max((bar.sent for bar in bars), default=1),
        reasons=[(code, int(n), _meaning(code)) for code, n in reasons],
        most_refused=max((n for _code, n in reasons), default=1),
        depth=depth,
        oldest=oldest,
        states=await configured_states(ctx),
    )


def _meaning(code: str) -> str:
    error = ERRORS.get(int(code)) if code.isdigit() else None
    return error.message if error is not None else ""
