"""Accepted means durable: kill -9 the server in the middle of a burst of sends, restart it on the
same data, and every send that was answered with a msg_id reaches the handset exactly once.

Only a real process shows this: the kill has to land between the arrival, commit and answer of
many concurrent requests, and the restarted server has to find the work in the database alone.
"""

import base64
import json
import select
import selectors
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from .server import InboxEntry, SmsgateServer

BURST = 200
KILL_AFTER_ACCEPTED = 40
MIN_UNANSWERED_AT_KILL = 8
BURST_TIMEOUT_SECONDS = 30.0
MOBILE = "13700137000"
SIGN = "CrashE2E"
START_BALANCE = 1000


@pytest.fixture(scope="module")
def server_env(e2e_backend: str) -> dict[str, str]:
    """No notification limit (200 sends to one number) and reports at once. The outbox lease
    keeps its default minute: on SQLite the restarted embedded worker must release what the killed
    one had claimed, or the deliveries wait out the lease and the test times out. (On PostgreSQL,
    where other workers may hold leases, a short lease stands in for that.)"""
    env = {"SMSGATE_NOTIFICATION_LIMITS": "", "SMSGATE_SANDBOX_REPORT_DELAY": "0"}
    if e2e_backend == "postgres":
        env["SMSGATE_OUTBOX_LEASE_SECONDS"] = "2"
    return env


@dataclass
class Attempt:
    """One send and what its client saw: a 200 msg_id, another answer, or none (`failure`)."""

    para: str
    received: bytearray = field(default_factory=bytearray)
    status: int | None = None
    msg_id: str | None = None
    failure: str | None = None

    @property
    def text(self) -> str:
        """What the handset must receive for this send."""
        return f"【{SIGN}】订单{self.para}已发货。"

    def request(self, authorization: str, temp_id: int) -> bytes:
        body = json.dumps(
            {"mobile": MOBILE, "temp_id": temp_id, "temp_para": {"order": self.para}}
        ).encode()
        head = (
            "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Authorization: {authorization}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    def finish(self) -> None:
        """The connection ended: a complete answer is an answer, anything less is none."""
        head, separator, body = bytes(self.received).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        lengths = [
            line.split(":", 1)[1] for line in lines if line.lower().startswith("content-length:")
        ]
        if not separator or not lengths or len(body) != int(lengths[-1]):
            self.failure = f"no complete answer ({len(self.received)} bytes)"
            return
        self.status = int(lines[0].split()[1])
        if self.status == 200:
            msg_id = json.loads(body)["msg_id"]
            assert isinstance(msg_id, str), body
            self.msg_id = msg_id


def send_burst(
    server: SmsgateServer,
    authorization: str,
    temp_id: int,
    attempts: list[Attempt],
    stop: Callable[[], None] | None = None,
) -> int:
    """Write all sends on connections of their own, read answers as they come, and SIGKILL the
    server (or call `stop`) once KILL_AFTER_ACCEPTED are answered 200 while at least
    MIN_UNANSWERED_AT_KILL connections have not received a single byte. Returns how many were
    unanswered then.

    Raw non-blocking sockets keep the client faster than the server, so "unanswered" means
    the server had not answered, not that the client had not looked yet (an HTTP client
    library reads answers long after they arrived, and a server that commits in groups answers
    many at once: killing at the n-th answer read could come after the last one was sent).
    """
    selector = selectors.DefaultSelector()
    open_attempts: dict[socket.socket, Attempt] = {}
    for attempt in attempts:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10.0)
        sock.sendall(attempt.request(authorization, temp_id))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        open_attempts[sock] = attempt

    unanswered_at_kill = 0
    accepted = 0
    stopped = False
    deadline = time.monotonic() + BURST_TIMEOUT_SECONDS
    while open_attempts and time.monotonic() < deadline:
        for key, _events in selector.select(timeout=0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            attempt = open_attempts[sock]
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if data:
                attempt.received += data
                continue
            selector.unregister(sock)
            sock.close()
            del open_attempts[sock]
            attempt.finish()
            accepted += attempt.msg_id is not None
            if not stopped and server.is_running() and accepted >= KILL_AFTER_ACCEPTED:
                silent = [s for s, a in open_attempts.items() if not a.received]
                readable = select.select(silent, [], [], 0)[0] if silent else []
                if len(silent) - len(readable) >= MIN_UNANSWERED_AT_KILL:
                    unanswered_at_kill = len(silent) - len(readable)
                    stopped = True
                    (stop or server.kill)()
    for sock, attempt in open_attempts.items():
        attempt.failure = "still open at the deadline"
        sock.close()
    selector.close()
    return unanswered_at_kill


def basic_auth(app_key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{app_key}:{secret}".encode()).decode()


def balance(server: SmsgateServer, app_key: str, secret: str) -> int:
    response = httpx.get(f"{server.base_url}/v1/accounts/app", auth=(app_key, secret), timeout=10)
    assert response.status_code == 200, response.text
    units: int = response.json()["app_balance"]
    return units


def test_kill_during_burst_loses_and_duplicates_nothing(smsgate_server: SmsgateServer) -> None:
    """200 concurrent template sends, SIGKILL after the 40th 200 answer while others are
    unanswered, restart: every answered msg_id is delivered once with its own text, and so is
    every other send that committed (as many as units were charged); nothing else appears."""
    app_key, secret = smsgate_server.create_app(
        "crash", "--sign", SIGN, "--balance", str(START_BALANCE)
    )
    temp_id = smsgate_server.create_template(app_key, 2, "订单{{order}}已发货。")
    run = uuid.uuid4().hex[:8]
    attempts = [Attempt(para=f"{run}-{i:03d}") for i in range(BURST)]

    unanswered_at_kill = send_burst(smsgate_server, basic_auth(app_key, secret), temp_id, attempts)

    assert not smsgate_server.is_running(), "the burst ended before the server could be killed"
    assert unanswered_at_kill >= MIN_UNANSWERED_AT_KILL
    answered = [a for a in attempts if a.status is not None]
    assert {a.status for a in answered} == {200}, Counter(a.status for a in answered)
    accepted = {a.msg_id: a for a in attempts if a.msg_id is not None}
    assert len(accepted) >= KILL_AFTER_ACCEPTED

    smsgate_server.restart()

    # Sends whose answer the kill swallowed may have committed too; each unit charged is one
    # committed message (nothing sends any more, so the balance stays put), and each of them
    # must be delivered: the answered ones and the others.
    charged = START_BALANCE - balance(smsgate_server, app_key, secret)
    assert len(accepted) <= charged <= BURST
    inbox = smsgate_server.wait_for_inbox(
        lambda entries: (
            len(entries) >= charged and set(accepted) <= {entry["msg_id"] for entry in entries}
        ),
        f"all {len(accepted)} answered msg_ids among {charged} deliveries (one per unit charged)",
        MOBILE,
        timeout=30.0,
    )
    assert len(inbox) == charged
    by_msg_id = assert_no_duplicates_or_strangers(inbox, attempts)
    for msg_id, attempt in accepted.items():
        assert by_msg_id[msg_id]["text"] == attempt.text
        assert by_msg_id[msg_id]["channel"] == "sms"


def assert_no_duplicates_or_strangers(
    inbox: list[InboxEntry], attempts: list[Attempt]
) -> dict[str, InboxEntry]:
    """Every inbox entry is one of the attempted texts, no msg_id and no text arrives twice;
    returns the entries by msg_id."""
    attempted_texts = {a.text for a in attempts}
    strangers = [entry for entry in inbox if entry["text"] not in attempted_texts]
    assert not strangers, strangers
    repeated_ids = [m for m, n in Counter(e["msg_id"] for e in inbox).items() if n > 1]
    assert not repeated_ids, repeated_ids
    repeated_texts = [t for t, n in Counter(e["text"] for e in inbox).items() if n > 1]
    assert not repeated_texts, repeated_texts
    return {entry["msg_id"]: entry for entry in inbox}
