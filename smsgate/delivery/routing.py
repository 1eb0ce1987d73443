"""The router: the provider the worker talks to when providers are configured.

Each message gets a plan: the providers of the most specific route that matches its number and
channel, the first one picked by weight among those in service (not down, breaker not open),
the rest in failover order. A transport failure (TryLater, an exception, a timeout) moves the
message to the next provider of its plan within the same pass; a refusal (Rejected) never does,
since another carrier would refuse the same message.
"""

import asyncio
import contextlib
import random
from collections.abc import Sequence
from dataclasses import replace

import phonenumbers

from smsgate import clock
from smsgate.delivery.breaker import CircuitBreaker
from smsgate.delivery.config import DeliveryConfig, RouteConfig
from smsgate.delivery.providers.base import OutboundMessage, Provider
from smsgate.delivery.providers.link import Link
from smsgate.provider_answers import Accepted, Rejected, SubmitResult, TryLater, Via
from smsgate.report_status import ReportStatus
from smsgate.telemetry import metrics

NO_ROUTE = ReportStatus.OTHER_ERROR


class Router:
    name = "router"

    def __init__(self, providers: dict[str, Provider], config: DeliveryConfig) -> None:
        self.providers = providers
        self.link = Link()  # up while any provider is, down when none is
        for provider in providers.values():
            provider.link.listen(lambda _: self.link.follow([p.link for p in providers.values()]))
        self._config = config
        self._channels = {name: config.providers[name].channels for name in providers}
        # Set whenever a provider's state changes (down, open, ...), so it is saved at once.
        self.health_changed = asyncio.Event()
        self.breakers = {
            name: CircuitBreaker(config.breaker, provider.link, self.health_changed.set)
            for name, provider in providers.items()
        }

    @property
    def concurrency(self) -> int:
        """Messages worth having in flight: the sum of what the providers pipeline (0 for
        those that take a batch at a time)."""
        return sum(getattr(p, "concurrency", 0) for p in self.providers.values())

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        results: list[SubmitResult | None] = [None] * len(messages)
        planned = [self._plan(message) for message in messages]
        routes, plans = [route for route, _ in planned], [plan for _, plan in planned]
        failed_over: list[list[tuple[str, str]]] = [[] for _ in messages]
        for index, plan in enumerate(plans):
            via = Via(_match(routes[index]), None)
            if plan is None:
                results[index] = Rejected(NO_ROUTE, "no route for this number and channel", via)
            elif not plan:
                results[index] = TryLater("every provider of the route is out of service", via)
        while waiting := [i for i, result in enumerate(results) if result is None]:
            groups: dict[str, list[int]] = {}
            for index in waiting:
                name = plans[index].pop(0)  # type: ignore[union-attr]
                groups.setdefault(name, []).append(index)
            passes = await asyncio.gather(
                *(
                    self._submit_to(name, [messages[i] for i in group])
                    for name, group in groups.items()
                )
            )
            for (name, group), outcomes in zip(groups.items(), passes, strict=True):
                for index, outcome in zip(group, outcomes, strict=True):
                    via = Via(_match(routes[index]), name, tuple(failed_over[index]))
                    if isinstance(outcome, Accepted):
                        results[index] = replace(outcome, provider=name, via=via)
                    elif isinstance(outcome, Rejected) or not plans[index]:  # no more to try
                        results[index] = replace(outcome, via=via)
                    else:
                        failed_over[index].append((name, outcome.reason))
        return [result for result in results if result is not None]

    def plan(self, message: OutboundMessage) -> list[str] | None:
        """The providers to try for a message, in order: None when no route fits, empty when
        every provider of its route is out of service (the message waits in the outbox)."""
        return self._plan(message)[1]

    def _plan(self, message: OutboundMessage) -> tuple[RouteConfig | None, list[str] | None]:
        route = self._route_for(message)
        if route is None:
            return None, None
        now = clock.now_ms()
        names = [n for n in route.providers if message.channel in self._channels.get(n, ())]
        if not names:
            return route, None
        in_service = [n for n in names if self.breakers[n].available(now)]
        if not in_service:
            return route, []
        weights = dict(
            zip(route.providers, route.weights or [1] * len(route.providers), strict=True)
        )
        candidates = [n for n in in_service if weights[n] > 0] or in_service
        first = random.choices(candidates, [weights[n] or 1 for n in candidates])[0]
        return route, [first, *(n for n in in_service if n != first)]

    def _route_for(self, message: OutboundMessage) -> RouteConfig | None:
        best: tuple[int, RouteConfig] | None = None
        for route in self._config.routes:
            if route.channel not in (None, message.channel):
                continue
            score = _specificity(route.match, message.mobile)
            if score is not None and (best is None or score > best[0]):
                best = (score, route)
        return best[1] if best else None

    async def _submit_to(self, name: str, batch: list[OutboundMessage]) -> list[SubmitResult]:
        timeout = self._config.breaker.submit_timeout
        try:
            results = await asyncio.wait_for(self.providers[name].submit_many(batch), timeout)
        except TimeoutError:
            results = [TryLater(f"{name}: no answer in {timeout:g} s") for _ in batch]
        except Exception as error:  # a provider bug must not lose the batch
            results = [TryLater(f"{name}: {type(error).__name__}: {error}") for _ in batch]
        self.breakers[name].record(results, clock.now_ms())
        metrics.provider_answered(name, results)
        return results

    async def run(self) -> None:
        """Every provider's background work (binds, polling) until cancelled."""
        tasks = [asyncio.create_task(p.run()) for p in self.providers.values()]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


def _match(route: RouteConfig | None) -> str | None:
    return None if route is None else route.match


def _specificity(match: str, mobile: str) -> int | None:
    """How closely a route's `match` fits a number (longer prefixes win); None: not at all."""
    if match == "*":
        return 0
    if match.startswith("+"):
        return len(match) if mobile.startswith(match) else None
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(mobile))
    except phonenumbers.NumberParseException:
        return None
    if region != match:
        return None
    return 1 + len(str(phonenumbers.country_code_for_region(match)))
