"""Failover between two carriers: `smsgate serve` routes to carrier A first; A's SMSC dies in the
middle of a run and everything after goes through carrier B, with nothing lost; `smsgate providers
status` shows A down until its SMSC is back, and then A takes messages again.

Every wait is for an outcome the server must reach (a deadline only fails a broken server): the
kill happens while the first sends are in flight, and what is sent later is sent after it."""

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.delivery.smpp_peer import SmscSimulator

from .conftest import fresh_database
from .server import SmsgateServer, clean_environment
from .smpp_setup import WAIT_SECONDS, SmppSetup

BEFORE, AFTER, BACK = 100, 50, 10  # messages sent until the kill is done, while down, once back
FIRST_MOBILE = 13700000000
CARRIER = """
[[providers]]
name = "{name}"
type = "smpp"
host = "127.0.0.1"
port = {port}
system_id = "smsgate"
password = "secret"
source_addr = "1069"
connect_timeout_seconds = 1.0
reconnect_min_seconds = 0.2
reconnect_max_seconds = 1.0
"""
ROUTES = """
[[routes]]
match = "+86"
providers = ["carrier-a", "carrier-b"]
weights = [1, 0]   # B only takes over

[breaker]
failures = 2
open_seconds = 600
"""


class TwoCarriers:
    def __init__(self, setup: SmppSetup, spare: SmscSimulator) -> None:
        self.setup = setup
        self.primary = setup.simulator
        self.spare = spare


@pytest.fixture(scope="module")
def carriers(tmp_path_factory: pytest.TempPathFactory, e2e_backend: str) -> Iterator[TwoCarriers]:
    data_dir = tmp_path_factory.mktemp("smsgate")
    primary, spare = SmscSimulator(), SmscSimulator()
    primary.start()
    spare.start()
    config = data_dir / "smsgate.toml"
    config.write_text(
        CARRIER.format(name="carrier-a", port=primary.port)
        + CARRIER.format(name="carrier-b", port=spare.port)
        + ROUTES
    )
    with fresh_database(e2e_backend) as database_url:
        env = clean_environment()
        env.update({"SMSGATE_DATA_DIR": str(data_dir), "SMSGATE_CREATE_DEMO": "true"})
        env.update({"SMSGATE_CONFIG": str(config), "SMSGATE_NOTIFICATION_LIMITS": ""})
        if database_url is not None:
            env["SMSGATE_DATABASE_URL"] = database_url
        server = SmsgateServer(data_dir, env)
        try:
            server.start()
            database = database_url or f"sqlite:///{data_dir / 'smsgate.db'}"
            yield TwoCarriers(SmppSetup(server, primary, database), spare)
        finally:
            server.kill()
            primary.kill()
            spare.kill()


def accepted_numbers(simulator: SmscSimulator) -> set[str]:
    return {e["dest"] for e in simulator.accepted() if int(e["dest"][2:]) >= FIRST_MOBILE}


def send(setup: SmppSetup, temp_id: int, numbers: range) -> dict[str, str]:
    """Post one message per number; msg_ids by the number as the SMSC sees it."""
    msg_ids = {}
    with httpx.Client(base_url=setup.server.base_url, auth=setup.auth, timeout=10) as client:
        for n in numbers:
            mobile = str(FIRST_MOBILE + n)
            body = {"mobile": mobile, "temp_id": temp_id, "temp_para": {"n": str(n)}}
            answer = client.post("/v1/messages", json=body)
            assert answer.status_code == 200, answer.text
            msg_ids["86" + mobile] = answer.json()["msg_id"]
    return msg_ids


def providers_in(setup: SmppSetup, *states: str) -> Callable[[], dict[str, dict[str, Any]]]:
    """`smsgate providers status` by provider name, once carrier-a is in one of `states`."""

    def status() -> dict[str, dict[str, Any]]:
        by_name = {
            row["provider"]: row for row in setup.server.cli("providers", "status", "--json")
        }
        return by_name if by_name["carrier-a"]["state"] in states else {}

    return status


def test_when_one_carrier_dies_the_other_delivers_everything(carriers: TwoCarriers) -> None:
    setup, primary, spare = carriers.setup, carriers.primary, carriers.spare
    setup.server.cli("app", "topup", setup.app_key, "--balance", "1000", "--json")
    temp_id = setup.server.create_template(setup.app_key, 2, "出货{{n}}")

    # The primary's SMSC dies in the middle of a run: a third of the way through its sends.
    killed = threading.Event()

    def kill_primary() -> None:
        primary.wait_for(lambda: len(accepted_numbers(primary)) >= BEFORE // 3)
        primary.kill()
        killed.set()

    killer = threading.Thread(target=kill_primary)
    killer.start()
    msg_ids = send(setup, temp_id, range(BEFORE))
    killer.join(WAIT_SECONDS)
    assert killed.is_set()
    setup.wait_for(
        lambda: accepted_numbers(primary) | accepted_numbers(spare) == set(msg_ids),
        "every message at one SMSC or the other",
    )
    # Down with nothing more sent: its bind is gone and cannot come back; since when, and why.
    health = setup.wait_for(providers_in(setup, "down"), "carrier-a shown down")
    assert health["carrier-a"]["since"] and "carrier-a#1" in health["carrier-a"]["last_error"]
    assert health["carrier-b"]["state"] == "closed"

    # What is sent while it is down goes to the spare alone.
    after = send(setup, temp_id, range(BEFORE, BEFORE + AFTER))
    setup.wait_for(lambda: set(after) <= accepted_numbers(spare), "the spare took the rest")
    msg_ids |= after
    assert not set(after) & accepted_numbers(primary)
    by_spare = accepted_numbers(spare)
    spare_ids = [msg_ids[number] for number in by_spare]
    setup.wait_for(
        lambda: set(setup.statuses(spare_ids).values()) == {("delivered", 4001)},
        "the spare carrier's receipts",
    )
    # Nothing failed: a dead carrier is a transport problem, never a refusal.
    assert all(status != "failed" for status, _ in setup.statuses(list(msg_ids.values())).values())
    setup.wait_for(  # counters are saved every few seconds
        lambda: providers_in(setup, "down")()["carrier-b"]["accepted"] >= len(by_spare),
        "carrier-b's counters",
    )

    # The SMSC comes back: carrier-a is back in service without a message sent, and takes the next.
    primary.start()
    setup.wait_for(providers_in(setup, "closed", "half-open"), "carrier-a back in service")
    back = send(setup, temp_id, range(BEFORE + AFTER, BEFORE + AFTER + BACK))
    setup.wait_for(lambda: set(back) <= accepted_numbers(primary), "carrier-a took the next")
    setup.wait_for(providers_in(setup, "closed"), "carrier-a closed after its trial")
    assert not set(back) & accepted_numbers(spare)
