"""Raw HTTP/1.1 against the real process: what uvicorn, the framework and smsgate do together
with requests that an in-process client cannot make.

Everything smsgate answers must be the JSMS JSON envelope (the SDKs call `r.json()` on any
answer), including the answers the framework produces by itself. Bodies are capped at 64 KiB
however they arrive, and a client that vanishes half-way through its body costs nothing.
"""

import base64
import http.client
import json
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .server import SmsgateServer

MAX_BODY = 64 * 1024
SIGN = "RawHTTP"
SOCKET_TIMEOUT = 10.0


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Sender:
    """An app that may send the notification template `temp_id` ("订单{{order}}已发货。")."""

    authorization: str
    temp_id: int


@pytest.fixture(scope="module")
def sender(smsgate_server: SmsgateServer) -> Iterator[Sender]:
    app_key, secret = smsgate_server.create_app("raw", "--sign", SIGN)
    temp_id = smsgate_server.create_template(app_key, 2, "订单{{order}}已发货。")
    token = base64.b64encode(f"{app_key}:{secret}".encode()).decode()
    yield Sender(f"Basic {token}", temp_id)


def request_head(method: str, path: str, *headers: str) -> bytes:
    """The request line and headers, with `Connection: close` so the answer ends the stream."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def send_head(sender: Sender, framing: str) -> bytes:
    """The head of an authenticated POST /v1/messages with the given body framing header
    (Content-Length or Transfer-Encoding)."""
    return request_head("POST", "/v1/messages", f"Authorization: {sender.authorization}", framing)


def exchange(server: SmsgateServer, raw_request: bytes) -> Answer:
    """Write the bytes as they are and read one HTTP answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT) as sock:
        sock.sendall(raw_request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        return Answer(response.status, response.getheader("content-type", ""), body)


def send_body(sender: Sender, mobile: str, order: str, size: int | None = None) -> bytes:
    """A valid /v1/messages body, padded with trailing JSON whitespace to exactly `size`."""
    body = json.dumps(
        {"mobile": mobile, "temp_id": sender.temp_id, "temp_para": {"order": order}}
    ).encode()
    if size is not None:
        assert len(body) <= size
        body += b" " * (size - len(body))
    return body


def chunked(body: bytes, chunk_size: int = 8192) -> bytes:
    parts = [
        f"{len(body[i : i + chunk_size]):x}\r\n".encode() + body[i : i + chunk_size] + b"\r\n"
        for i in range(0, len(body), chunk_size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def assert_jsms_error(answer: Answer, status: int, code: int) -> None:
    assert answer.status == status, answer
    assert answer.content_type.startswith("application/json"), answer
    envelope = answer.json()
    assert isinstance(envelope.get("error"), dict), envelope
    assert envelope["error"]["code"] == code, envelope
    assert isinstance(envelope["error"]["message"], str) and envelope["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/v1/nope"),
        ("POST", "/v2/codes"),
        ("POST", "/v1/codes/abc/def"),
        ("GET", "/v1/docs"),
        ("GET", "/v1/openapi.json"),
        ("GET", "/docs/static/nope.js"),
        ("GET", "/favicon.ico"),
    ],
)
def test_unknown_path_is_jsms_404(smsgate_server: SmsgateServer, method: str, path: str) -> None:
    """Unknown paths answer 404/50016 as JSON, never a framework page (the API document lives
    at /openapi.json and /docs only, outside /v1/)."""
    answer = exchange(smsgate_server, request_head(method, path, "Content-Length: 0"))
    assert_jsms_error(answer, 404, 50016)
    assert answer.json() == {"error": {"code": 50016, "message": "api not found"}}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/codes"),
        ("PUT", "/v1/messages"),
        ("PATCH", "/v1/voice_codes"),
        ("GET", "/v1/codes/some-msg-id/valid"),
        ("POST", "/v1/codes/some-msg-id"),  # GET reads a code's state
        ("POST", "/v1/accounts/app"),
        ("DELETE", "/v1/accounts/app"),
    ],
)
def test_wrong_method_is_jsms_405(smsgate_server: SmsgateServer, method: str, path: str) -> None:
    """A known path with the wrong method answers 405/50018 as JSON."""
    answer = exchange(smsgate_server, request_head(method, path, "Content-Length: 0"))
    assert_jsms_error(answer, 405, 50018)
    assert answer.json() == {"error": {"code": 50018, "message": "request method not support"}}


def test_body_of_exactly_64_kib_is_accepted(smsgate_server: SmsgateServer, sender: Sender) -> None:
    """The limit is 64 KiB inclusive: a valid body of exactly that size is a normal send."""
    body = send_body(sender, "13600136001", "limit", MAX_BODY)
    head = send_head(sender, f"Content-Length: {MAX_BODY}")
    answer = exchange(smsgate_server, head + body)
    assert answer.status == 200, answer
    assert set(answer.json()) == {"msg_id"}


def test_declared_body_over_64_kib_is_refused(
    smsgate_server: SmsgateServer, sender: Sender
) -> None:
    """One byte over the limit, announced by Content-Length: 403/50007 as JSON."""
    body = send_body(sender, "13600136002", "over", MAX_BODY + 1)
    head = send_head(sender, f"Content-Length: {len(body)}")
    assert_jsms_error(exchange(smsgate_server, head + body), 403, 50007)


def test_huge_declared_body_is_refused_before_it_is_sent(
    smsgate_server: SmsgateServer, sender: Sender
) -> None:
    """A client announcing 1 GB gets its 403/50007 at once: the server does not wait for
    (or buffer) a body it will refuse anyway. Only the headers are ever written here."""
    head = send_head(sender, "Content-Length: 1000000000")
    assert_jsms_error(exchange(smsgate_server, head), 403, 50007)


def test_chunked_body_over_64_kib_is_refused(smsgate_server: SmsgateServer, sender: Sender) -> None:
    """Without a Content-Length the limit holds while streaming: 403/50007."""
    body = send_body(sender, "13600136003", "chunked", MAX_BODY + 1)
    head = send_head(sender, "Transfer-Encoding: chunked")
    assert_jsms_error(exchange(smsgate_server, head + chunked(body)), 403, 50007)


def abandon(server: SmsgateServer, raw_request: bytes, reset: bool) -> None:
    """Write part of a request and go away: a FIN, or with `reset` an RST (SO_LINGER 0), as a
    crashed client or a dropped mobile connection would."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT)
    try:
        sock.sendall(raw_request)
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


def test_client_gone_mid_body_leaves_the_server_serving(
    smsgate_server: SmsgateServer, sender: Sender
) -> None:
    """Clients that vanish half-way through their bodies (a whole JSON object already sent,
    but less than the Content-Length promised) neither crash nor wedge the server, and
    nothing of what they sent is acted on; the next client is served and delivered."""
    cut_mobile, next_mobile = "13600136004", "13600136005"
    body = send_body(sender, cut_mobile, "cut")
    for attempt in range(20):
        head = send_head(sender, f"Content-Length: {len(body) + 1000}")
        abandon(smsgate_server, head + body, reset=attempt % 2 == 1)
    chunked_head = send_head(sender, "Transfer-Encoding: chunked")
    abandon(smsgate_server, chunked_head + chunked(body)[:-5], reset=False)

    body = send_body(sender, next_mobile, "after")
    head = send_head(sender, f"Content-Length: {len(body)}")
    answer = exchange(smsgate_server, head + body)
    assert answer.status == 200, answer
    msg_id = answer.json()["msg_id"]

    inbox = smsgate_server.wait_for_inbox(
        lambda entries: msg_id in {entry["msg_id"] for entry in entries}, f"msg_id {msg_id}"
    )
    delivered = {entry["msg_id"]: entry for entry in inbox}
    assert delivered[msg_id]["text"] == f"【{SIGN}】订单after已发货。"
    assert not [entry for entry in inbox if entry["mobile"] == cut_mobile]
    assert smsgate_server.is_running()
