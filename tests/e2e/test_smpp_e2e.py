"""`smsgate serve` delivering through the SMPP provider to the SMSC simulator, configured by an
SMSGATE_CONFIG file as an operator writes it: codes and long notifications reach the SMSC with
the right text and encoding, receipts make them delivered (4001), a refused number fails."""

import re
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.delivery.smpp_peer import SmscSimulator

from .server import SmsgateServer, clean_environment, fresh_database
from .smpp_setup import SmppSetup, sent_text

WAIT_SECONDS = 30.0
CONFIG = """
[[providers]]
name = "carrier-a"
type = "smpp"
host = "127.0.0.1"
port = {port}
system_id = "smsgate"
password = "secret"
source_addr = "1069"
window = 10
tps = 200

[[routes]]
match = "*"
providers = ["carrier-a"]
"""


@pytest.fixture(scope="module")
def smpp_setup(tmp_path_factory: pytest.TempPathFactory, e2e_backend: str) -> Iterator[SmppSetup]:
    data_dir = tmp_path_factory.mktemp("smsgate")
    # Receipts the SMSC owes survive its crash in the burst test, as a real SMSC's do.
    simulator = SmscSimulator("--state", str(data_dir / "smsc-receipts.jsonl"))
    simulator.start()
    config = data_dir / "smsgate.toml"
    config.write_text(CONFIG.format(port=simulator.port))
    with fresh_database(e2e_backend) as database_url:
        env = clean_environment()
        env.update({"SMSGATE_DATA_DIR": str(data_dir), "SMSGATE_CREATE_DEMO": "true"})
        env.update({"SMSGATE_LOG_LEVEL": "info", "SMSGATE_CONFIG": str(config)})
        if database_url is not None:
            env["SMSGATE_DATABASE_URL"] = database_url
        server = SmsgateServer(data_dir, env)
        try:
            server.start()
            yield SmppSetup(
                server, simulator, database_url or f"sqlite:///{data_dir / 'smsgate.db'}"
            )
        finally:
            server.kill()
            simulator.kill()


def test_a_code_reaches_the_smsc_as_ucs2_and_is_delivered(smpp_setup: SmppSetup) -> None:
    answer = smpp_setup.post("/v1/codes", {"mobile": "13800138000", "temp_id": 1})
    assert answer.status_code == 200, answer.text
    msg_id = answer.json()["msg_id"]

    [submit] = smpp_setup.wait_for(lambda: smpp_setup.submits_to("8613800138000"), "the submit")
    text = sent_text([submit])
    assert submit["data_coding"] == 8 and submit["esm_class"] == 0
    assert (submit["source"], submit["registered_delivery"]) == ("1069", 1)
    assert text.startswith("【smsgate】") and re.search(r"\d{6}", text), text
    assert smpp_setup.wait_final(msg_id)[:2] == ("delivered", 4001)


def test_a_200_character_notification_goes_as_concatenated_parts(smpp_setup: SmppSetup) -> None:
    temp_id = smpp_setup.server.create_template(smpp_setup.app_key, 2, "通知：{{body}}")
    body = "".join(str(n % 10) for n in range(188))  # 200 characters with the signature
    answer = smpp_setup.post(
        "/v1/messages", {"mobile": "13800138001", "temp_id": temp_id, "temp_para": {"body": body}}
    )
    assert answer.status_code == 200, answer.text
    msg_id = answer.json()["msg_id"]

    status, report_status, segments = smpp_setup.wait_final(msg_id)
    parts = smpp_setup.submits_to("8613800138001")
    assert (status, report_status) == ("delivered", 4001)
    assert len(parts) == segments == 3  # 200 UTF-16 units: 67 + 67 + 66
    assert all(p["esm_class"] == 0x40 and p["data_coding"] == 8 for p in parts)
    assert sent_text(parts) == "【smsgate】通知：" + body


def test_a_number_the_smsc_refuses_ends_failed(smpp_setup: SmppSetup) -> None:
    answer = smpp_setup.post("/v1/codes", {"mobile": "17000004000", "temp_id": 1})
    assert answer.status_code == 200, answer.text
    msg_id = answer.json()["msg_id"]
    assert smpp_setup.wait_final(msg_id)[:2] == ("failed", 4004)
    assert smpp_setup.submits_to("8617000004000")[0]["status"] == 0x0B


BURST = 500


def crash_and_restart(simulator: SmscSimulator, first_mobile: int) -> None:
    """Kill the SMSC once a third of the burst got through, and start it again."""

    def burst_accepted() -> int:
        return sum(1 for e in simulator.accepted() if int(e["dest"][2:]) >= first_mobile)

    simulator.wait_for(lambda: burst_accepted() >= BURST // 3)
    simulator.kill()
    simulator.start()


def test_a_burst_survives_the_smsc_crashing_midway(smpp_setup: SmppSetup) -> None:
    """500 notifications while the SMSC is killed and restarted: every one ends delivered, and
    only submits whose answer the crash cut off reached the SMSC twice."""
    server, simulator = smpp_setup.server, smpp_setup.simulator
    server.cli(
        "app", "topup", smpp_setup.app_key, "--balance", "2000", "--industry", "2000", "--json"
    )
    temp_id = server.create_template(smpp_setup.app_key, 2, "批次{{n}}")
    first = 13900000000
    crash = threading.Thread(target=crash_and_restart, args=(simulator, first))
    crash.start()
    msg_ids = []
    with httpx.Client(base_url=server.base_url, auth=smpp_setup.auth, timeout=10) as client:
        for n in range(BURST):
            body = {"mobile": str(first + n), "temp_id": temp_id, "temp_para": {"n": str(n)}}
            answer = client.post("/v1/messages", json=body)
            assert answer.status_code == 200, answer.text
            msg_ids.append(answer.json()["msg_id"])
    crash.join(WAIT_SECONDS)
    assert simulator.starts == 2

    def all_final() -> dict[str, tuple[str, int | None]]:
        found = smpp_setup.statuses(msg_ids)
        return found if all(s[0] in ("delivered", "failed") for s in found.values()) else {}

    deadline = WAIT_SECONDS * 4  # the outbox backs off while the SMSC is down
    try:
        statuses = smpp_setup.wait_for(all_final, "every burst message final", deadline)
    except AssertionError:
        found = smpp_setup.statuses(msg_ids)
        receipts = len(simulator.of_kind("receipt"))
        print(Counter(found.values()), receipts, "receipts sent;", smpp_setup.pending(), "pending")
        raise
    assert set(statuses.values()) == {("delivered", 4001)}
    at_smsc: dict[str, int] = {}
    for event in simulator.accepted():
        if int(event["dest"][2:]) >= first:
            at_smsc[event["dest"]] = at_smsc.get(event["dest"], 0) + 1
    assert len(at_smsc) == BURST  # none lost
    twice = [dest for dest, count in at_smsc.items() if count > 1]
    assert len(twice) <= 10  # at most one window of submits was in flight at the crash
