"""The SDP offer of a call and the callee's answer (RFC 4566, offer/answer RFC 3264)."""

from dataclasses import dataclass

from smsgate.delivery.voice.g711 import PAYLOAD_TYPES


class SdpError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class MediaTarget:
    """Where the callee wants our RTP, and the payload types it accepted."""

    host: str
    port: int
    payload_types: tuple[int, ...]


def build_offer(session_id: int, local_ip: str, rtp_port: int, codec: str) -> bytes:
    """One audio stream in the configured G.711 law, 20 ms packets."""
    payload_type = PAYLOAD_TYPES[codec]
    lines = [
        "v=0",
        f"o=smsgate {session_id} {session_id} IN IP4 {local_ip}",
        "s=smsgate",
        f"c=IN IP4 {local_ip}",
        "t=0 0",
        f"m=audio {rtp_port} RTP/AVP {payload_type}",
        f"a=rtpmap:{payload_type} {codec}/8000",
        "a=ptime:20",
        "a=sendrecv",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def parse_answer(body: bytes) -> MediaTarget:
    """The first audio stream's address (media-level c= over session-level) and formats."""
    session_host: str | None = None
    media_host: str | None = None
    port: int | None = None
    formats: tuple[int, ...] = ()
    in_audio = False
    for raw in body.decode("utf-8", errors="replace").splitlines():
        line = raw.strip()
        if line.startswith("m="):
            if port is not None:
                break  # only the first audio stream matters
            parts = line[2:].split()
            in_audio = parts[0] == "audio" and len(parts) >= 4
            if in_audio:
                port = int(parts[1])
                formats = tuple(int(p) for p in parts[3:] if p.isdigit())
        elif line.startswith("c="):
            address = line[2:].split()
            if len(address) < 3:
                raise SdpError(f"bad connection line {line!r}")
            if port is None:
                session_host = address[2]
            elif in_audio:
                media_host = address[2]
    host = media_host or session_host
    if port is None or host is None:
        raise SdpError("the answer has no audio stream with an address")
    return MediaTarget(host, port, formats)
