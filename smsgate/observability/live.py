"""Metrics read from the running process at scrape time: breaker states, SMPP binds and window,
loop heartbeats. Nothing here touches the database; it reads what the delivery objects hold.

Only one process state is watched at a time (the one whose loops run); tests that build several
just replace it.
"""

from collections.abc import Iterator
from typing import Any, Protocol

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from smsgate.delivery.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from smsgate.delivery.providers.link import DOWN
from smsgate.telemetry.process_state import ProcessState

BREAKER_STATES = (CLOSED, OPEN, HALF_OPEN, DOWN)


class _Bind(Protocol):
    ready: Any  # an asyncio.Event: set while bound

    @property
    def window_in_use(self) -> int: ...


class LiveCollector(Collector):
    def __init__(self) -> None:
        self.state: ProcessState | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = self.state
        breaker = GaugeMetricFamily(
            "smsgate_provider_breaker_state",
            "1 for the state each provider is in: closed (in service), half-open, open, or down "
            "(its carrier cannot be reached).",
            labels=["provider", "state"],
        )
        binds = GaugeMetricFamily(
            "smsgate_smpp_binds", "SMPP binds configured per provider.", labels=["provider"]
        )
        binds_up = GaugeMetricFamily(
            "smsgate_smpp_binds_up", "SMPP binds bound right now.", labels=["provider"]
        )
        window = GaugeMetricFamily(
            "smsgate_smpp_window_in_use",
            "submit_sm awaiting their submit_sm_resp, summed over the provider's binds.",
            labels=["provider"],
        )
        heartbeat = GaugeMetricFamily(
            "smsgate_loop_heartbeat_age_seconds",
            "Seconds since each background loop last completed a pass.",
            labels=["loop"],
        )
        if state is not None:
            for loop, age in state.heartbeats.ages().items():
                heartbeat.add_metric([loop], age)
            for name, health in _breakers(state).items():
                for value in BREAKER_STATES:
                    breaker.add_metric([name, value], 1.0 if health.health.state == value else 0.0)
            for name, provider_binds in _binds(state).items():
                binds.add_metric([name], len(provider_binds))
                binds_up.add_metric([name], sum(b.ready.is_set() for b in provider_binds))
                window.add_metric([name], sum(b.window_in_use for b in provider_binds))
        yield from (breaker, binds, binds_up, window, heartbeat)


def _breakers(state: ProcessState) -> dict[str, CircuitBreaker]:
    breakers: dict[str, CircuitBreaker] = getattr(state.provider, "breakers", {})
    return breakers


def _binds(state: ProcessState) -> dict[str, list[_Bind]]:
    """Providers that hold SMPP binds (the router's, or the one provider)."""
    providers = getattr(state.provider, "providers", None) or (
        {state.provider.name: state.provider} if state.provider is not None else {}
    )
    return {name: list(p.binds) for name, p in providers.items() if hasattr(p, "binds")}


LIVE = LiveCollector()
REGISTRY.register(LIVE)


def watch(state: ProcessState) -> None:
    LIVE.state = state


def unwatch(state: ProcessState) -> None:
    if LIVE.state is state:
        LIVE.state = None
