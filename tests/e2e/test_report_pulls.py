"""Reports over real TCP against `smsgate serve`: a pulled record leaves only after its answer
was written, a client that hung up before the answer gets the records again, and the server's
own background loop posts signed callbacks."""

import base64
import json
import socket
import time

import httpx
import pytest

from tests.api.callback_receiver import CallbackReceiver

from .server import SmsgateServer

# Pulls a second apart keep the module quick; the lease of a pull is the same second.
PULL_INTERVAL_SECONDS = 1.0
DEADLINE_SECONDS = 20.0


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"SMSGATE_REPORT_PULL_INTERVAL_SECONDS": str(PULL_INTERVAL_SECONDS)}


def next_pull(server: SmsgateServer, auth: tuple[str, str]) -> list[dict[str, object]]:
    """GET /v1/reply as soon as the app's pull interval lets it (polling, with a deadline)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        answer = httpx.get(f"{server.base_url}/v1/reply", auth=auth, timeout=10.0)
        if answer.status_code == 200:
            records: list[dict[str, object]] = answer.json()
            return records
        assert answer.json()["error"]["code"] == 50009, answer.text
        assert time.monotonic() < deadline, "the pull interval never passed"
        time.sleep(0.05)


def inject(server: SmsgateServer, number: str, text: str) -> None:
    server.cli(
        "sandbox", "reply", "--to", number, "--from", "13800138000", "--text", text, "--json"
    )


def test_a_pulled_reply_is_gone_once_its_answer_was_written(
    smsgate_server: SmsgateServer,
) -> None:
    auth = smsgate_server.create_app("pulls", "--reply-number", "10690042")
    inject(smsgate_server, "1069004201", "你好")
    [record] = next_pull(smsgate_server, auth)
    assert record["phone"] == "13800138000" and record["content"] == "你好"
    assert isinstance(record["replyTime"], int)
    assert next_pull(smsgate_server, auth) == []


def test_a_client_that_hangs_up_before_the_answer_gets_the_records_again(
    smsgate_server: SmsgateServer,
) -> None:
    auth = smsgate_server.create_app("hangs up", "--reply-number", "10690043")
    inject(smsgate_server, "10690043", "第一条")
    host, port = smsgate_server.base_url.removeprefix("http://").split(":")
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    request = (
        f"GET /v1/reply HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {token}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10.0) as client:
        client.sendall(request)
        client.shutdown(socket.SHUT_WR)  # gone: the server sees the end of the connection
        answered = client.recv(65536)
    again = next_pull(smsgate_server, auth)
    # Whichever came first at the server, the hang-up or the write, nothing is lost: records
    # are offered again exactly when the answer was not written.
    if answered:
        assert b"200 OK" in answered and again == []
    else:
        assert [r["content"] for r in again] == ["第一条"]


def test_the_server_posts_a_signed_report_callback_by_itself(
    smsgate_server: SmsgateServer,
) -> None:
    receiver = CallbackReceiver("", "")
    with receiver.running():
        app_key, secret = smsgate_server.create_app(
            "callbacks", "--sign", "smsgate", "--callback-url", receiver.url
        )
        receiver.app_key, receiver.master_secret = app_key, secret
        temp_id = smsgate_server.create_template(app_key, 2, "订单{{order}}已发货")
        answer = httpx.post(
            f"{smsgate_server.base_url}/v1/messages",
            json={"mobile": "13800138000", "temp_id": temp_id, "temp_para": {"order": "A7"}},
            auth=(app_key, secret),
            timeout=10.0,
        )
        msg_id = answer.json()["msg_id"]
        assert receiver.received.wait(DEADLINE_SECONDS), smsgate_server.log_tail()
    [post] = receiver.posts
    assert post.signature_ok and post.field("type") == "SMS_REPORT"
    data = json.loads(post.field("data"))
    assert (data["msgId"], data["phone"], data["status"]) == (msg_id, "13800138000", 4001)
