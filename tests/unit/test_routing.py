"""The router: route choice, failover on transport errors only, and the circuit breaker."""

import asyncio
from collections.abc import Sequence

import pytest

from smsgate.delivery.config import BreakerConfig, DeliveryConfig, RouteConfig
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.link import CONNECTING, DOWN, UP, Link, LinkState
from smsgate.delivery.providers.sandbox import SandboxConfig
from smsgate.delivery.routing import NO_ROUTE, Router
from smsgate.provider_answers import Accepted, Rejected, SubmitResult, TryLater
from tests.support.clock import FrozenClock


class ScriptedProvider:
    """Answers every message the same way and remembers what it was given."""

    def __init__(self, name: str, answer: str = "accept") -> None:
        self.name = name
        self.link = Link()
        self.answer = answer
        self.seen: list[str] = []
        self.running = asyncio.Event()
        self.stopped = False

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        self.seen += [m.msg_id for m in messages]
        if self.answer == "raise":
            raise ConnectionResetError("peer went away")
        if self.answer == "hang":
            await asyncio.Event().wait()
        results: dict[str, SubmitResult] = {
            "accept": Accepted(f"{self.name}-id"),
            "reject": Rejected(4004, "bad number"),
            "later": TryLater("link down"),
        }
        return [results[self.answer] for _ in messages]

    async def run(self) -> None:
        self.running.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.stopped = True


def sms(
    msg_id: str = "m1", mobile: str = "+8613800138000", channel: str = "sms"
) -> OutboundMessage:
    return OutboundMessage(msg_id, channel, mobile, "text")


def router(
    providers: list[ScriptedProvider],
    routes: list[RouteConfig] | None = None,
    breaker: BreakerConfig | None = None,
    voice: tuple[str, ...] = (),
) -> Router:
    configs = {
        p.name: SandboxConfig(name=p.name, channels=("voice",) if p.name in voice else ("sms",))
        for p in providers
    }
    config = DeliveryConfig(
        configs,
        tuple(routes or [RouteConfig(providers=tuple(configs))]),
        breaker or BreakerConfig(),
        None,
    )
    return Router({p.name: p for p in providers}, config)


async def test_the_most_specific_matching_route_wins() -> None:
    a, b, c, d = (ScriptedProvider(n) for n in "abcd")
    routes = [
        RouteConfig(match="*", providers=("a",)),
        RouteConfig(match="+86", providers=("b",)),
        RouteConfig(match="+86138", providers=("c",)),
        RouteConfig(match="US", providers=("d",)),
    ]
    r = router([a, b, c, d], routes)
    results = await r.submit_many(
        [
            sms("cn138", "+8613800138000"),
            sms("cn150", "+8615000150000"),
            sms("uk", "+447700900123"),
            sms("us", "+12025550123"),
        ]
    )
    assert [x.provider for x in results if isinstance(x, Accepted)] == ["c", "b", "a", "d"]
    assert (a.seen, b.seen, c.seen, d.seen) == (["uk"], ["cn150"], ["cn138"], ["us"])


async def test_a_route_serves_only_providers_of_the_message_channel() -> None:
    texts, calls = ScriptedProvider("texts"), ScriptedProvider("calls")
    r = router([texts, calls], voice=("calls",))
    [voice, text] = await r.submit_many([sms("v", channel="voice"), sms("t")])
    assert isinstance(voice, Accepted) and voice.provider == "calls"
    assert isinstance(text, Accepted) and text.provider == "texts"


async def test_no_route_is_a_refusal() -> None:
    only_us = router([ScriptedProvider("a")], [RouteConfig(match="+1", providers=("a",))])
    [result] = await only_us.submit_many([sms()])
    assert isinstance(result, Rejected) and result.report_status == NO_ROUTE


@pytest.mark.parametrize("failure", ["later", "raise"])
async def test_transport_failure_fails_over_to_the_next_provider(failure: str) -> None:
    down, up = ScriptedProvider("down", failure), ScriptedProvider("up")
    r = router([down, up], [RouteConfig(providers=("down", "up"), weights=(1, 0))])
    results = await r.submit_many([sms("m1"), sms("m2")])
    assert [x.provider for x in results if isinstance(x, Accepted)] == ["up", "up"]
    assert down.seen == ["m1", "m2"] and up.seen == ["m1", "m2"]


async def test_a_submit_that_never_answers_times_out_and_fails_over() -> None:
    hung, up = ScriptedProvider("hung", "hang"), ScriptedProvider("up")
    r = router(
        [hung, up],
        [RouteConfig(providers=("hung", "up"), weights=(1, 0))],
        BreakerConfig(submit_timeout=0.05),
    )
    [result] = await r.submit_many([sms()])
    assert isinstance(result, Accepted) and result.provider == "up"


async def test_a_refusal_is_final_and_never_tried_elsewhere() -> None:
    refusing, other = ScriptedProvider("refusing", "reject"), ScriptedProvider("other")
    r = router([refusing, other], [RouteConfig(providers=("refusing", "other"), weights=(1, 0))])
    [result] = await r.submit_many([sms()])
    assert isinstance(result, Rejected) and result.report_status == 4004
    assert other.seen == []


async def test_when_every_provider_fails_the_message_waits_for_a_retry() -> None:
    r = router([ScriptedProvider("a", "later"), ScriptedProvider("b", "later")])
    [result] = await r.submit_many([sms()])
    assert isinstance(result, TryLater)


async def test_weights_choose_the_first_try() -> None:
    a, b = ScriptedProvider("a"), ScriptedProvider("b")
    r = router([a, b], [RouteConfig(providers=("a", "b"), weights=(0, 1))])
    await r.submit_many([sms(str(i)) for i in range(20)])
    assert a.seen == [] and len(b.seen) == 20
    spread = router([a, b], [RouteConfig(providers=("a", "b"), weights=(1, 1))])
    await spread.submit_many([sms(str(i)) for i in range(200)])
    assert a.seen and len(b.seen) > 20  # both get first tries (a chance of 2**-199 to fail)


async def test_a_failing_provider_is_taken_out_then_tried_again(
    frozen_clock: FrozenClock,
) -> None:
    flaky, spare = ScriptedProvider("flaky", "later"), ScriptedProvider("spare")
    r = router(
        [flaky, spare],
        [RouteConfig(providers=("flaky", "spare"), weights=(1, 0))],
        BreakerConfig(failures=3, open_seconds=30, max_open_seconds=100),
    )
    for i in range(3):
        await r.submit_many([sms(f"m{i}")])
    assert r.breakers["flaky"].health.state == "open"
    await r.submit_many([sms("skipped")])
    assert "skipped" not in flaky.seen and "skipped" in spare.seen

    frozen_clock.advance(30_000)  # a trial is due: it fails, and the pause doubles
    await r.submit_many([sms("trial")])
    assert "trial" in flaky.seen
    health = r.breakers["flaky"].health
    assert health.state == "open" and health.open_until == frozen_clock.now + 60_000

    frozen_clock.advance(60_000)
    flaky.answer = "accept"
    [result] = await r.submit_many([sms("healed")])
    assert isinstance(result, Accepted) and result.provider == "flaky"
    assert health.state == "closed" and health.consecutive_failures == 0
    assert (health.accepted, health.failed) == (1, 4)


async def test_when_every_provider_is_out_of_service_nothing_is_tried(
    frozen_clock: FrozenClock,
) -> None:
    down = ScriptedProvider("down", "later")
    r = router([down], breaker=BreakerConfig(failures=1))
    await r.submit_many([sms("first")])
    [result] = await r.submit_many([sms("second")])
    assert isinstance(result, TryLater) and "out of service" in result.reason
    assert down.seen == ["first"]


async def test_run_runs_every_provider_and_stops_them_all() -> None:
    a, b = ScriptedProvider("a"), ScriptedProvider("b")
    task = asyncio.create_task(router([a, b]).run())
    await asyncio.wait_for(asyncio.gather(a.running.wait(), b.running.wait()), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert a.stopped and b.stopped


async def test_a_provider_whose_link_is_down_gets_nothing_until_it_is_back(
    frozen_clock: FrozenClock,
) -> None:
    carrier, spare = ScriptedProvider("carrier"), ScriptedProvider("spare")
    r = router([carrier, spare], [RouteConfig(providers=("carrier", "spare"), weights=(1, 0))])
    frozen_clock.advance(1_000)
    carrier.link.down("carrier#1: bind failed: ConnectionRefusedError")
    health = r.breakers["carrier"].health
    assert (health.state, health.since) == ("down", frozen_clock.now)
    assert health.last_error == "carrier#1: bind failed: ConnectionRefusedError"
    assert health.submitted == 0  # down without a single message
    [result] = await r.submit_many([sms("while-down")])
    assert isinstance(result, Accepted) and result.provider == "spare"
    assert carrier.seen == []

    frozen_clock.advance(5_000)
    carrier.link.up()
    assert (health.state, health.since) == ("closed", frozen_clock.now)
    [result] = await r.submit_many([sms("back")])
    assert isinstance(result, Accepted) and result.provider == "carrier"


async def test_a_down_provider_is_down_whatever_its_breaker_says() -> None:
    carrier = ScriptedProvider("carrier", "accept")
    r = router([carrier])
    await r.submit_many([sms("fine")])  # the breaker has only seen successes
    carrier.link.down("connection refused")
    assert r.breakers["carrier"].health.state == "down"
    [result] = await r.submit_many([sms("waits")])
    assert isinstance(result, TryLater) and "out of service" in result.reason
    assert carrier.seen == ["fine"]


async def test_a_link_coming_back_gives_an_open_breaker_its_trial_at_once(
    frozen_clock: FrozenClock,
) -> None:
    carrier = ScriptedProvider("carrier", "later")
    r = router([carrier], breaker=BreakerConfig(failures=1, open_seconds=600))
    await r.submit_many([sms("lost")])  # the outage began with a failed submit
    health = r.breakers["carrier"].health
    assert health.state == "open"
    carrier.link.down("bind dropped by the SMSC")
    carrier.link.up()
    assert health.state == "half-open"  # no need to wait the 600 s out
    carrier.answer = "accept"
    [result] = await r.submit_many([sms("trial")])
    assert isinstance(result, Accepted) and health.state == "closed"


async def test_every_change_of_state_is_signalled_and_nothing_else() -> None:
    carrier = ScriptedProvider("carrier")
    r = router([carrier], breaker=BreakerConfig(failures=1))
    assert not r.health_changed.is_set()
    await r.submit_many([sms("counted")])
    assert not r.health_changed.is_set()  # counters go out with the periodic write
    carrier.link.down("refused")
    assert r.health_changed.is_set()
    r.health_changed.clear()
    carrier.link.down("refused again")  # a new error, the same state
    assert not r.health_changed.is_set()
    assert r.breakers["carrier"].health.last_error == "refused again"
    carrier.link.up()
    assert r.health_changed.is_set()


async def test_a_link_of_parts_is_up_while_one_is_and_down_when_none_is(
    frozen_clock: FrozenClock,
) -> None:
    first, second, whole = Link(), Link(), Link()
    for part in (first, second):
        part.listen(lambda _: whole.follow([first, second]))
    first.down("first refused")
    assert whole.current.state == DOWN  # no part up, one failed
    second.up()
    assert whole.current.state == UP
    frozen_clock.advance(1_000)
    second.down("second dropped")
    assert whole.current == LinkState(DOWN, frozen_clock.now, "second dropped")
    waiting = asyncio.create_task(whole.until(UP))
    await asyncio.sleep(0)
    assert not waiting.done()
    first.up()
    await asyncio.wait_for(waiting, 5)
    assert Link().current.state == CONNECTING  # not tried yet: the router treats it as up
