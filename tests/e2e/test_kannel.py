"""`smsgate serve` delivering through a real Kannel (bearerbox + smsbox from Debian) bound to the
SMSC simulator: codes and notifications reach the SMSC through Kannel's sendsms, receipts come
back through Kannel's dlr-url, a handset's reply through its sms-service get-url."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from smsgate.db.models import PullRecord
from tests.delivery.smpp_peer import SmscSimulator

from .kannel_peer import SENDSMS_PASSWORD, SENDSMS_USER, Kannel, kannel_missing
from .server import SmsgateServer, clean_environment, fresh_database
from .smpp_setup import SmppSetup, sent_text

TOKEN = "e2e-kannel-callback-token"
WAIT_SECONDS = 30.0

pytestmark = pytest.mark.skipif(kannel_missing() is not None, reason=str(kannel_missing()))


class KannelSetup(SmppSetup):
    """The SMSC behind Kannel, and the replies Kannel brought in."""

    def replies(self) -> list[str]:
        query = select(PullRecord.data).where(PullRecord.kind == "reply")
        return self._read(lambda conn: list(conn.execute(query).scalars()))


@pytest.fixture(scope="module")
def kannel_setup(
    tmp_path_factory: pytest.TempPathFactory, e2e_backend: str
) -> Iterator[KannelSetup]:
    data_dir = tmp_path_factory.mktemp("smsgate")
    simulator = SmscSimulator()
    simulator.start()
    with fresh_database(e2e_backend) as database_url:
        env = clean_environment()
        env.update({"SMSGATE_DATA_DIR": str(data_dir), "SMSGATE_CREATE_DEMO": "true"})
        env["SMSGATE_LOG_LEVEL"] = "info"
        if database_url is not None:
            env["SMSGATE_DATABASE_URL"] = database_url
        server = SmsgateServer(data_dir, env)
        inbound = f"{server.base_url}/providers/kannel/inbound?token={TOKEN}"
        kannel = Kannel(tmp_path_factory.mktemp("kannel"), simulator.port, inbound)
        try:
            kannel.start()
            simulator.wait_for(lambda: bool(simulator.of_kind("bound")))
            env["SMSGATE_CONFIG"] = str(write_delivery_config(data_dir, kannel, server))
            port = server.port
            server.start()
            assert server.port == port, "the server moved port: Kannel calls the old one"
            yield KannelSetup(
                server, simulator, database_url or f"sqlite:///{data_dir / 'smsgate.db'}"
            )
        finally:
            server.kill()
            kannel.stop()
            simulator.kill()


def write_delivery_config(data_dir: Path, kannel: Kannel, server: SmsgateServer) -> Path:
    path = data_dir / "delivery.toml"
    path.write_text(
        f"""
[[providers]]
name = "kannel"
type = "kannel"
url = "{kannel.sendsms_url}"
username = "{SENDSMS_USER}"
password = "{SENDSMS_PASSWORD}"
source_addr = "1069"
callback_base_url = "{server.base_url}"
callback_token = "{TOKEN}"

[[routes]]
match = "*"
providers = ["kannel"]
"""
    )
    return path


def test_a_code_goes_through_kannel_and_its_receipt_delivers_it(kannel_setup) -> None:
    answer = kannel_setup.post("/v1/codes", {"mobile": "13800138000", "temp_id": 1})
    assert answer.status_code == 200, answer.text
    msg_id = answer.json()["msg_id"]

    parts = kannel_setup.wait_for(lambda: kannel_setup.submits_to("8613800138000"), "the submit")
    text = sent_text(parts)
    assert text.startswith("【smsgate】您的验证码是"), text
    assert parts[0]["source"] == "1069" and parts[0]["registered_delivery"] & 1

    assert kannel_setup.wait_final(msg_id)[:2] == ("delivered", 4001)
    code = re.search(r"\d{6}", text)
    assert code, text
    valid = kannel_setup.post(f"/v1/codes/{msg_id}/valid", {"code": code.group(0)})
    assert valid.json() == {"is_valid": True}


def test_a_long_notification_arrives_in_concatenated_parts(kannel_setup) -> None:
    name = "欧阳" * 30
    body = {"mobile": "13800138001", "temp_id": 2, "temp_para": {"name": name}}
    answer = kannel_setup.post("/v1/messages", body)
    assert answer.status_code == 200, answer.text
    parts = kannel_setup.wait_for(
        lambda: len(found := kannel_setup.submits_to("8613800138001")) >= 2 and found,
        "every part",
    )
    assert all(part["esm_class"] & 0x40 for part in parts)
    assert sent_text(parts) == f"【smsgate】{name}您好，您的订单已发货，请注意查收。"
    assert kannel_setup.wait_final(answer.json()["msg_id"])[:2] == ("delivered", 4001)


def test_a_number_the_smsc_refuses_ends_failed(kannel_setup) -> None:
    body = {"mobile": "13800134000", "temp_id": 2, "temp_para": {"name": "张三"}}
    answer = kannel_setup.post("/v1/messages", body)
    assert answer.status_code == 200, answer.text
    kannel_setup.wait_for(lambda: kannel_setup.submits_to("8613800134000"), "the refused submit")
    assert kannel_setup.wait_final(answer.json()["msg_id"])[:2] == ("failed", 4100)


def test_a_reply_through_kannel_reaches_the_app(kannel_setup) -> None:
    answer = kannel_setup.post("/v1/codes", {"mobile": "13800138002", "temp_id": 1})
    assert answer.status_code == 200, answer.text
    kannel_setup.wait_final(answer.json()["msg_id"])
    kannel_setup.simulator.send_mo("8613800138002", "1069", ["收到".encode("utf-16-be")], 8)
    replies = kannel_setup.wait_for(kannel_setup.replies, "the reply")
    assert any('"content":"收到"' in r and "13800138002" in r for r in replies), replies
