"""`smsgate providers`: the delivery configuration and how each provider is doing."""

from datetime import UTC, datetime
from typing import Any

import typer

from smsgate.cli.running import JsonFlag, emit, run_job
from smsgate.context import Context
from smsgate.delivery.config import DeliveryConfig, load_delivery_config
from smsgate.delivery.health import provider_state, read_health
from smsgate.delivery.repository import HealthRow
from smsgate.settings import Settings

providers_cli = typer.Typer(no_args_is_help=True, help="Delivery providers and routes.")


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
    status = [_summary(name, rows, now) for name in names]
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
    state = provider_state(name, rows, now)
    return {
        "provider": name,
        "state": state.state,
        "since": _iso(state.since),
        "workers": state.workers,
        **state.counters,
        "last_error": state.last_error,
        "last_error_at": _iso(state.last_error_at),
    }


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")
