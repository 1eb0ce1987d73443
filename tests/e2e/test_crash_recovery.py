"""Accepted means durable: kill -9 the server in the middle of a burst of sends, restart it on the
same data, and every send that was answered with a msg_id reaches the handset exactly once.

Only a real process shows this: the kill has to land between commits, answers and deliveries of
many concurrent requests, and the restarted server has to find the work in the database alone.
"""

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass

import httpx
import pytest

from .server import InboxEntry, SmsgateServer

BURST = 200
KILL_AFTER_ACCEPTED = 40
MOBILE = "13700137000"
SIGN = "CrashE2E"
START_BALANCE = 1000


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """No notification limit (200 sends to one number), reports at once, and a short outbox
    lease: rows the killed worker had claimed wait out their lease before the restarted worker
    may take them, and the default minute would only slow the test down."""
    return {
        "SMSGATE_NOTIFICATION_LIMITS": "",
        "SMSGATE_SANDBOX_REPORT_DELAY": "0",
        "SMSGATE_OUTBOX_LEASE_SECONDS": "2",
    }


@dataclass
class Attempt:
    """One send and what its client saw: a 200 msg_id, another answer, or no answer at all."""

    text: str
    para: str
    status: int | None = None
    msg_id: str | None = None
    failure: str | None = None


async def send_burst(
    server: SmsgateServer, auth: tuple[str, str], temp_id: int, attempts: list[Attempt]
) -> None:
    """Fire every send at once and SIGKILL the server as soon as enough have been accepted, so
    the kill lands while the rest are in flight (in the handler, the commit or the answer)."""
    enough_accepted = asyncio.Event()
    accepted = 0

    async with httpx.AsyncClient(
        base_url=server.base_url,
        auth=auth,
        timeout=30.0,
        limits=httpx.Limits(max_connections=BURST, max_keepalive_connections=BURST),
    ) as client:

        async def send(attempt: Attempt) -> None:
            nonlocal accepted
            body = {"mobile": MOBILE, "temp_id": temp_id, "temp_para": {"order": attempt.para}}
            try:
                response = await client.post("/v1/messages", json=body)
            except httpx.TransportError as error:
                attempt.failure = type(error).__name__
                return
            attempt.status = response.status_code
            if response.status_code == 200:
                attempt.msg_id = response.json()["msg_id"]
                accepted += 1
                if accepted >= KILL_AFTER_ACCEPTED:
                    enough_accepted.set()

        async def kill_when_enough() -> None:
            await asyncio.wait_for(enough_accepted.wait(), timeout=30.0)
            server.kill()

        killer = asyncio.create_task(kill_when_enough())
        await asyncio.gather(*(send(attempt) for attempt in attempts))
        await killer


def balance(server: SmsgateServer, auth: tuple[str, str]) -> int:
    response = httpx.get(f"{server.base_url}/v1/accounts/app", auth=auth, timeout=10.0)
    assert response.status_code == 200, response.text
    units: int = response.json()["app_balance"]
    return units


async def test_kill_during_burst_loses_and_duplicates_nothing(
    smsgate_server: SmsgateServer,
) -> None:
    app_key, secret = smsgate_server.create_app(
        "crash", "--sign", SIGN, "--balance", str(START_BALANCE)
    )
    auth = (app_key, secret)
    temp_id = smsgate_server.create_template(app_key, 2, "订单{{order}}已发货。")
    run = uuid.uuid4().hex[:8]
    attempts = [Attempt(text="", para=f"{run}-{i:03d}") for i in range(BURST)]
    for attempt in attempts:
        attempt.text = f"【{SIGN}】订单{attempt.para}已发货。"

    await send_burst(smsgate_server, auth, temp_id, attempts)

    answered = [a for a in attempts if a.status is not None]
    accepted = {a.msg_id: a for a in attempts if a.msg_id is not None}
    unanswered = [a for a in attempts if a.status is None]
    assert not smsgate_server.is_running()
    assert len(accepted) >= KILL_AFTER_ACCEPTED
    assert unanswered, "every send finished before the kill: the crash landed too late"
    assert {a.status for a in answered} == {200}, Counter(a.status for a in answered)

    smsgate_server.restart()

    # Every send answered 200 arrives, each exactly once, with exactly its own text.
    inbox = smsgate_server.wait_for_inbox(
        lambda entries: set(accepted) <= {entry["msg_id"] for entry in entries},
        MOBILE,
        timeout=30.0,
    )
    by_msg_id = assert_no_duplicates_or_strangers(inbox, attempts)
    for msg_id, attempt in accepted.items():
        assert by_msg_id[msg_id]["text"] == attempt.text
        assert by_msg_id[msg_id]["channel"] == "sms"

    # Sends whose answer the kill swallowed may have committed; each unit charged is one such
    # message, and it must be delivered too (the balance no longer moves: nothing is sending).
    charged = START_BALANCE - balance(smsgate_server, auth)
    assert len(accepted) <= charged <= BURST
    inbox = smsgate_server.wait_for_inbox(
        lambda entries: len(entries) >= charged, MOBILE, timeout=30.0
    )
    assert len(inbox) == charged
    assert_no_duplicates_or_strangers(inbox, attempts)


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
