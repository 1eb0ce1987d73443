"""The PHP and Java official SDKs' exact requests (jsms-api.md §6.1, §6.2) against a real
`smsgate serve`, and answers checked as those SDKs parse them (§6 response models, §2 shapes).

PHP: `temp_id` as the string the caller passed, non-ASCII as `\\uXXXX` and `/` as `\\/`, batch
numbers as JSON numbers, `"temp_para":[]`, `"recipients":null`, voice options merged with the
mobile. Java: raw UTF-8 with gson's `\\u003d`-style escapes, `"temp_id":0` in a template create,
keys left out when zero. Both send `Content-Type: application/json` on GET and DELETE, and take
a DELETE's empty 200 as success. The signature (multipart) calls are in test_sdk_signs.py.
"""

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .sdk_wire import Answer, JavaClient, PhpClient, gson_json, php_json
from .server import SmsgateServer

PHP_SIGN = "PHP接入"
JAVA_SIGN = "Java接入"
CODE_TEMPLATE = "您的验证码是{{code}}，5分钟内有效。"
NOTICE_TEMPLATE = "{{name}}您好，订单{{order}}已发货。"
PLAIN_TEMPLATE = "您的包裹已到驿站。"
SHANGHAI = ZoneInfo("Asia/Shanghai")
BALANCE_KEYS = {"app_balance", "app_voice", "app_industry", "app_market"}


@dataclass(frozen=True)
class Tenant:
    app_key: str
    secret: str
    code_temp_id: int
    notice_temp_id: int
    plain_temp_id: int


def new_tenant(server: SmsgateServer, sign: str) -> Tenant:
    app_key, secret = server.create_app(sign, "--sign", sign, "--balance", "500")
    return Tenant(
        app_key,
        secret,
        server.create_template(app_key, 1, CODE_TEMPLATE, "--ttl", "300"),
        server.create_template(app_key, 2, NOTICE_TEMPLATE),
        server.create_template(app_key, 2, PLAIN_TEMPLATE),
    )


@pytest.fixture(scope="module")
def php_tenant(smsgate_server: SmsgateServer) -> Iterator[Tenant]:
    yield new_tenant(smsgate_server, PHP_SIGN)


@pytest.fixture(scope="module")
def java_tenant(smsgate_server: SmsgateServer) -> Iterator[Tenant]:
    yield new_tenant(smsgate_server, JAVA_SIGN)


@pytest.fixture
def php(smsgate_server: SmsgateServer, php_tenant: Tenant) -> PhpClient:
    return PhpClient(smsgate_server.port, php_tenant.app_key, php_tenant.secret)


@pytest.fixture
def java(smsgate_server: SmsgateServer, java_tenant: Tenant) -> JavaClient:
    return JavaClient(smsgate_server.port, java_tenant.app_key, java_tenant.secret)


def send_time(seconds_from_now: int) -> str:
    """A `yyyy-MM-dd HH:mm:ss` in Shanghai time (the server's default schedule zone)."""
    return datetime.fromtimestamp(time.time() + seconds_from_now, SHANGHAI).strftime(
        "%Y-%m-%d %H:%M:%S"
    )


def ok_json(answer: Answer) -> Any:
    """A 200 whose body is JSON, as json_decode / gson need it."""
    assert answer.status == 200, (answer.status, answer.body)
    assert answer.content_type.startswith("application/json"), answer.content_type
    return answer.json()


def assert_error(answer: Answer, status: int, code: int) -> None:
    """The JSMS envelope both SDKs read on an error (Java's `setErrorObject`)."""
    assert answer.status == status, (answer.status, answer.body)
    body = answer.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def assert_empty_ok(answer: Answer) -> None:
    """A DELETE's success: 200, no body at all (PHP json_decode('') is NULL; Java reads "")."""
    assert answer.status == 200, (answer.status, answer.body)
    assert answer.body == b""
    assert answer.headers.get("Content-Length") == "0"


def msg_id_of(answer: Answer) -> str:
    body = ok_json(answer)
    assert set(body) == {"msg_id"}, body
    assert isinstance(body["msg_id"], str) and body["msg_id"], body
    msg_id: str = body["msg_id"]
    return msg_id


def schedule_id_of(answer: Answer) -> str:
    body = ok_json(answer)
    assert set(body) == {"schedule_id"}, body
    schedule_id: str = body["schedule_id"]
    assert str(uuid.UUID(schedule_id)) == schedule_id
    return schedule_id


def delivered_code(server: SmsgateServer, msg_id: str, mobile: str, sign: str) -> str:
    entry = server.wait_for_messages({msg_id}, mobile)[msg_id]
    assert entry["channel"] == "sms"
    match = re.fullmatch(rf"【{sign}】您的验证码是(\d{{6}})，5分钟内有效。", entry["text"])
    assert match, entry["text"]
    return match.group(1)


# ---------------------------------------------------------------- PHP (jsms-api-php-client)


def test_php_bodies_are_encoded_as_json_encode_does() -> None:
    """The encoder the PHP cases rely on writes what PHP 7/8 json_encode writes."""
    assert php_json({"temp_para": {"name": "李雷", "url": "a/b"}, "t": "6666"}) == (
        b'{"temp_para":{"name":"\\u674e\\u96f7","url":"a\\/b"},"t":"6666"}'
    )
    assert gson_json({"temp_para": {"k": "a=1&b<2>'", "n": "李"}}) == (
        '{"temp_para":{"k":"a\\u003d1\\u0026b\\u003c2\\u003e\\u0027","n":"李"}}'.encode()
    )


def test_php_send_code_and_check_code(
    smsgate_server: SmsgateServer, php: PhpClient, php_tenant: Tenant
) -> None:
    """sendCode → {"msg_id": str}; checkCode answers the wrong code 403 with is_valid false and
    the error (50010) in one body, the right one {"is_valid": true}, a second check 50012."""
    mobile = "13700137001"
    msg_id = msg_id_of(
        php.request("POST", "/v1/codes", {"mobile": mobile, "temp_id": php_tenant.code_temp_id})
    )
    code = delivered_code(smsgate_server, msg_id, mobile, PHP_SIGN)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    refused = php.request("POST", f"/v1/codes/{msg_id}/valid", {"code": wrong})
    assert refused.status == 403
    assert refused.json() == {
        "is_valid": False,
        "error": {"code": 50010, "message": "invalid code"},
    }
    accepted = php.request("POST", f"/v1/codes/{msg_id}/valid", {"code": code})
    assert ok_json(accepted) == {"is_valid": True}
    again = php.request("POST", f"/v1/codes/{msg_id}/valid", {"code": code})
    assert again.status == 403
    assert again.json()["is_valid"] is False
    assert again.json()["error"]["code"] == 50012


def test_php_voice_code_with_array_options(smsgate_server: SmsgateServer, php: PhpClient) -> None:
    """sendVoiceCode($mobile, ['ttl'=>30,'voice_lang'=>2,'code'=>'6666']) merges the options
    before `mobile`; the call speaks 6666 in Mandarin and English and the code verifies."""
    mobile = "13700137002"
    body = b'{"ttl":30,"voice_lang":2,"code":"6666","mobile":"13700137002"}'
    msg_id = msg_id_of(php.raw("POST", "/v1/voice_codes", body))
    entry = smsgate_server.wait_for_messages({msg_id}, mobile)[msg_id]
    assert entry["channel"] == "voice"
    assert "您的验证码是 6 6 6 6" in entry["text"]
    assert "Your verification code is 6 6 6 6" in entry["text"]
    checked = php.request("POST", f"/v1/codes/{msg_id}/valid", {"code": "6666"})
    assert ok_json(checked) == {"is_valid": True}


def test_php_voice_code_with_scalar_ttl(smsgate_server: SmsgateServer, php: PhpClient) -> None:
    """sendVoiceCode($mobile, 30): the scalar becomes `ttl`; the platform picks a 6-digit code."""
    mobile = "13700137003"
    msg_id = msg_id_of(php.raw("POST", "/v1/voice_codes", b'{"mobile":"13700137003","ttl":30}'))
    entry = smsgate_server.wait_for_messages({msg_id}, mobile)[msg_id]
    assert entry["channel"] == "voice"
    assert re.search(r"您的验证码是 \d \d \d \d \d \d，", entry["text"]), entry["text"]


def test_php_send_message_with_string_temp_id_and_escaped_para(
    smsgate_server: SmsgateServer, php: PhpClient, php_tenant: Tenant
) -> None:
    """sendMessage($mobile, '<id>', [...]): `"temp_id":"<id>"` as a string, the Chinese name as
    \\u escapes (an emoji as a surrogate pair) and the `/` as `\\/`; the handset gets the
    decoded characters."""
    mobile = "13700137004"
    body = (
        f'{{"mobile":"{mobile}","temp_id":"{php_tenant.notice_temp_id}",'
        '"temp_para":{"name":"\\u674e\\u96f7\\ud83d\\ude00","order":"A\\/2026\\/7"}}'
    ).encode()
    msg_id = msg_id_of(php.raw("POST", "/v1/messages", body))
    entry = smsgate_server.wait_for_messages({msg_id}, mobile)[msg_id]
    assert entry["text"] == f"【{PHP_SIGN}】李雷😀您好，订单A/2026/7已发货。"


def test_php_scheduled_message_show_and_delete(php: PhpClient, php_tenant: Tenant) -> None:
    """sendMessage(..., $time) posts to /schedule with send_time last; showSchedule (GET with a
    JSON Content-Type and no body) reads it back; deleteSchedule gets the empty 200."""
    mobile, when = "13700137005", send_time(3600)
    body = {
        "mobile": mobile,
        "temp_id": str(php_tenant.notice_temp_id),
        "temp_para": {"name": "韩梅梅", "order": "S/1"},
        "send_time": when,
    }
    schedule_id = schedule_id_of(php.request("POST", "/v1/schedule", body))

    shown = ok_json(php.request("GET", f"/v1/schedule/{schedule_id}"))
    [recipient] = shown["recipients"]
    assert isinstance(recipient["msg_id"], str) and recipient["msg_id"]
    assert shown == {
        "schedule_id": schedule_id,
        "send_time": when,
        "temp_id": php_tenant.notice_temp_id,
        "recipients": [
            {
                "msg_id": recipient["msg_id"],
                "mobile": mobile,
                "temp_para": {"name": "韩梅梅", "order": "S/1"},
            }
        ],
    }
    assert_empty_ok(php.request("DELETE", f"/v1/schedule/{schedule_id}"))
    assert_error(php.request("GET", f"/v1/schedule/{schedule_id}"), 403, 50028)


def test_php_batch_numbers_as_json_numbers_and_empty_para_array(
    smsgate_server: SmsgateServer, php: PhpClient, php_tenant: Tenant
) -> None:
    """sendBatchMessage('<id>', [13700137006 => [...], 13700137007 => []]): the keys become JSON
    numbers and the empty map `[]`. The first is sent; the second lacks the parameters its
    template needs and is refused on its own (50023, the code as a string)."""
    body = (
        f'{{"temp_id":"{php_tenant.notice_temp_id}","recipients":['
        '{"mobile":13700137006,"temp_para":{"name":"\\u5f20\\u4e09","order":"B\\/1"}},'
        '{"mobile":13700137007,"temp_para":[]}]}'
    ).encode()
    answer = ok_json(php.raw("POST", "/v1/messages/batch", body))
    assert answer["success_count"] == 1 and answer["failure_count"] == 1
    sent, refused = answer["recipients"]
    assert set(sent) == {"msg_id", "mobile"} and sent["mobile"] == "13700137006"
    assert refused["mobile"] == "13700137007"
    assert refused["error_code"] == "50023"
    assert refused["error_message"] == "parameters is empty"
    entry = smsgate_server.wait_for_messages({sent["msg_id"]}, "13700137006")[sent["msg_id"]]
    assert entry["text"] == f"【{PHP_SIGN}】张三您好，订单B/1已发货。"


def test_php_batch_with_empty_para_array_for_a_template_without_parameters(
    smsgate_server: SmsgateServer, php: PhpClient, php_tenant: Tenant
) -> None:
    """`"temp_para":[]` is an empty map, not a type error, where the template needs none."""
    body = (
        f'{{"temp_id":{php_tenant.plain_temp_id},"recipients":['
        '{"mobile":13700137008,"temp_para":[]},{"mobile":13700137009,"temp_para":[]}]}'
    ).encode()
    answer = ok_json(php.raw("POST", "/v1/messages/batch", body))
    assert answer["success_count"] == 2 and answer["failure_count"] == 0
    assert [r["mobile"] for r in answer["recipients"]] == ["13700137008", "13700137009"]
    ids = {r["msg_id"] for r in answer["recipients"]}
    delivered = smsgate_server.wait_for_messages(ids)
    assert {e["text"] for e in delivered.values()} == {f"【{PHP_SIGN}】{PLAIN_TEMPLATE}"}


def test_php_scheduled_batch(php: PhpClient, php_tenant: Tenant) -> None:
    """sendBatchMessage(..., $time) → /schedule/batch: the batch-schedule answer, and the
    numbers read back as strings."""
    when = send_time(7200)
    body = (
        f'{{"temp_id":"{php_tenant.plain_temp_id}","recipients":['
        '{"mobile":13700137010,"temp_para":[]},{"mobile":13700137011,"temp_para":[]}],'
        f'"send_time":"{when}"}}'
    ).encode()
    answer = ok_json(php.raw("POST", "/v1/schedule/batch", body))
    assert set(answer) >= {"schedule_id", "success_count", "failure_count", "failure_recipients"}
    assert answer["success_count"] == 2 and answer["failure_count"] == 0
    assert answer["failure_recipients"] == []
    shown = ok_json(php.request("GET", f"/v1/schedule/{answer['schedule_id']}"))
    assert shown["send_time"] == when
    assert [r["mobile"] for r in shown["recipients"]] == ["13700137010", "13700137011"]
    assert all(r["temp_para"] == {} for r in shown["recipients"])
    assert_empty_ok(php.request("DELETE", f"/v1/schedule/{answer['schedule_id']}"))


def test_php_scheduled_batch_with_numeric_mobiles_is_delivered(
    smsgate_server: SmsgateServer, php: PhpClient, php_tenant: Tenant
) -> None:
    """A scheduled batch whose numbers came as JSON numbers and whose parameters as \\u
    escapes is sent at its time with the decoded text to each number."""
    when = send_time(3)  # whole seconds: at least 2 s ahead when it arrives
    body = (
        f'{{"temp_id":"{php_tenant.notice_temp_id}","recipients":['
        '{"mobile":13700137012,"temp_para":{"name":"\\u5c0f\\u7ea2","order":"T\\/1"}},'
        '{"mobile":13700137013,"temp_para":{"name":"\\u5c0f\\u660e","order":"T\\/2"}}],'
        f'"send_time":"{when}"}}'
    ).encode()
    answer = ok_json(php.raw("POST", "/v1/schedule/batch", body))
    assert answer["success_count"] == 2, answer
    shown = ok_json(php.request("GET", f"/v1/schedule/{answer['schedule_id']}"))
    ids = {r["mobile"]: r["msg_id"] for r in shown["recipients"]}
    delivered = smsgate_server.wait_for_messages(set(ids.values()))
    assert delivered[ids["13700137012"]]["text"] == f"【{PHP_SIGN}】小红您好，订单T/1已发货。"
    assert delivered[ids["13700137013"]]["text"] == f"【{PHP_SIGN}】小明您好，订单T/2已发货。"
    assert delivered[ids["13700137013"]]["mobile"] == "13700137013"


def test_php_empty_recipient_map_sends_null(php: PhpClient, php_tenant: Tenant) -> None:
    """sendBatchMessage($id, []) leaves `$r` undefined: `"recipients":null` → 403/50030."""
    body = f'{{"temp_id":{php_tenant.plain_temp_id},"recipients":null}}'.encode()
    assert_error(php.raw("POST", "/v1/messages/batch", body), 403, 50030)


def test_php_app_balance(php: PhpClient) -> None:
    """getAppBalance: a GET with a JSON Content-Type and no body; all four keys, metered
    balance as an integer, the unmetered categories null."""
    answer = ok_json(php.request("GET", "/v1/accounts/app"))
    assert set(answer) == BALANCE_KEYS
    assert isinstance(answer["app_balance"], int) and 0 < answer["app_balance"] <= 500
    assert answer["app_voice"] is None and answer["app_industry"] is None
    assert answer["app_market"] is None


# ---------------------------------------------------------- Java (jsms-api-java-client)


def test_java_send_code_and_verify(
    smsgate_server: SmsgateServer, java: JavaClient, java_tenant: Tenant
) -> None:
    """sendSMSCode → SendSMSResult.msg_id (a String); sendValidSMSCode with six digits →
    ValidSMSResult.is_valid true; a wrong code is a 403 (Java throws APIRequestException)
    carrying the JSMS error."""
    mobile = "13800138101"
    msg_id = msg_id_of(
        java.request("POST", "/v1/codes", {"mobile": mobile, "temp_id": java_tenant.code_temp_id})
    )
    code = delivered_code(smsgate_server, msg_id, mobile, JAVA_SIGN)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = java.request("POST", f"/v1/codes/{msg_id}/valid", {"code": wrong})
    assert refused.status == 403
    assert refused.json()["error"] == {"code": 50010, "message": "invalid code"}
    assert ok_json(java.request("POST", f"/v1/codes/{msg_id}/valid", {"code": code})) == {
        "is_valid": True
    }


def test_java_voice_code(smsgate_server: SmsgateServer, java: JavaClient) -> None:
    """sendVoiceSMSCode with ttl, a six-digit code and voice_lang 1 (English)."""
    mobile = "13800138102"
    body = {"mobile": mobile, "ttl": 90, "code": "135790", "voice_lang": 1}
    msg_id = msg_id_of(java.request("POST", "/v1/voice_codes", body))
    entry = smsgate_server.wait_for_messages({msg_id}, mobile)[msg_id]
    assert entry["channel"] == "voice"
    assert entry["text"].startswith("Your verification code is 1 3 5 7 9 0"), entry["text"]
    assert "您的验证码" not in entry["text"]
    checked = java.request("POST", f"/v1/codes/{msg_id}/valid", {"code": "135790"})
    assert ok_json(checked) == {"is_valid": True}


def test_java_template_sms_with_gson_escapes(
    smsgate_server: SmsgateServer, java: JavaClient, java_tenant: Tenant
) -> None:
    """sendTemplateSMS: raw UTF-8 Chinese, `=`, `&`, `<`, `>`, `'` as gson's \\u003d-style
    escapes; the handset gets the characters themselves."""
    mobile = "13800138103"
    payload = {
        "mobile": mobile,
        "temp_id": java_tenant.notice_temp_id,
        "temp_para": {"name": "韩梅梅", "order": "a=1&b<2>'"},
    }
    assert (
        gson_json(payload)
        == (
            f'{{"mobile":"{mobile}","temp_id":{java_tenant.notice_temp_id},'
            '"temp_para":{"name":"韩梅梅","order":"a\\u003d1\\u0026b\\u003c2\\u003e\\u0027"}}'
        ).encode()
    )
    msg_id = msg_id_of(java.request("POST", "/v1/messages", payload))
    entry = smsgate_server.wait_for_messages({msg_id}, mobile)[msg_id]
    assert entry["text"] == f"【{JAVA_SIGN}】韩梅梅您好，订单a=1&b<2>'已发货。"


def test_java_template_sms_without_temp_para_is_refused(
    java: JavaClient, java_tenant: Tenant
) -> None:
    """testSendTempSMS_tempParaNull: no temp_para for a template with parameters must not be
    a 2xx (403/50023)."""
    body = {"mobile": "13800138104", "temp_id": java_tenant.notice_temp_id}
    assert_error(java.request("POST", "/v1/messages", body), 403, 50023)


def reject_template(server: SmsgateServer, temp_id: int) -> None:
    """`smsgate template reject` (it prints text, not JSON) against the server's database."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "smsgate",
            "template",
            "reject",
            str(temp_id),
            "--reason",
            "wording",
        ],
        cwd=server.data_dir,
        env=server.env,
        capture_output=True,
        timeout=60,
        check=True,
    )


def assert_batch_result(answer: dict[str, Any], success: int, failures: list[str]) -> None:
    """BatchSMSResult: success_count, failure_count, failure_recipients[{error_code (a
    String), error_message, mobile, temp_para}]."""
    assert answer["success_count"] == success
    assert answer["failure_count"] == len(failures)
    assert [f["mobile"] for f in answer["failure_recipients"]] == failures
    for failure in answer["failure_recipients"]:
        assert {"error_code", "error_message", "mobile", "temp_para"} <= set(failure)
        assert isinstance(failure["error_code"], str)


def test_java_batch_template_sms(
    smsgate_server: SmsgateServer, java: JavaClient, java_tenant: Tenant
) -> None:
    """sendBatchTemplateSMS to /messages/batch; one bad number is a failure_recipients entry
    with error_code "50006", the others are sent."""
    para = {"name": "王五", "order": "J-1"}
    body = {
        "temp_id": java_tenant.notice_temp_id,
        "recipients": [
            {"mobile": "13800138105", "temp_para": para},
            {"mobile": "12345", "temp_para": para},
            {"mobile": "13800138106", "temp_para": {"name": "赵六", "order": "J-2"}},
        ],
    }
    answer = ok_json(java.request("POST", "/v1/messages/batch", body))
    assert_batch_result(answer, 2, ["12345"])
    [failure] = answer["failure_recipients"]
    assert failure["error_code"] == "50006" and failure["temp_para"] == para
    sent = {r["mobile"]: r["msg_id"] for r in answer["recipients"] if "error_code" not in r}
    delivered = smsgate_server.wait_for_messages(set(sent.values()))
    assert delivered[sent["13800138105"]]["text"] == f"【{JAVA_SIGN}】王五您好，订单J-1已发货。"
    assert delivered[sent["13800138106"]]["text"] == f"【{JAVA_SIGN}】赵六您好，订单J-2已发货。"


def test_java_schedule_create_update_show_delete(java: JavaClient, java_tenant: Tenant) -> None:
    """sendScheduleSMS, updateScheduleSMS (PUT, same id back), getScheduleSMS (ScheduleSMSResult
    with the changed values), deleteScheduleSMS (empty 200); a deleted one cannot change."""
    mobile, first, second = "13800138107", send_time(3600), send_time(5400)
    create = {
        "send_time": first,
        "mobile": mobile,
        "temp_id": java_tenant.notice_temp_id,
        "temp_para": {"name": "甲", "order": "Q=1"},
    }
    schedule_id = schedule_id_of(java.request("POST", "/v1/schedule", create))
    change = {**create, "send_time": second, "temp_para": {"name": "乙", "order": "Q<2>"}}
    assert schedule_id_of(java.request("PUT", f"/v1/schedule/{schedule_id}", change)) == (
        schedule_id
    )

    shown = ok_json(java.request("GET", f"/v1/schedule/{schedule_id}"))
    assert set(shown) == {"schedule_id", "send_time", "temp_id", "recipients"}
    assert shown["schedule_id"] == schedule_id and shown["send_time"] == second
    assert shown["temp_id"] == java_tenant.notice_temp_id
    [recipient] = shown["recipients"]
    assert set(recipient) == {"msg_id", "mobile", "temp_para"}
    assert recipient["mobile"] == mobile
    assert recipient["temp_para"] == {"name": "乙", "order": "Q<2>"}

    assert_empty_ok(java.request("DELETE", f"/v1/schedule/{schedule_id}"))
    assert_error(java.request("PUT", f"/v1/schedule/{schedule_id}", change), 403, 50029)


def test_java_batch_schedule_create_update_delete(java: JavaClient, java_tenant: Tenant) -> None:
    """sendBatchScheduleSMS and updateBatchScheduleSMS (PUT /schedule/batch/{id}) both answer
    BatchSMSResult with the schedule_id; the show lists the updated recipients."""
    recipients = [
        {"mobile": "13800138108", "temp_para": {"name": "丙", "order": "R-1"}},
        {"mobile": "13800138109", "temp_para": {"name": "丁", "order": "R-2"}},
    ]
    create = {
        "temp_id": java_tenant.notice_temp_id,
        "send_time": send_time(3600),
        "recipients": recipients,
    }
    created = ok_json(java.request("POST", "/v1/schedule/batch", create))
    assert_batch_result(created, 2, [])
    schedule_id = created["schedule_id"]
    assert str(uuid.UUID(schedule_id)) == schedule_id

    change = {**create, "recipients": [*recipients, {"mobile": "1380013", "temp_para": {}}]}
    updated = ok_json(java.request("PUT", f"/v1/schedule/batch/{schedule_id}", change))
    assert updated["schedule_id"] == schedule_id
    assert_batch_result(updated, 2, ["1380013"])
    shown = ok_json(java.request("GET", f"/v1/schedule/{schedule_id}"))
    assert [r["mobile"] for r in shown["recipients"]] == ["13800138108", "13800138109"]
    assert_empty_ok(java.request("DELETE", f"/v1/schedule/{schedule_id}"))


def test_java_template_create_update_show_delete(
    smsgate_server: SmsgateServer, java: JavaClient
) -> None:
    """createTemplate sends `"temp_id":0` and leaves out ttl for a notification; the template
    is in review. Rejected by an operator, updateTemplate (PUT with its temp_id) resubmits it
    as a code template; deleteTemplate answers the empty 200 and it is gone (50013)."""
    text = "尊敬的{{name}}：a=b&c<d>'e'"
    create = {"temp_id": 0, "template": text, "type": 2, "remark": "订单通知 <内部>"}
    assert (
        gson_json(create)
        == (
            '{"temp_id":0,"template":"尊敬的{{name}}：a\\u003db\\u0026c\\u003cd\\u003e\\u0027e\\u0027",'
            '"type":2,"remark":"订单通知 \\u003c内部\\u003e"}'
        ).encode()
    )
    created = ok_json(java.request("POST", "/v1/templates", create))
    assert set(created) == {"temp_id"}
    temp_id = created["temp_id"]
    assert isinstance(temp_id, int) and temp_id > 0

    shown = ok_json(java.request("GET", f"/v1/templates/{temp_id}"))
    assert set(shown) == {"temp_id", "template", "type", "ttl", "remark", "status"}
    assert shown["temp_id"] == temp_id and shown["template"] == text
    assert shown["type"] == 2 and shown["remark"] == "订单通知 <内部>"
    assert shown["status"] == 0 and isinstance(shown["ttl"], int)

    reject_template(smsgate_server, temp_id)
    assert ok_json(java.request("GET", f"/v1/templates/{temp_id}"))["status"] == 2
    update = {
        "temp_id": temp_id,
        "template": "验证码{{code}}，勿告诉他人",
        "type": 1,
        "ttl": 120,
        "remark": "登录",
    }
    assert ok_json(java.request("PUT", f"/v1/templates/{temp_id}", update)) == {"temp_id": temp_id}
    assert ok_json(java.request("GET", f"/v1/templates/{temp_id}")) == {
        "temp_id": temp_id,
        "template": "验证码{{code}}，勿告诉他人",
        "type": 1,
        "ttl": 120,
        "remark": "登录",
        "status": 0,
    }
    assert_empty_ok(java.request("DELETE", f"/v1/templates/{temp_id}"))
    assert_error(java.request("GET", f"/v1/templates/{temp_id}"), 403, 50013)


def test_java_code_template_create_and_update_with_unset_temp_id(
    smsgate_server: SmsgateServer, java: JavaClient
) -> None:
    """A verification template from the Java builder (temp_id 0, type 1, ttl 300); after a
    rejection, an update whose payload never set temp_id sends `"temp_id":0`: the id in the
    path is the one changed and answered."""
    create = {"temp_id": 0, "template": "您的登录码{{code}}", "type": 1, "ttl": 300, "remark": ""}
    temp_id = ok_json(java.request("POST", "/v1/templates", create))["temp_id"]
    shown = ok_json(java.request("GET", f"/v1/templates/{temp_id}"))
    assert (shown["template"], shown["type"], shown["ttl"], shown["status"]) == (
        "您的登录码{{code}}",
        1,
        300,
        0,
    )
    reject_template(smsgate_server, temp_id)
    update = {**create, "template": "您的登录码是{{code}}", "ttl": 600}
    assert ok_json(java.request("PUT", f"/v1/templates/{temp_id}", update)) == {"temp_id": temp_id}
    shown = ok_json(java.request("GET", f"/v1/templates/{temp_id}"))
    assert (shown["template"], shown["ttl"], shown["status"]) == ("您的登录码是{{code}}", 600, 0)


def test_java_null_temp_para_value_is_a_missing_parameter(
    java: JavaClient, java_tenant: Tenant
) -> None:
    """Java writes a null map value as JSON null: that placeholder is not filled (50022), not a
    malformed body (50007) and not the text "null"."""
    body = {
        "mobile": "13800138110",
        "temp_id": java_tenant.notice_temp_id,
        "temp_para": {"name": "钱七", "order": None},
    }
    assert_error(java.request("POST", "/v1/messages", body), 403, 50022)


def test_java_app_balance(java: JavaClient) -> None:
    """getAppSMSBalance: AppBalanceResult.app_balance is an int."""
    answer = ok_json(java.request("GET", "/v1/accounts/app"))
    assert set(answer) == BALANCE_KEYS
    assert isinstance(answer["app_balance"], int) and 0 < answer["app_balance"] <= 500


def test_java_dev_balance(smsgate_server: SmsgateServer) -> None:
    """getSMSBalance with devKey:devSecret: AccountBalanceResult.dev_balance is an int; the
    same call with an app's own credentials is refused."""
    dev = smsgate_server.cli("dev", "create", "--name", "java dev", "--json")
    smsgate_server.cli("dev", "topup", dev["dev_key"], "--balance", "321", "--json")
    client = JavaClient(smsgate_server.port, dev["dev_key"], dev["dev_secret"])
    answer = ok_json(client.request("GET", "/v1/accounts/dev"))
    assert set(answer) == {"dev_balance", "dev_voice", "dev_industry", "dev_market"}
    assert answer["dev_balance"] == 321
    wrong = JavaClient(smsgate_server.port, dev["dev_key"], "0" * 24)
    assert_error(wrong.request("GET", "/v1/accounts/dev"), 401, 50002)
