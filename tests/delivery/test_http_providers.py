"""Each HTTP provider against a local server standing in for its vendor: the exact documented
request goes out (method, path, parameters, headers, signature) and each documented answer,
5xx and timeouts included, becomes the right SubmitResult."""

import asyncio
import base64
import json
import re
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from smsgate.delivery.providers.aliyun import AliyunConfig, AliyunProvider, sign_v1
from smsgate.delivery.providers.base import OutboundMessage
from smsgate.delivery.providers.kannel import KannelConfig, KannelProvider
from smsgate.delivery.providers.link import UP
from smsgate.delivery.providers.tencent import TencentConfig, TencentProvider
from smsgate.delivery.providers.tencent_signing import tc3_headers
from smsgate.delivery.providers.twilio import TwilioConfig, TwilioProvider
from smsgate.provider_answers import Accepted, Rejected, SubmitResult, TryLater
from tests.delivery.vendor_server import Answer, VendorServer, run_vendor_server, unopened_port

TOKEN = "kT9v2QmX4pL8sN3wR6yB"
CALLBACK_BASE = "https://sms.example.com"
CODE_TEXT = "【smsgate】您的验证码是123456，5分钟内有效。"
ASCII_TEXT = "[smsgate] Your code is 123456"
# The providers' timeout: where the vendor is to answer, long enough for any loaded machine;
# where it never answers (Answer(hold=True)), short, since the timeout is what is tested.
PATIENT = 30.0
SLOW = 0.3
WAIT_SECONDS = 30.0  # only a broken provider makes a test wait this long, and then fail


@pytest.fixture
def vendor() -> Iterator[VendorServer]:
    yield from run_vendor_server()


@pytest.fixture
def unopened() -> Iterator[socket.socket]:
    with unopened_port() as sock:
        yield sock


@pytest.fixture
def refusing_port(unopened: socket.socket) -> int:
    """A port that refuses connections, owned by the test (not a port assumed to be closed)."""
    return int(unopened.getsockname()[1])


def message(text: str = CODE_TEXT, code: str | None = "123456", mobile: str = "+8613800138000"):
    return OutboundMessage(str(uuid.uuid4()), "sms", mobile, text, code)


async def submit_one(provider: Any, outbound: OutboundMessage) -> SubmitResult:
    (result,) = await provider.submit_many([outbound])
    return result


@pytest.fixture
async def closing() -> AsyncIterator[list[Any]]:
    """Providers a test made; their run() is started and cancelled, which closes their client."""
    providers: list[Any] = []
    yield providers
    for provider in providers:
        task = asyncio.create_task(provider.run())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert provider.client.is_closed


# --- Kannel ------------------------------------------------------------------------------------


def kannel(vendor: VendorServer, closing: list[Any], **keys: Any) -> KannelProvider:
    config = KannelConfig.model_validate(
        {
            "name": "kannel-a",
            "type": "kannel",
            "url": f"{vendor.url}/cgi-bin/sendsms",
            "username": "smsgate",
            "password": "pw&=?",
            "source_addr": "1069",
            "smsc": "carrier-a",
            "callback_base_url": CALLBACK_BASE,
            "callback_token": TOKEN,
            "timeout": PATIENT,
            **keys,
        }
    )
    provider = KannelProvider(config)
    closing.append(provider)
    return provider


async def test_kannel_sends_the_documented_sendsms_request(vendor, closing) -> None:
    vendor.answer(Answer(202, b"0: Accepted for delivery", "text/html"))
    outbound = message(ASCII_TEXT, None)
    assert await submit_one(kannel(vendor, closing), outbound) == Accepted(outbound.msg_id)
    (request,) = vendor.requests
    assert (request.method, request.path) == ("GET", "/cgi-bin/sendsms")
    assert request.query == {
        "username": "smsgate",
        "password": "pw&=?",
        "to": "+8613800138000",
        "text": ASCII_TEXT,
        "charset": "UTF-8",
        "from": "1069",
        "smsc": "carrier-a",
        "dlr-mask": "19",
        "dlr-url": f"{CALLBACK_BASE}/providers/kannel-a/report?token={TOKEN}"
        f"&msg_id={outbound.msg_id}&type=%d",
    }


async def test_kannel_sends_chinese_as_ucs2_and_numbers_as_configured(vendor, closing) -> None:
    vendor.answer(Answer(202, b"3: Queued for later delivery", "text/html"))
    provider = kannel(vendor, closing, number_format="international", callback_base_url=None)
    assert isinstance(await submit_one(provider, message()), Accepted)
    (request,) = vendor.requests
    assert request.query["coding"] == "2" and request.query["text"] == CODE_TEXT
    assert request.query["to"] == "8613800138000"
    assert "dlr-url" not in request.query and "dlr-mask" not in request.query


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (403, b"Authorization failed for sendsms", TryLater),
        (403, b"Number(s) has/have been denied by white- and/or black-lists.", Rejected),
        (400, b"Missing receiver number, rejected", Rejected),
        (400, b"Text and UDH too long, rejected", Rejected),
        (400, b"Sender missing and no global set, rejected", TryLater),
        (503, b"Sending failed.", TryLater),
        (500, b"", TryLater),
    ],
)
async def test_kannel_answers_map_to_results(vendor, closing, status, body, expected) -> None:
    vendor.answer(Answer(status, body, "text/html"))
    result = await submit_one(kannel(vendor, closing), message())
    assert isinstance(result, expected)
    if b"black" in body:
        assert result == Rejected(4002, f"kannel 403: {body.decode()}")


async def test_kannel_timeout_and_refused_connection_are_try_later(
    vendor, closing, refusing_port: int
) -> None:
    vendor.answer(Answer(hold=True))
    result = await submit_one(kannel(vendor, closing, timeout=SLOW), message())
    assert isinstance(result, TryLater) and "Timeout" in result.reason
    nobody = kannel(vendor, closing, url=f"http://127.0.0.1:{refusing_port}/cgi-bin/sendsms")
    assert isinstance(await submit_one(nobody, message()), TryLater)


async def test_a_vendor_refusing_connections_is_down_until_it_answers_again(
    closing, unopened: socket.socket, refusing_port: int
) -> None:
    """Down from the first refused connection; then smsgate probes the vendor's server (the
    router sends it nothing) and it is up with the first answer, whatever the answer."""
    url = f"http://127.0.0.1:{refusing_port}/cgi-bin/sendsms"
    keys = {"url": url, "reconnect_min_seconds": 0.01, "reconnect_max_seconds": 0.05}
    provider = kannel(VendorServer(), closing, **keys)
    running = asyncio.create_task(provider.run())
    try:
        result = await submit_one(provider, message())
        assert isinstance(result, TryLater) and "ConnectError" in result.reason
        assert provider.link.is_down and provider.link.current.error == result.reason
        reopened = run_vendor_server(on=unopened)  # the vendor is back, on the same port
        vendor = next(reopened)
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                await provider.link.until(UP)
            assert [(r.method, r.path) for r in vendor.requests] == [("HEAD", "/")]
        finally:
            reopened.close()
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running


# --- Alibaba Cloud -----------------------------------------------------------------------------

ALIYUN_OK = json.dumps(
    {
        "Message": "OK",
        "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
        "Code": "OK",
        "BizId": "900619746936498440^0",
    }
).encode()


def aliyun(vendor: VendorServer, closing: list[Any], **keys: Any) -> AliyunProvider:
    config = AliyunConfig.model_validate(
        {
            "name": "ali",
            "type": "aliyun",
            "access_key_id": "testId",
            "access_key_secret": "testSecret",
            "endpoint": f"{vendor.url}/",
            "code_template": "SMS_71390007",
            "timeout": PATIENT,
            **keys,
        }
    )
    provider = AliyunProvider(config)
    closing.append(provider)
    return provider


async def test_aliyun_sends_a_signed_sendsms_call(vendor, closing) -> None:
    vendor.answer(Answer(200, ALIYUN_OK))
    outbound = message()
    result = await submit_one(aliyun(vendor, closing), outbound)
    assert result == Accepted("900619746936498440^0")
    (request,) = vendor.requests
    assert (request.method, request.path) == ("GET", "/")
    params = dict(request.query)
    signature = params.pop("Signature")
    assert signature == sign_v1("GET", params, "testSecret")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", params.pop("Timestamp"))
    assert uuid.UUID(params.pop("SignatureNonce"))
    assert params == {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "Version": "2017-05-25",
        "PhoneNumbers": "13800138000",  # mainland numbers without +86
        "SignName": "smsgate",  # the 【signature】 of the text
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"code":"123456"}',
        "OutId": outbound.msg_id,
    }


async def test_aliyun_text_template_carries_the_text_without_its_signature(vendor, closing):
    vendor.answer(Answer(200, ALIYUN_OK))
    provider = aliyun(vendor, closing, text_template="SMS_2", sign_name="Brand")
    notice = message("【smsgate】订单已发货", None, mobile="+85291234567")
    assert isinstance(await submit_one(provider, notice), Accepted)
    (request,) = vendor.requests
    assert request.query["TemplateCode"] == "SMS_2"
    assert json.loads(request.query["TemplateParam"]) == {"content": "订单已发货"}
    assert (request.query["SignName"], request.query["PhoneNumbers"]) == ("Brand", "85291234567")


async def test_aliyun_without_a_template_for_the_message_tries_elsewhere(vendor, closing):
    result = await submit_one(aliyun(vendor, closing), message("【smsgate】hello", None))
    assert isinstance(result, TryLater) and vendor.requests == []


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (200, "isv.MOBILE_NUMBER_ILLEGAL", Rejected(4004, "")),
        (200, "isv.BUSINESS_LIMIT_CONTROL", Rejected(4006, "")),
        (200, "isv.BLACK_KEY_CONTROL_LIMIT", Rejected(4010, "")),
        (200, "isv.AMOUNT_NOT_ENOUGH", TryLater("")),
        (200, "isv.SMS_TEMPLATE_ILLEGAL", TryLater("")),
        (400, "Throttling.User", TryLater("")),
        (400, "SignatureDoesNotMatch", TryLater("")),
        (500, "InternalError", TryLater("")),
    ],
)
async def test_aliyun_error_codes_map_to_results(vendor, closing, status, code, expected):
    body = {"Message": "documented message", "RequestId": "A1", "Code": code}
    vendor.answer(Answer(status, json.dumps(body).encode()))
    result = await submit_one(aliyun(vendor, closing), message())
    assert type(result) is type(expected)
    if isinstance(expected, Rejected):
        assert isinstance(result, Rejected) and result.report_status == expected.report_status


async def test_aliyun_5xx_page_and_timeout_are_try_later(vendor, closing) -> None:
    vendor.answer(Answer(502, b"<html>Bad Gateway</html>", "text/html"), Answer(hold=True))
    provider = aliyun(vendor, closing, timeout=SLOW)
    assert isinstance(await submit_one(provider, message()), TryLater)
    assert isinstance(await submit_one(provider, message()), TryLater)
    assert len(vendor.requests) == 2


# --- Tencent Cloud -----------------------------------------------------------------------------


def tencent(vendor: VendorServer, closing: list[Any], **keys: Any) -> TencentProvider:
    config = TencentConfig.model_validate(
        {
            "name": "tc",
            "type": "tencent",
            "secret_id": "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "secret_key": "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            "sdk_app_id": "1400006666",
            "endpoint": f"{vendor.url}/",
            "code_template": "449739",
            "timeout": PATIENT,
            **keys,
        }
    )
    provider = TencentProvider(config)
    closing.append(provider)
    return provider


def tencent_ok(outbound: OutboundMessage) -> bytes:
    status = {
        "SerialNo": "5000:1045710669157053657849499619",
        "PhoneNumber": outbound.mobile,
        "Fee": 1,
        "SessionContext": outbound.msg_id,
        "Code": "Ok",
        "Message": "send success",
        "IsoCode": "CN",
    }
    answer = {"SendStatusSet": [status], "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}
    return json.dumps({"Response": answer}).encode()


async def test_tencent_sends_a_tc3_signed_sendsms_call(vendor, closing) -> None:
    outbound = message()
    vendor.answer(Answer(200, tencent_ok(outbound)))
    result = await submit_one(tencent(vendor, closing), outbound)
    assert result == Accepted("5000:1045710669157053657849499619")
    (request,) = vendor.requests
    assert (request.method, request.path) == ("POST", "/")
    assert json.loads(request.body) == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400006666",
        "SignName": "smsgate",
        "TemplateId": "449739",
        "TemplateParamSet": ["123456"],
        "SessionContext": outbound.msg_id,
    }
    timestamp = int(request.headers["x-tc-timestamp"])
    expected = tc3_headers(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="sms",
        host=f"127.0.0.1:{vendor.port}",
        action="SendSms",
        version="2021-01-11",
        region="ap-guangzhou",
        timestamp=timestamp,
        payload=request.body,
    )
    assert {key: request.headers[key.lower()] for key in expected} == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("InvalidParameterValue.IncorrectPhoneNumber", Rejected(4004, "")),
        ("LimitExceeded.PhoneNumberDailyLimit", Rejected(4006, "")),
        ("FailedOperation.ContainSensitiveWord", Rejected(4010, "")),
        ("FailedOperation.InsufficientBalanceInSmsPackage", TryLater("")),
    ],
)
async def test_tencent_per_number_codes_map_to_results(vendor, closing, code, expected) -> None:
    outbound = message()
    body = json.loads(tencent_ok(outbound))
    body["Response"]["SendStatusSet"][0].update(SerialNo="", Code=code, Message="documented")
    vendor.answer(Answer(200, json.dumps(body).encode()))
    result = await submit_one(tencent(vendor, closing), outbound)
    assert type(result) is type(expected)
    if isinstance(expected, Rejected):
        assert isinstance(result, Rejected) and result.report_status == expected.report_status


def tencent_error(code: str) -> bytes:
    """Tencent Cloud's documented shape of an error answer (HTTP 200, Response.Error)."""
    error = {"Code": code, "Message": "documented message"}
    return json.dumps({"Response": {"Error": error, "RequestId": "r"}}).encode()


@pytest.mark.parametrize(
    "answer",
    [
        Answer(200, tencent_error("AuthFailure.SignatureFailure")),
        Answer(200, tencent_error("RequestLimitExceeded")),
        Answer(200, tencent_error("InternalError.Timeout")),
        Answer(502, b"<html>Bad Gateway</html>", "text/html"),
        Answer(hold=True),
    ],
)
async def test_tencent_request_errors_5xx_and_timeouts_are_try_later(vendor, closing, answer):
    vendor.answer(answer)
    provider = tencent(vendor, closing, timeout=SLOW if answer.hold else PATIENT)
    assert isinstance(await submit_one(provider, message()), TryLater)


async def test_tencent_request_level_refusal_is_final(vendor, closing) -> None:
    body = tencent_error("InvalidParameterValue.IncorrectPhoneNumber")
    vendor.answer(Answer(200, body))
    result = await submit_one(tencent(vendor, closing), message())
    assert isinstance(result, Rejected) and result.report_status == 4004


# --- Twilio ------------------------------------------------------------------------------------

TWILIO_SID = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"


def twilio(vendor: VendorServer, closing: list[Any], **keys: Any) -> TwilioProvider:
    config = TwilioConfig.model_validate(
        {
            "name": "tw",
            "type": "twilio",
            "account_sid": TWILIO_SID,
            "auth_token": "your_auth_token",
            "from_number": "+15017122661",
            "endpoint": vendor.url,
            "callback_base_url": CALLBACK_BASE,
            "timeout": PATIENT,
            **keys,
        }
    )
    provider = TwilioProvider(config)
    closing.append(provider)
    return provider


TWILIO_CREATED = {
    "account_sid": TWILIO_SID,
    "api_version": "2010-04-01",
    "body": "Hi there",
    "direction": "outbound-api",
    "error_code": None,
    "from": "+15017122661",
    "sid": "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "status": "queued",
    "to": "+15558675310",
}


async def test_twilio_creates_a_message_with_basic_auth_and_status_callback(vendor, closing):
    vendor.answer(Answer(201, json.dumps(TWILIO_CREATED).encode()))
    outbound = message(ASCII_TEXT, None, mobile="+15558675310")
    result = await submit_one(twilio(vendor, closing), outbound)
    assert result == Accepted("SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
    (request,) = vendor.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    credentials = base64.b64encode(f"{TWILIO_SID}:your_auth_token".encode()).decode()
    assert request.headers["authorization"] == f"Basic {credentials}"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {
        "To": "+15558675310",
        "From": "+15017122661",
        "Body": ASCII_TEXT,
        "StatusCallback": f"{CALLBACK_BASE}/providers/tw/report",
    }


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, 21211, Rejected(4004, "")),
        (400, 21610, Rejected(4002, "")),
        (400, 21602, Rejected(4100, "")),
        (400, 21408, TryLater("")),
        (401, 20003, TryLater("")),
        (429, 20429, TryLater("")),
        (503, 20500, TryLater("")),
    ],
)
async def test_twilio_errors_map_to_results(vendor, closing, status, code, expected) -> None:
    body = {"code": code, "message": "documented", "more_info": "", "status": status}
    vendor.answer(Answer(status, json.dumps(body).encode()))
    result = await submit_one(twilio(vendor, closing), message(ASCII_TEXT, None))
    assert type(result) is type(expected)
    if isinstance(expected, Rejected):
        assert isinstance(result, Rejected) and result.report_status == expected.report_status


async def test_twilio_timeout_is_try_later(vendor, closing) -> None:
    vendor.answer(Answer(hold=True))
    assert isinstance(await submit_one(twilio(vendor, closing, timeout=SLOW), message()), TryLater)


async def test_a_batch_gets_one_result_per_message_in_order(vendor, closing) -> None:
    refused = {"code": 21211, "message": "bad To", "more_info": "", "status": 400}
    vendor.answer(Answer(400, json.dumps(refused).encode()))
    provider = twilio(vendor, closing)
    results = await provider.submit_many([message(), message()])
    assert [type(r) for r in results] == [Rejected, Rejected]
    assert len(vendor.requests) == 2


async def test_vendor_error_texts_keep_codes_and_numbers_out_of_reasons(vendor, closing) -> None:
    """Reasons are logged and stored: Aliyun echoes its string to sign (the code inside),
    Twilio the number."""
    mismatch = {
        "Code": "SignatureDoesNotMatch",
        "RequestId": "R",
        "Message": "Specified signature is not matched with our calculation. server string to "
        "sign is:GET&%2F&AccessKeyId%3DtestId%26TemplateParam%3D%257B%2522code%2522%253A"
        "%2522123456%2522%257D",
    }
    vendor.answer(Answer(400, json.dumps(mismatch).encode()))
    result = await submit_one(aliyun(vendor, closing), message())
    assert isinstance(result, TryLater) and "SignatureDoesNotMatch" in result.reason
    assert "123456" not in result.reason
    invalid = {
        "code": 21211,
        "message": "The 'To' number +15558675310 is not a valid phone number.",
        "status": 400,
    }
    vendor.answer(Answer(400, json.dumps(invalid).encode()))
    result = await submit_one(twilio(vendor, closing), message(mobile="+15558675310"))
    assert isinstance(result, Rejected) and "******5310" in result.reason
    assert "5558675310" not in result.reason
