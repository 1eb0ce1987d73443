"""SIGTERM in the middle of a burst of sends: the server answers what it took in, finishes the
delivery pass in flight, leaves no outbox row leased, and exits by itself; after a restart every
answered msg_id is delivered exactly once. Also the metrics port of a real server."""

import signal
import sqlite3
import uuid
from collections import Counter

import asyncpg
import httpx
import pytest

from tests.support.databases import run_apart

from .server import SmsgateServer, wait_until_ready
from .test_crash_recovery import (
    BURST,
    KILL_AFTER_ACCEPTED,
    MOBILE,
    SIGN,
    START_BALANCE,
    Attempt,
    assert_no_duplicates_or_strangers,
    balance,
    basic_auth,
    send_burst,
)

EXIT_TIMEOUT_SECONDS = 60.0


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """No notification limit (a burst to one number), reports at once, and the default lease:
    a row left leased would wait out a whole minute, which the test would see."""
    return {"SMSGATE_NOTIFICATION_LIMITS": "", "SMSGATE_SANDBOX_REPORT_DELAY": "0"}


def leased_rows(server: SmsgateServer) -> int:
    """Outbox rows still claimed by a worker, read straight from the server's database."""
    query = "SELECT count(*) FROM outbox WHERE lease_until IS NOT NULL"
    url = server.env.get("SMSGATE_DATABASE_URL")
    if url is None:
        with sqlite3.connect(server.data_dir / "smsgate.db") as conn:
            count: int = conn.execute(query).fetchone()[0]
            return count
    found: list[int] = []

    async def read() -> None:
        conn = await asyncpg.connect(url)
        try:
            found.append(await conn.fetchval(query))
        finally:
            await conn.close()

    run_apart(read())
    return found[0]


def test_sigterm_during_a_burst_delivers_every_answered_send_once(
    smsgate_server: SmsgateServer,
) -> None:
    app_key, secret = smsgate_server.create_app(
        "graceful", "--sign", SIGN, "--balance", str(START_BALANCE)
    )
    temp_id = smsgate_server.create_template(app_key, 2, "订单{{order}}已发货。")
    run = uuid.uuid4().hex[:8]
    attempts = [Attempt(para=f"{run}-{i:03d}") for i in range(BURST)]

    send_burst(
        smsgate_server, basic_auth(app_key, secret), temp_id, attempts, smsgate_server.terminate
    )
    status = smsgate_server.wait_exited(EXIT_TIMEOUT_SECONDS)

    assert status in (0, -signal.SIGTERM), smsgate_server.log_tail()
    answered = [a for a in attempts if a.status is not None]
    assert {a.status for a in answered} == {200}, Counter(a.status for a in answered)
    accepted = {a.msg_id: a for a in attempts if a.msg_id is not None}
    assert len(accepted) >= KILL_AFTER_ACCEPTED
    assert leased_rows(smsgate_server) == 0
    assert "Traceback" not in smsgate_server.log_tail(200)

    smsgate_server.restart()

    charged = START_BALANCE - balance(smsgate_server, app_key, secret)
    assert charged == len(accepted)  # a graceful stop answers every send it committed
    inbox = smsgate_server.wait_for_inbox(
        lambda entries: set(accepted) <= {entry["msg_id"] for entry in entries},
        f"all {len(accepted)} answered msg_ids",
        MOBILE,
        timeout=30.0,
    )
    assert len(inbox) == charged
    assert_no_duplicates_or_strangers(inbox, attempts)


def test_the_metrics_port_shows_metrics_health_and_readiness(
    smsgate_server: SmsgateServer,
) -> None:
    app_key, secret = smsgate_server.create_app("metrics", "--sign", SIGN)
    temp_id = smsgate_server.create_template(app_key, 1, "验证码{{code}}", "--ttl", "300")
    sent = httpx.post(
        f"{smsgate_server.base_url}/v1/codes",
        json={"mobile": "13700137001", "temp_id": temp_id},
        auth=(app_key, secret),
        timeout=10,
    )
    assert sent.status_code == 200, sent.text
    scraped = httpx.get(f"{smsgate_server.metrics_url}/metrics", timeout=10)
    assert scraped.status_code == 200
    assert (
        f'smsgate_sends_accepted_total{{app_key="{app_key}",channel="sms",'
        f'temp_id="{temp_id}",template_type="code"}} 1.0'
    ) in scraped.text
    ready = wait_until_ready(f"{smsgate_server.metrics_url}/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]["loops"]["age_seconds"]) == {
        "delivery",
        "callbacks",
        "scheduler",
        "voice_fallbacks",
        "gauges",
    }
    assert httpx.get(f"{smsgate_server.base_url}/readyz", timeout=10).json()["ready"] is True
    assert httpx.get(f"{smsgate_server.base_url}/metrics", timeout=10).status_code == 404
