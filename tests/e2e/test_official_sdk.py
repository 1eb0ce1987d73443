"""The official Python SDK (PyPI `jsms==0.0.4`), unmodified, against a real smsgate process.

The SDK is the compatibility contract: it sends JSON with no Content-Type, passes temp_id as a
string in its README, concatenates msg_id into the URL and returns `r.json()` whatever the status.
Only its BASE_URL is changed, exactly as a user switching to smsgate would.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import jsms
import pytest

from .server import SmsgateServer

SIGN = "E2E测试"
CODE_TEMPLATE = "您的验证码是{{code}}，5分钟内有效。"
CODE_TEXT = re.compile(r"【E2E测试】您的验证码是(\d{6})，5分钟内有效。")
NOTICE_TEMPLATE = "{{name}}您好，订单{{order}}已发货。"
START_BALANCE = 100


@dataclass(frozen=True)
class SdkApp:
    client: jsms.Jsms
    code_temp_id: int
    notice_temp_id: int


def make_client(server: SmsgateServer, app_key: str, master_secret: str) -> jsms.Jsms:
    """The SDK pointed at the server the documented way (trailing slash kept)."""
    client = jsms.Jsms(app_key, master_secret)
    client.BASE_URL = server.base_url + "/v1/"
    return client


@pytest.fixture(scope="module")
def sdk_app(smsgate_server: SmsgateServer) -> Iterator[SdkApp]:
    """An app with a signature, 100 all-purpose units, a code and a notification template."""
    app_key, secret = smsgate_server.create_app(
        "sdk", "--sign", SIGN, "--balance", str(START_BALANCE)
    )
    code_temp_id = smsgate_server.create_template(app_key, 1, CODE_TEMPLATE, "--ttl", "300")
    notice_temp_id = smsgate_server.create_template(app_key, 2, NOTICE_TEMPLATE)
    client = make_client(smsgate_server, app_key, secret)
    yield SdkApp(client, code_temp_id, notice_temp_id)
    client.session.close()


def balance(app: SdkApp) -> int:
    answer = app.client.app_balance()
    units: int = answer["app_balance"]
    return units


def send_and_read_code(server: SmsgateServer, app: SdkApp, mobile: str) -> tuple[str, str]:
    """Send a text code the README way (temp_id as a string) and read it off the handset."""
    answer = app.client.send_code(mobile, str(app.code_temp_id))
    assert set(answer) == {"msg_id"}, answer
    msg_id = answer["msg_id"]
    assert isinstance(msg_id, str) and msg_id
    entry = server.wait_for_messages({msg_id}, mobile)[msg_id]
    assert entry["channel"] == "sms"
    assert entry["mobile"] == mobile
    match = CODE_TEXT.fullmatch(entry["text"])
    assert match, f"unexpected SMS text {entry['text']!r}"
    return msg_id, match.group(1)


def test_app_balance_reports_all_four_quotas(sdk_app: SdkApp) -> None:
    """app_balance() parses the JSMS shape: the metered pool as a number, the rest null."""
    answer = sdk_app.client.app_balance()
    assert set(answer) == {"app_balance", "app_voice", "app_industry", "app_market"}
    assert isinstance(answer["app_balance"], int)
    assert 0 < answer["app_balance"] <= START_BALANCE
    assert answer["app_voice"] is None
    assert answer["app_industry"] is None
    assert answer["app_market"] is None


def test_text_code_is_delivered_signed_and_verifies_once(
    smsgate_server: SmsgateServer, sdk_app: SdkApp
) -> None:
    """The code reaches the handset as 【sign】text, verifies once, then answers 50012;
    the send costs exactly one unit."""
    before = balance(sdk_app)
    msg_id, code = send_and_read_code(smsgate_server, sdk_app, "13900139001")

    assert sdk_app.client.verify_code(msg_id, code) == {"is_valid": True}
    again = sdk_app.client.verify_code(msg_id, code)
    assert again["is_valid"] is False
    assert again["error"]["code"] == 50012
    assert balance(sdk_app) == before - 1


def test_wrong_code_is_refused_without_burning_the_right_one(
    smsgate_server: SmsgateServer, sdk_app: SdkApp
) -> None:
    """A wrong code answers 50010 and counts as one try; the right code still verifies."""
    msg_id, code = send_and_read_code(smsgate_server, sdk_app, "13900139002")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    refused = sdk_app.client.verify_code(msg_id, wrong)
    assert refused["is_valid"] is False
    assert refused["error"]["code"] == 50010
    assert sdk_app.client.verify_code(msg_id, code) == {"is_valid": True}


def test_unknown_msg_id_gets_50026(sdk_app: SdkApp) -> None:
    """Verifying a msg_id that was never issued is 50026, not a wrong code."""
    answer = sdk_app.client.verify_code("00000000-0000-4000-8000-000000000000", "123456")
    assert answer["is_valid"] is False
    assert answer["error"]["code"] == 50026


def test_voice_code_with_callers_code_is_spoken_and_verifies(
    smsgate_server: SmsgateServer, sdk_app: SdkApp
) -> None:
    """A caller-chosen voice code goes out as a call carrying those digits and verifies through
    the same /codes/{msg_id}/valid as a text code; a call costs one unit."""
    mobile = "13900139003"
    before = balance(sdk_app)
    answer = sdk_app.client.send_voice_code(mobile, code="8642", lang=1, ttl=120)
    msg_id = answer["msg_id"]
    assert isinstance(msg_id, str)

    entry = smsgate_server.wait_for_messages({msg_id}, mobile)[msg_id]
    assert entry["channel"] == "voice"
    assert "8642" in re.sub(r"\D", "", entry["text"])
    assert "Your verification code" in entry["text"]  # voice_lang 1 is English

    wrong = sdk_app.client.verify_code(msg_id, "8643")
    assert wrong["error"]["code"] == 50010
    assert sdk_app.client.verify_code(msg_id, "8642") == {"is_valid": True}
    assert balance(sdk_app) == before - 1


def test_template_sms_is_rendered_and_billed_per_part(
    smsgate_server: SmsgateServer, sdk_app: SdkApp
) -> None:
    """send_teml fills temp_para into the template behind the signature; a text over 70
    characters (UCS-2) is two parts and costs two units."""
    mobile = "13900139004"
    before = balance(sdk_app)

    short = sdk_app.client.send_teml(
        mobile, sdk_app.notice_temp_id, temp_para={"name": "李雷", "order": "A-1001"}
    )
    long_order = "B" + "7" * 80
    long = sdk_app.client.send_teml(
        mobile, str(sdk_app.notice_temp_id), temp_para={"name": "韩梅梅", "order": long_order}
    )
    delivered = smsgate_server.wait_for_messages({short["msg_id"], long["msg_id"]}, mobile)

    assert delivered[short["msg_id"]]["text"] == "【E2E测试】李雷您好，订单A-1001已发货。"
    long_text = f"【E2E测试】韩梅梅您好，订单{long_order}已发货。"
    assert 70 < len(long_text) <= 134
    assert delivered[long["msg_id"]]["text"] == long_text
    assert balance(sdk_app) == before - 1 - 2
