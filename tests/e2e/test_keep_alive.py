"""A refused request leaves the HTTP keep-alive connection usable: an official SDK sends its next
call on the same socket. Each hostile input is sent to a real `smsgate serve` and followed, on the
same socket, by an ordinary request. An unexpected failure (500) keeps the connection too."""

import asyncio
import base64
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from smsgate.app import create_app
from smsgate.context import Context
from tests.support.tenants import Tenant

from .server import SmsgateServer

SOCKET_TIMEOUT = 10.0
UNKNOWN_MSG_ID = "06890980-6789-4054-bba9-90fb66ab2fce"


@dataclass(frozen=True)
class Caller:
    authorization: str
    temp_id: int


@pytest.fixture(scope="module")
def caller(smsgate_server: SmsgateServer) -> Iterator[Caller]:
    app_key, secret = smsgate_server.create_app("keepalive", "--sign", "KeepAliv")
    temp_id = smsgate_server.create_template(app_key, 2, "订单{{order}}已发货。")
    token = base64.b64encode(f"{app_key}:{secret}".encode()).decode()
    yield Caller(f"Basic {token}", temp_id)


def request(caller: Caller, method: str, path: str, body: bytes | None = None) -> bytes:
    """One keep-alive request (HTTP/1.1, no `Connection: close`)."""
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: {caller.authorization}",
    ]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def post(caller: Caller, path: str, body: str) -> bytes:
    return request(caller, "POST", path, body.encode())


def hostile_requests(caller: Caller) -> list[tuple[bytes, int, int]]:
    """(request, HTTP status, JSMS code): every class of bad input that once gave a 500."""
    temp = caller.temp_id
    return [
        (request(caller, "GET", "/v1/templates/2147483648"), 403, 50013),
        (request(caller, "GET", "/v1/sign/9223372036854775808"), 403, 50102),
        (request(caller, "GET", "/v1/schedule/%00"), 403, 50028),
        (
            post(caller, "/v1/messages", '{"mobile":"13800138000","temp_id":9223372036854775808}'),
            403,
            50013,
        ),
        (
            post(
                caller, "/v1/messages", '{"mobile":"13800138000","temp_id":"9223372036854775808"}'
            ),
            403,
            50013,
        ),
        (
            post(
                caller,
                "/v1/messages",
                f'{{"mobile":"13800138000","temp_id":{temp},"sign_id":2147483648}}',
            ),
            403,
            50102,
        ),
        (
            post(
                caller,
                "/v1/messages",
                f'{{"mobile":"13800138000","temp_id":{temp},"temp_para":{{"order":"A\\u0000"}}}}',
            ),
            403,
            50054,
        ),
        (
            post(
                caller,
                "/v1/messages/batch",
                f'{{"temp_id":{temp},"recipients":[{{"mobile":"13800138000","temp_para":{{"order":"\\u0000"}}}}]}}',
            ),
            200,
            0,
        ),
        (
            post(
                caller,
                "/v1/schedule",
                f'{{"send_time":"0001-01-01 00:00:00","mobile":"13800138000","temp_id":{temp}}}',
            ),
            403,
            50027,
        ),
        (post(caller, "/v1/templates", '{"type":2,"template":"\\u0000{{order}}"}'), 403, 50052),
        (
            post(
                caller, "/v1/templates", '{"type":2,"template":"您好{{order}}","remark":"\\u0000"}'
            ),
            403,
            50007,
        ),
        (post(caller, f"/v1/codes/{UNKNOWN_MSG_ID}/valid", '{"code":[]}'), 403, 50026),
        (post(caller, "/v1/codes/%00/valid", '{"code":"123456"}'), 403, 50026),
        (post(caller, "/v1/messages", '{"mobile":'), 403, 50007),
        (request(caller, "GET", "/v1/nowhere"), 404, 50016),
    ]


def read_answer(sock: socket.socket, buffer: bytearray) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 answer with a Content-Length, read from the socket (what follows stays in
    `buffer`)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        buffer.extend(chunk)
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-answer"
        rest += chunk
    buffer[:] = rest[length:]
    return int(status_line.split()[1]), headers, rest[:length]


def test_every_refusal_keeps_the_connection(smsgate_server: SmsgateServer, caller: Caller) -> None:
    ordinary = request(caller, "GET", f"/v1/templates/{caller.temp_id}")
    with socket.create_connection(
        ("127.0.0.1", smsgate_server.port), timeout=SOCKET_TIMEOUT
    ) as sock:
        buffer = bytearray()
        for raw, status, code in hostile_requests(caller):
            sock.sendall(raw)
            answer_status, headers, body = read_answer(sock, buffer)
            assert answer_status == status, (raw[:80], body)
            assert headers.get("connection", "").lower() != "close", raw[:80]
            if code:
                assert json.loads(body)["error"]["code"] == code, (raw[:80], body)
            sock.sendall(ordinary)
            follow_status, _, follow_body = read_answer(sock, buffer)
            assert follow_status == 200, follow_body


def test_two_refusals_in_one_write_are_both_answered(
    smsgate_server: SmsgateServer, caller: Caller
) -> None:
    """Pipelined: the second request is already on the wire when the first is refused."""
    first = request(caller, "GET", "/v1/templates/2147483648")
    second = request(caller, "GET", f"/v1/templates/{caller.temp_id}")
    with socket.create_connection(
        ("127.0.0.1", smsgate_server.port), timeout=SOCKET_TIMEOUT
    ) as sock:
        sock.sendall(first + second)
        buffer = bytearray()
        assert read_answer(sock, buffer)[0] == 403
        assert read_answer(sock, buffer)[0] == 200


async def test_an_unexpected_failure_answers_500_and_keeps_the_connection(
    ctx: Context, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under uvicorn, on a socket: a failure nothing foresaw is the JSMS 500, and the next
    request on the connection is served."""

    async def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("smsgate.apps.service.app_balances", explode)
    listening = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(ctx.settings, ctx), lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    token = base64.b64encode(f"{tenant.app_key}:{tenant.secret}".encode()).decode()
    caller = Caller(f"Basic {token}", tenant.notify_temp)
    try:
        reader, writer = await asyncio.open_connection(*listening.getsockname()[:2])
        failing = request(caller, "GET", "/v1/accounts/app")
        ordinary = request(caller, "GET", f"/v1/templates/{tenant.notify_temp}")
        for raw, status in ((failing, 500), (failing, 500), (ordinary, 200)):
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            headers = head.decode("latin-1").lower()
            assert f" {status} " in headers.split("\r\n")[0], headers
            assert "connection: close" not in headers
            length = int(headers.split("content-length:")[1].split("\r\n")[0])
            body = await reader.readexactly(length)
            if status == 500:
                assert json.loads(body) == {"error": {"code": 50019, "message": "server error"}}
        writer.close()
        await writer.wait_closed()
    finally:
        server.should_exit = True
        await serving
        listening.close()
