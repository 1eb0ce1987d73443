"""Overview: sends, deliveries and failures per hour by channel, code conversion per app and
template, top refusal reasons, the outbox, provider states. All of it over the last 24 hours
from the database, so every process's sends count. Bars are SVG widths: no script, no CDN."""

from dataclasses import dataclass

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from smsgate import clock
from smsgate.console.pages.delivery import configured_states
from smsgate.console.web import context_of, render, signed_in
from smsgate.errors import ERRORS
from smsgate.messages.lookup import HOUR_MS, Conversion, code_conversion, hourly_counts
from smsgate.outbox.repository import outbox_summary
from smsgate.story.service import top_refusals

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
    reasons = await top_refusals(ctx.db, first_hour, TOP_REASONS)
    conversions = await code_conversion(ctx.db, first_hour)
    depth, oldest = await outbox_summary(ctx.db)
    return render(
        request,
        "overview.html",
        session,
        bars=bars,
        most=max((bar.sent for bar in bars), default=1),
        reasons=[(code, n, _meaning(code)) for code, n in reasons],
        per_app=_per_app(conversions),
        per_template=conversions,
        most_refused=max((n for _code, n in reasons), default=1),
        depth=depth,
        oldest=oldest,
        states=await configured_states(ctx),
    )


def _meaning(code: int) -> str:
    error = ERRORS.get(code)
    return error.message if error is not None else ""


def _per_app(conversions: list[Conversion]) -> list[Conversion]:
    """Each app's templates summed (template None: all of them)."""
    apps: dict[str, tuple[int, int]] = {}
    for c in conversions:
        sent, verified = apps.get(c.app_key, (0, 0))
        apps[c.app_key] = (sent + c.sent, verified + c.verified)
    return [Conversion(key, None, sent, verified) for key, (sent, verified) in sorted(apps.items())]
