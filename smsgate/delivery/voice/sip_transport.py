"""The UDP sockets of one call: SIP to the trunk, RTP from a port of the configured range."""

import asyncio
import contextlib
import random
from typing import cast

from smsgate.delivery.voice.rtp import RtpSender
from smsgate.delivery.voice.sip_message import SipMessage, SipParseError, parse_message


class TransportFailure(Exception):
    """The trunk could not be reached (DNS, ICMP unreachable, no answer at all)."""


class SipSocket(asyncio.DatagramProtocol):
    """A UDP socket connected to the trunk, so ICMP errors reach us as exceptions."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self._inbox: asyncio.Queue[SipMessage | Exception] = asyncio.Queue()

    @classmethod
    async def open(cls, host: str, port: int) -> "SipSocket":
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_datagram_endpoint(cls, remote_addr=(host, port))
        except OSError as error:
            raise TransportFailure(f"cannot reach {host}:{port}: {error}") from error
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if data.strip():  # a CRLF keep-alive is not a message
            with contextlib.suppress(SipParseError, UnicodeDecodeError, ValueError):
                self._inbox.put_nowait(parse_message(data))

    def error_received(self, exc: Exception) -> None:
        self._inbox.put_nowait(exc)

    @property
    def local_address(self) -> tuple[str, int]:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.sendto(data)

    async def receive(self, within: float) -> SipMessage | None:
        """The next message, None after `within` seconds; TransportFailure on an ICMP error."""
        try:
            item = await asyncio.wait_for(self._inbox.get(), max(within, 0.0))
        except TimeoutError:
            return None
        if isinstance(item, Exception):
            raise TransportFailure(f"the trunk is unreachable: {item}") from item
        return item

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_rtp(local_ip: str, ports: tuple[int, int]) -> tuple[RtpSender, int]:
    """An RTP socket on a free even port of the range (RFC 3550 §11: RTP on even ports)."""
    loop = asyncio.get_running_loop()
    low, high = ports
    candidates = list(range(low + low % 2, high + 1, 2))
    random.shuffle(candidates)  # concurrent calls and processes rarely try the same one
    for port in candidates[:64]:
        try:
            _, protocol = await loop.create_datagram_endpoint(
                RtpSender, local_addr=(local_ip, port)
            )
        except OSError:
            continue
        return protocol, port
    raise TransportFailure(f"no free RTP port in {low}-{high}")
