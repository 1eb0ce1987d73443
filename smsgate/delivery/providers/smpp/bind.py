"""One transceiver bind: connect, keep it up, submit through it within its window and TPS.

smpp34 (a Rust core under asyncio) does the wire work: PDU framing, sequence numbers,
enquire_link keepalive, and deliver_sm_resp for every deliver_sm. This class adds what a
carrier link needs around it: rebinding with backoff, a window that waits instead of failing,
a TPS pace, and a clean unbind when the worker stops.
"""

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import smpp34
import structlog

from smsgate.delivery.providers.link import Link
from smsgate.delivery.providers.smpp.config import SmppConfig
from smsgate.delivery.providers.smpp.encoding import SubmitPart
from smsgate.delivery.providers.smpp.nodelay import set_nodelay

log = structlog.get_logger(__name__)
UNBIND_TIMEOUT_SECONDS = 2.0
# deliver_sm (receipts, replies) smpp34 holds until the read loop takes them. At its default
# (about a thousand) an event loop busy with a burst falls behind the receipts, and the core
# then fails every submit of the bind with ESME_RSYSERR: whole batches fail and the circuit
# breaker takes the provider out for open_seconds. Events are small; a deep queue is cheap.
INBOUND_CAPACITY = 100_000
# deliver_sm awaited at once on a bind. smpp34 hands each awaiter its event through the event
# loop, one per turn: with a single reader a loop busy accepting sends (a turn of 5-15 ms) took
# a few hundred receipts a second per bind while a thousand came in, and they piled up until
# the load stopped. Readers each take the next event; which reads a receipt does not matter.
CONCURRENT_READS = 8


class _SessionEnded(Exception):
    """One reader saw the session end: the others stop with it."""


class BindLost(Exception):
    """The submit got no submit_sm_resp: the bind was down or dropped. The SMSC may or may not
    have taken it."""


@dataclass(frozen=True, slots=True)
class Delivered:
    """A deliver_sm as the bind received it (already answered with deliver_sm_resp)."""

    source_addr: str
    source_addr_ton: int
    destination_addr: str
    esm_class: int
    data_coding: int
    short_message: bytes
    tlvs: tuple[tuple[int, bytes], ...]


async def _bind_answer(
    connecting: "asyncio.Future[smpp34.Smsc]", deadline: float
) -> smpp34.Smsc | None:
    """The session a bind under way ends with, waiting for it until `deadline` (loop time);
    None when the bind fails or takes longer, and is then cancelled.

    A stop must not cancel a bind the SMSC has taken: smpp34 then hands no session out, and
    neither unbinds the bind nor closes its socket (`Client.stop()` does not either), so the
    SMSC keeps a bind nobody uses until the process exits."""
    try:
        await asyncio.wait(
            [connecting], timeout=max(deadline - asyncio.get_running_loop().time(), 0)
        )
    finally:
        if not connecting.done():  # a second stop, or no answer in time: give the bind up
            connecting.cancel()
    if connecting.cancelled() or connecting.exception() is not None:
        return None
    return connecting.result()


class Bind:
    def __init__(
        self, config: SmppConfig, number: int, on_deliver: Callable[[Delivered], Awaitable[None]]
    ) -> None:
        self._config = config
        self.label = f"{config.name}#{number}"
        self._on_deliver = on_deliver
        self._session: smpp34.Smsc | None = None
        self._client: smpp34.Client | None = None
        self.ready = asyncio.Event()
        self.link = Link()  # up while bound; down from a failed bind or a drop until rebound
        self._window = asyncio.Semaphore(config.window)
        self._next_send = 0.0
        self.times_bound = 0  # successful binds so far, for status and tests
        # submit_sm answered (taken or refused by the SMSC) and lost, for the console
        self.answered = 0
        self.lost = 0

    @property
    def window_size(self) -> int:
        return self._config.window

    @property
    def window_in_use(self) -> int:
        """Window slots taken: submit_sm sent or about to be, without their submit_sm_resp."""
        return self._config.window - self._window._value

    async def run(self) -> None:
        """Bind, read until the bind drops, rebind after a backoff; unbind when cancelled."""
        delay = self._config.reconnect_min_seconds
        try:
            while True:
                try:
                    await self._connect()
                except Exception as error:  # refused, unreachable, timed out: the same remedy
                    reason = f"{type(error).__name__}: {error}"
                    log.warning("smpp bind failed", bind=self.label, error=reason, retry_in=delay)
                    self.link.down(f"{self.label}: bind failed: {reason}")
                    await self._stop_client()
                else:
                    delay = self._config.reconnect_min_seconds
                    await self._read_until_dropped()
                    log.warning("smpp bind dropped", bind=self.label, retry_in=delay)
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))  # jitter: binds spread out
                delay = min(delay * 2, self._config.reconnect_max_seconds)
        finally:
            await self._close()

    async def _connect(self) -> None:
        """Bind, or raise why not (TimeoutError past connect_timeout_seconds). Not with
        asyncio.wait_for: on Python 3.11 it loses a stop (cancel) that comes as the SMSC's answer
        lands, and the bind would then read on for ever instead of stopping."""
        config = self._config
        client = smpp34.Client(
            config.host,
            config.port,
            config.system_id,
            config.password,
            bind_type="TRX",
            system_type=config.system_type,
            window_size=config.window,
            inbound_capacity=INBOUND_CAPACITY,
            connect_timeout_ms=int(config.connect_timeout_seconds * 1000),
        )
        self._client = client
        connecting = asyncio.ensure_future(client.connect())
        deadline = asyncio.get_running_loop().time() + config.connect_timeout_seconds
        try:
            await asyncio.wait([connecting], timeout=config.connect_timeout_seconds)
        except asyncio.CancelledError:  # a stop while the bind is under way
            self._session = await _bind_answer(connecting, deadline)  # for `_close` to unbind
            raise
        if not connecting.done():
            connecting.cancel()
            raise TimeoutError
        self._session = connecting.result()
        set_nodelay(peer_port=config.port)  # smpp34 leaves Nagle on: answers would wait ~40 ms
        self.times_bound += 1
        self.ready.set()
        self.link.up()
        log.info("smpp bound", bind=self.label, host=config.host, port=config.port)

    async def _read_until_dropped(self) -> None:
        """Pass deliver_sm on until the bind drops. Cancelled, it leaves the session for
        `_close` to unbind."""
        session = self._session
        assert session is not None
        reason = "bind dropped by the SMSC"
        try:
            async with asyncio.TaskGroup() as readers:
                for _ in range(CONCURRENT_READS):
                    readers.create_task(self._read(session))
        except* _SessionEnded:
            pass
        except* Exception as failed:  # the bind is unusable; rebinding is the way out
            error = failed.exceptions[0]
            reason = f"read failed: {type(error).__name__}: {error}"
            log.warning("smpp read failed", bind=self.label, error=reason)
        self.ready.clear()
        self._session = None
        self.link.down(f"{self.label}: {reason}")
        await self._stop_client()

    async def _read(self, session: smpp34.Smsc) -> None:
        """One of the bind's readers: each deliver_sm it takes passed on; raises _SessionEnded
        when the session ends."""
        while not isinstance(event := await session.next(), smpp34.Disconnected):
            delivered = Delivered(
                event.source_addr,
                event.source_addr_ton,
                event.destination_addr,
                event.esm_class,
                event.data_coding,
                event.short_message,
                tuple((tlv.tag, tlv.value) for tlv in event.tlvs),
            )
            try:
                await self._on_deliver(delivered)
            except Exception:  # one unreadable deliver_sm must not take the bind down
                log.exception("smpp deliver_sm not handled", bind=self.label)
        raise _SessionEnded

    async def _close(self) -> None:
        """Unbind politely; an SMSC that just closes the socket has unbound too."""
        self.ready.clear()
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(smpp34.SmppError, OSError, TimeoutError):
                async with asyncio.timeout(UNBIND_TIMEOUT_SECONDS):
                    await session.unbind()
            log.info("smpp unbound", bind=self.label)
        await self._stop_client()

    async def _stop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(smpp34.SmppError, OSError, TimeoutError):
                async with asyncio.timeout(UNBIND_TIMEOUT_SECONDS):
                    await client.stop()

    async def submit(self, destination: str, part: SubmitPart) -> smpp34.SubmitSmResp:
        """One submit_sm, waiting for a window slot and its TPS turn; BindLost when no
        submit_sm_resp comes (the bind is down, drops, or the SMSC stays silent)."""
        config = self._config
        async with self._window:
            session = self._session
            if session is None:
                raise BindLost(f"{self.label} is not bound")
            await self._wait_turn()
            try:
                async with asyncio.timeout(config.submit_timeout_seconds):
                    answer = await session.submit_sm(
                        destination,
                        part.short_message,
                        source_addr=config.source_addr,
                        source_addr_ton=config.source_ton,
                        source_addr_npi=config.source_npi,
                        dest_addr_ton=config.dest_ton,
                        dest_addr_npi=config.dest_npi,
                        esm_class=part.esm_class,
                        registered_delivery=1 if config.registered_delivery else 0,
                        data_coding=part.data_coding,
                        tlvs=[smpp34.Tlv(tag, value) for tag, value in part.tlvs],
                    )
            except (smpp34.SmppError, OSError, TimeoutError) as error:
                self.lost += 1
                raise BindLost(f"{self.label}: {type(error).__name__}: {error}") from error
            self.answered += 1
            return answer

    def hold(self, seconds: float) -> None:
        """Send nothing for this long: the SMSC said it is throttling or its queue is full."""
        until = asyncio.get_running_loop().time() + seconds
        self._next_send = max(self._next_send, until)

    def held(self) -> bool:
        return self._next_send > asyncio.get_running_loop().time()

    async def _wait_turn(self) -> None:
        """Space submits 1/tps apart on this bind (no bursts beyond the carrier's rate), and
        wait out a hold."""
        now = asyncio.get_running_loop().time()
        start = max(now, self._next_send)
        if self._config.tps is not None:
            self._next_send = start + 1 / self._config.tps
        if start > now:
            await asyncio.sleep(start - now)
