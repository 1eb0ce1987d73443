"""Idempotent sends across a crash: a burst of sends, each with its own Idempotency-Key, SIGKILL
in the middle, restart, and every send retried with its key. Each key sends exactly once: a
send that committed before the kill (answered or not) is answered again with its msg_id, one
that did not is sent now; the handset gets every text once.

Only a real process shows this: the kill has to fall between the commit of a send (which stores
its answer in the same transaction) and the answer on the wire.
"""

import httpx
import pytest

from .server import SmsgateServer
from .test_crash_recovery import (
    BURST,
    KILL_AFTER_ACCEPTED,
    MIN_UNANSWERED_AT_KILL,
    MOBILE,
    SIGN,
    START_BALANCE,
    Attempt,
    assert_no_duplicates_or_strangers,
    balance,
    basic_auth,
    send_burst,
)


@pytest.fixture(scope="module")
def server_env(e2e_backend: str) -> dict[str, str]:
    """As the crash test: no notification limit, reports at once, short leases on PostgreSQL."""
    env = {"SMSGATE_NOTIFICATION_LIMITS": "", "SMSGATE_SANDBOX_REPORT_DELAY": "0"}
    if e2e_backend == "postgres":
        env["SMSGATE_OUTBOX_LEASE_SECONDS"] = "2"
    return env


class KeyedAttempt(Attempt):
    """A send with an Idempotency-Key of its own (its order number)."""

    def request(self, authorization: str, temp_id: int) -> bytes:
        head, separator, body = super().request(authorization, temp_id).partition(b"\r\n\r\n")
        return head + f"\r\nIdempotency-Key: order-{self.para}".encode() + separator + body

    def body(self, temp_id: int) -> dict[str, object]:
        return {"mobile": MOBILE, "temp_id": temp_id, "temp_para": {"order": self.para}}


def test_a_retry_after_a_kill_gets_the_hidden_msg_id_and_nothing_twice(
    smsgate_server: SmsgateServer,
) -> None:
    app_key, secret = smsgate_server.create_app(
        "keyed crash", "--sign", SIGN, "--balance", str(START_BALANCE)
    )
    temp_id = smsgate_server.create_template(app_key, 2, "订单{{order}}已发货。")
    attempts = [KeyedAttempt(para=f"k{i:03d}") for i in range(BURST)]

    unanswered = send_burst(smsgate_server, basic_auth(app_key, secret), temp_id, attempts)
    assert not smsgate_server.is_running(), "the burst ended before the server could be killed"
    assert unanswered >= MIN_UNANSWERED_AT_KILL
    answered = {a.para: a.msg_id for a in attempts if a.msg_id is not None}
    assert len(answered) >= KILL_AFTER_ACCEPTED

    smsgate_server.restart()
    committed = START_BALANCE - balance(smsgate_server, app_key, secret)
    assert len(answered) <= committed < BURST

    replayed: dict[str, str] = {}
    sent_now: dict[str, str] = {}
    with httpx.Client(base_url=smsgate_server.base_url, auth=(app_key, secret)) as client:
        for attempt in attempts:
            retry = client.post(
                "/v1/messages",
                json=attempt.body(temp_id),
                headers={"Idempotency-Key": f"order-{attempt.para}"},
                timeout=10,
            )
            assert retry.status_code == 200, retry.text
            target = replayed if retry.headers.get("idempotent-replayed") else sent_now
            target[attempt.para] = retry.json()["msg_id"]

    # Every send answered before the kill is answered again with its msg_id; so is every one
    # that committed unanswered; the rest were sent by their retry, and only by it.
    assert {para: replayed.get(para) for para in answered} == answered
    assert len(replayed) == committed
    assert len(replayed) + len(sent_now) == BURST
    assert START_BALANCE - balance(smsgate_server, app_key, secret) == BURST
    msg_ids = {**replayed, **sent_now}
    inbox = smsgate_server.wait_for_inbox(
        lambda entries: set(msg_ids.values()) <= {entry["msg_id"] for entry in entries},
        f"one delivery for each of the {BURST} keys",
        MOBILE,
        timeout=30.0,
    )
    assert len(inbox) == BURST
    by_msg_id = assert_no_duplicates_or_strangers(inbox, attempts)
    for attempt in attempts:
        assert by_msg_id[msg_ids[attempt.para]]["text"] == attempt.text
