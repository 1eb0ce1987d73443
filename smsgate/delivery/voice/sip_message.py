"""SIP messages on the wire (RFC 3261 §7): building requests, parsing what comes back."""

import re
import secrets
from dataclasses import dataclass, field

SIP_VERSION = "SIP/2.0"
# Compact header forms (RFC 3261 §7.3.3) a peer may use.
_COMPACT = {
    "v": "via",
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
}
_TAG = re.compile(r";\s*tag=([^;>\s]+)", re.IGNORECASE)
_ANGLE_URI = re.compile(r"<([^>]+)>")


class SipParseError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SipMessage:
    """A request (method and uri set) or a response (status and reason set)."""

    headers: list[tuple[str, str]]
    body: bytes = b""
    method: str | None = None
    uri: str | None = None
    status: int | None = None
    reason: str = ""

    def header(self, name: str) -> str | None:
        """The first value of a header, by any spelling (case, compact form)."""
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        wanted = _canonical(name)
        return [value for key, value in self.headers if _canonical(key) == wanted]

    @property
    def cseq(self) -> tuple[int, str]:
        number, _, method = (self.header("CSeq") or "").partition(" ")
        return int(number), method.strip()


def _canonical(name: str) -> str:
    lowered = name.strip().lower()
    return _COMPACT.get(lowered, lowered)


def parse_message(data: bytes) -> SipMessage:
    """One datagram: start line, headers (folded lines joined), body by Content-Length."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = data.partition(b"\n\n")
    lines = head.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")
    if not lines or not lines[0]:
        raise SipParseError("empty message")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # a folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
        elif ":" in line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    length = next((v for k, v in headers if _canonical(k) == "content-length"), None)
    if length is not None and length.isdigit():
        body = body[: int(length)]
    start = lines[0].split(" ", 2)
    if start[0] == SIP_VERSION:
        if len(start) < 2 or not start[1].isdigit():
            raise SipParseError(f"bad status line {lines[0]!r}")
        return SipMessage(
            headers, body, status=int(start[1]), reason=start[2] if len(start) > 2 else ""
        )
    if len(start) != 3 or start[2] != SIP_VERSION:
        raise SipParseError(f"bad request line {lines[0]!r}")
    return SipMessage(headers, body, method=start[0], uri=start[1])


def build_request(
    method: str, uri: str, headers: list[tuple[str, str]], body: bytes = b""
) -> bytes:
    lines = [f"{method} {uri} {SIP_VERSION}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def build_response(request: SipMessage, status: int, reason: str) -> bytes:
    """A body-less answer to a request the peer sent (a BYE, an OPTIONS)."""
    copied = [
        (name, value)
        for name, value in request.headers
        if _canonical(name) in {"via", "from", "to", "call-id", "cseq"}
    ]
    lines = [f"{SIP_VERSION} {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in copied]
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def tag_of(address: str | None) -> str | None:
    """The tag parameter of a From / To value."""
    found = _TAG.search(address or "")
    return found.group(1) if found else None


def uri_of(address: str) -> str:
    """The URI inside a name-addr (`"Bob" <sip:bob@host>;tag=1`) or a bare addr-spec."""
    found = _ANGLE_URI.search(address)
    return found.group(1) if found else address.split(";", 1)[0].strip()


def new_branch() -> str:
    return "z9hG4bK" + secrets.token_hex(10)  # the RFC 3261 magic cookie


def new_token() -> str:
    return secrets.token_hex(8)


@dataclass(slots=True)
class Dialog:
    """What requests within one call share (RFC 3261 §12)."""

    call_id: str
    local_uri: str
    local_tag: str
    remote_uri: str
    request_uri: str
    remote_tag: str | None = None
    cseq: int = 1
    route_set: list[str] = field(default_factory=list)
