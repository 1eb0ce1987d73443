"""`smsgate serve` on an empty database, the way a new operator meets it: it migrates by itself,
and on first start it hands out a demo app that works with the official SDK at once.
"""

import re

import httpx
import jsms

from tests.console.signing_in import csrf_of

from .server import ServerFactory

UNKNOWN_KEY = "a" * 24
UNKNOWN_SECRET = "b" * 24


def test_serve_migrates_an_empty_database_by_itself(start_fresh_server: ServerFactory) -> None:
    """With the demo switched off and no admin command run first, the first API call still
    meets a migrated schema: unknown credentials are 401/50002 (a lookup in the apps table),
    not 500/50019, and the delivery worker has no failed passes in the log."""
    server = start_fresh_server(SMSGATE_CREATE_DEMO="false")

    answer = httpx.get(
        f"{server.base_url}/v1/accounts/app", auth=(UNKNOWN_KEY, UNKNOWN_SECRET), timeout=10.0
    )

    assert answer.status_code == 401, answer.text
    assert answer.json() == {"error": {"code": 50002, "message": "auth failed"}}
    assert "delivery pass failed" not in server.log_tail(400)


def test_first_start_prints_a_demo_app_that_sends_and_verifies(
    start_fresh_server: ServerFactory,
) -> None:
    """The appKey, masterSecret and temp_id printed on first start drive the SDK end to end:
    the code arrives signed 【smsgate】 and verifies."""
    server = start_fresh_server(SMSGATE_CREATE_DEMO="true")
    banner = server.log_tail(400)
    app_key = re.search(r"appKey:\s+(\S+)", banner)
    secret = re.search(r"masterSecret:\s+(\S+)", banner)
    temp_id = re.search(r"temp_id:\s+(\d+)", banner)
    assert app_key and secret and temp_id, banner

    client = jsms.Jsms(app_key.group(1), secret.group(1))
    client.BASE_URL = server.base_url + "/v1/"
    mobile = "13800138000"
    before = client.app_balance()["app_balance"]
    msg_id = client.send_code(mobile, temp_id.group(1))["msg_id"]

    text = server.wait_for_messages({msg_id}, mobile)[msg_id]["text"]
    assert text.startswith("【smsgate】"), text
    code = re.search(r"\d{6}", text)
    assert code, text
    assert client.verify_code(msg_id, code.group(0)) == {"is_valid": True}
    assert client.app_balance()["app_balance"] == before - 1


def test_first_start_prints_the_console_and_a_first_operator_who_can_sign_in(
    start_fresh_server: ServerFactory,
) -> None:
    """Beside the demo app: the console's URL and the first operator's generated password,
    printed once; they sign in."""
    server = start_fresh_server(SMSGATE_CREATE_DEMO="true")
    banner = server.log_tail(400)
    assert f"{server.base_url}/console/" in banner, banner
    password = re.search(r"name:\s+admin\s+password:\s+(\S+)", banner)
    assert password, banner
    with httpx.Client(base_url=server.base_url) as browser:
        form = browser.get("/console/login")
        signed_in = browser.post(
            "/console/login",
            data={"csrf": csrf_of(form.text), "name": "admin", "password": password.group(1)},
        )
        assert signed_in.status_code == 303, signed_in.text
        assert browser.get("/console/apps").status_code == 200
    server.restart()  # a second start creates no second operator and prints no password
    assert server.log_path.read_text().count("Created the first console operator") == 1
