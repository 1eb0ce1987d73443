"""Failover between two carriers: `smsgate serve` routes to carrier A first; A's SMSC dies in the
middle of a run and everything after goes through carrier B, with nothing lost and A shown out of
service by `smsgate providers status`."""

import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.delivery.smpp_peer import SmscSimulator

from .conftest import fresh_database
from .server import SmsgateServer, clean_environment
from .smpp_setup import WAIT_SECONDS, SmppSetup

MESSAGES = 150
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


def test_when_one_carrier_dies_the_other_delivers_everything(carriers: TwoCarriers) -> None:
    setup, primary, spare = carriers.setup, carriers.primary, carriers.spare
    server = setup.server
    server.cli("app", "topup", setup.app_key, "--balance", "1000", "--json")
    temp_id = server.create_template(setup.app_key, 2, "出货{{n}}")

    def kill_primary() -> None:
        primary.wait_for(lambda: len(accepted_numbers(primary)) >= MESSAGES // 3)
        primary.kill()

    killer = threading.Thread(target=kill_primary)
    killer.start()
    msg_ids = {}
    with httpx.Client(base_url=server.base_url, auth=setup.auth, timeout=10) as client:
        for n in range(MESSAGES):
            mobile = str(FIRST_MOBILE + n)
            body = {"mobile": mobile, "temp_id": temp_id, "temp_para": {"n": str(n)}}
            answer = client.post("/v1/messages", json=body)
            assert answer.status_code == 200, answer.text
            msg_ids["86" + mobile] = answer.json()["msg_id"]
    killer.join(WAIT_SECONDS)
    assert not killer.is_alive()

    setup.wait_for(
        lambda: accepted_numbers(primary) | accepted_numbers(spare) == set(msg_ids),
        "every message at one SMSC or the other",
        WAIT_SECONDS * 2,
    )
    by_spare = accepted_numbers(spare)
    assert len(by_spare) >= MESSAGES // 2  # the rest of the run after the primary died
    # What the spare took ends delivered by its receipts.
    spare_ids = [msg_ids[number] for number in by_spare]
    setup.wait_for(
        lambda: set(setup.statuses(spare_ids).values()) == {("delivered", 4001)},
        "the spare carrier's receipts",
    )
    # Nothing failed: a dead carrier is a transport problem, never a refusal.
    assert all(status != "failed" for status, _ in setup.statuses(list(msg_ids.values())).values())

    def primary_taken_out() -> dict[str, dict[str, object]]:
        status = server.cli("providers", "status", "--json")
        by_name = {row["provider"]: row for row in status}
        return by_name if by_name["carrier-a"]["state"] in ("open", "half-open") else {}

    health = setup.wait_for(primary_taken_out, "carrier-a shown out of service", WAIT_SECONDS)
    assert health["carrier-a"]["failed"] >= 1 and health["carrier-a"]["last_error"]
    assert health["carrier-b"]["state"] == "closed"
    assert health["carrier-b"]["accepted"] >= len(by_spare)
