"""Sending audio as RTP (RFC 3550, audio profile RFC 3551): 20 ms packets paced in real time."""

import asyncio
import secrets
import struct
from dataclasses import dataclass
from typing import cast

SAMPLES_PER_PACKET = 160  # 20 ms at 8 kHz, one G.711 byte per sample
PACKET_SECONDS = 0.02
_HEADER = struct.Struct("!BBHII")
RTP_VERSION = 2


@dataclass(frozen=True, slots=True)
class RtpHeader:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    marker: bool = False

    def pack(self) -> bytes:
        return _HEADER.pack(
            RTP_VERSION << 6,  # no padding, no extension, no CSRC
            (0x80 if self.marker else 0) | self.payload_type,
            self.sequence & 0xFFFF,
            self.timestamp & 0xFFFFFFFF,
            self.ssrc,
        )


def parse_header(packet: bytes) -> RtpHeader:
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(packet)
    if first >> 6 != RTP_VERSION:
        raise ValueError("not an RTP version 2 packet")
    return RtpHeader(second & 0x7F, sequence, timestamp, ssrc, bool(second & 0x80))


def packetise(payload: bytes, payload_type: int) -> list[bytes]:
    """The audio as packets of one stream: random SSRC, first sequence number and timestamp
    (RFC 3550 §5.1), marker on the first packet (start of a talkspurt, RFC 3551 §4.1). The last
    packet is padded with silence to a whole 20 ms."""
    ssrc = secrets.randbits(32)
    sequence = secrets.randbits(16)
    timestamp = secrets.randbits(32)
    silence = payload[-1:] or b"\xff"
    packets = []
    for index, start in enumerate(range(0, len(payload), SAMPLES_PER_PACKET)):
        chunk = payload[start : start + SAMPLES_PER_PACKET]
        chunk += silence * (SAMPLES_PER_PACKET - len(chunk))
        header = RtpHeader(
            payload_type,
            sequence + index,
            timestamp + index * SAMPLES_PER_PACKET,
            ssrc,
            marker=index == 0,
        )
        packets.append(header.pack() + chunk)
    return packets


class RtpSender(asyncio.DatagramProtocol):
    """A local RTP port: sends our packets, drops whatever the callee sends back."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    async def play(self, packets: list[bytes], target: tuple[str, int], stop: asyncio.Event) -> int:
        """Send every packet at its due time (measured from the start, so delays do not add
        up); ends early when `stop` is set. Returns how many were sent."""
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index, packet in enumerate(packets):
            if stop.is_set():
                return index
            self.transport.sendto(packet, target)
            due = start + (index + 1) * PACKET_SECONDS
            await asyncio.sleep(max(0.0, due - loop.time()))
        return len(packets)
