"""`smsgate providers`: the delivery configuration and how each provider is doing."""

from datetime import UTC, datetime
from typing import Any

import typer

from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.delivery.config import DeliveryConfig, load_delivery_config
from smsgate.delivery.health import HealthRow, read_health
from smsgate.settings import Settings

providers_cli = typer.Typer(no_args_is_help=True, help="Delivery providers and routes.")
# A worker writes its row every few seconds; one silent for longer has stopped.
STALE_AFTER_MS = 60_000
_COUNTERS = ("submitted", "accepted", "rejected", "failed")
_BEST_FIRST = ("closed", "half-open", "open", "down")


def checked_delivery_config(settings: Settings) -> DeliveryConfig:
    """The configuration; a bad file raises InvalidDeliveryConfig, which the command shows as
    one line with exit code 2: smsgate must not start on it."""
    return load_delivery_config(settings)


@providers_cli.command("check")
def providers_check(as_json: JsonFlag = False) -> None:
    """Validate the delivery configuration and show its providers and routes."""
    config = checked_delivery_config(Settings())
    data: dict[str, Any] = {
        "source": str(config.source) if config.source else None,
        "providers": {name: p.type for name, p in config.providers.items()},
        "routes": [route.model_dump() for route in config.routes],
    }
    lines = [f"configuration: {data['source'] or '(none: sandbox)'}"]
    lines += [f"provider {name}: {p.type}" for name, p in config.providers.items()]
    lines += [
        f"route {r.match} ({r.channel or 'sms+voice'}): {' > '.join(r.providers)}"
        for r in config.routes
    ]
    emit(data, as_json, "\n".join(lines))


@providers_cli.command("status")
def providers_status(as_json: JsonFlag = False) -> None:
    """Each configured provider's state, since when, its counters and last error, over live
    workers."""
    settings = Settings()
    config = checked_delivery_config(settings)

    async def work(ctx: Context) -> list[HealthRow]:
        return await read_health(ctx.db)

    rows = run_job(work, settings)
    now = int(datetime.now(UTC).timestamp() * 1000)
    names = list(config.providers) or ["sandbox"]
    status = [_summary(name, [r for r in rows if r.provider == name], now) for name in names]
    lines = [
        f"{s['provider']}: {s['state']}"
        + (f" since {s['since']}" if s["since"] else "")
        + f"  submitted {s['submitted']}  accepted {s['accepted']}  rejected {s['rejected']}"
        f"  failed {s['failed']}  workers {s['workers']}"
        + (f"\n  last error ({s['last_error_at']}): {s['last_error']}" if s["last_error"] else "")
        for s in status
    ]
    emit(status, as_json, "\n".join(lines))


def _summary(name: str, rows: list[HealthRow], now: int) -> dict[str, Any]:
    """A provider over the workers that run it: as in service as it is anywhere (closed, else
    half-open, open, down), since the last of those workers got there."""
    live = [r for r in rows if now - r.updated_at <= STALE_AFTER_MS]
    state = min((r.state for r in live), key=_BEST_FIRST.index, default="no worker")
    since = max((r.since for r in live if r.state == state and r.since), default=None)
    latest = max(
        (r for r in rows if r.last_error_at), key=lambda r: r.last_error_at or 0, default=None
    )
    return {
        "provider": name,
        "state": state,
        "since": _iso(since),
        "workers": len(live),
        **{key: sum(getattr(r, key) for r in rows) for key in _COUNTERS},
        "last_error": latest.last_error if latest else None,
        "last_error_at": _iso(latest.last_error_at) if latest else None,
    }


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")
