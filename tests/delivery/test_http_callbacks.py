"""Reading each vendor's status callbacks and replies (the bodies from the vendors' docs), and
refusing those that do not carry the provider's token or Twilio's signature."""

import json
from typing import Any

import pytest

from smsgate.delivery.providers.aliyun import AliyunConfig, aliyun_callback
from smsgate.delivery.providers.http_provider import (
    CallbackInvalid,
    CallbackKind,
    CallbackRefused,
    CallbackRequest,
    e164,
)
from smsgate.delivery.providers.kannel import KannelConfig, kannel_callback
from smsgate.delivery.providers.tencent import TencentConfig, tencent_callback
from smsgate.delivery.providers.twilio import TwilioConfig, twilio_callback, twilio_signature
from smsgate.provider_answers import InboundSms, ProviderReport

TOKEN = "kT9v2QmX4pL8sN3wR6yB"
KANNEL = KannelConfig(
    name="kannel-a",
    url="http://127.0.0.1:13013/cgi-bin/sendsms",
    username="u",
    password="p",
    callback_token=TOKEN,
)
ALIYUN = AliyunConfig(name="ali", access_key_id="i", access_key_secret="s", callback_token=TOKEN)
TENCENT = TencentConfig(
    name="tc", secret_id="i", secret_key="s", sdk_app_id="1400006666", callback_token=TOKEN
)
TWILIO = TwilioConfig(
    name="tw",
    account_sid="ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    auth_token="12345",
    from_number="+15017122661",
    callback_base_url="https://sms.example.com/",
)


def callback(
    kind: CallbackKind,
    query: dict[str, str] | None = None,
    body: Any = None,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    path: str = "/providers/x/report",
) -> CallbackRequest:
    raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    return CallbackRequest(kind, "POST", path, query or {}, form or {}, raw, headers or {})


# --- Kannel ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dlr_type", "expected"),
    [("1", [("m1", 4001)]), ("2", [("m1", 4100)]), ("16", [("m1", 4100)]), ("4", []), ("8", [])],
)
def test_kannel_dlr_types_map_to_final_statuses_or_nothing(dlr_type, expected) -> None:
    query = {"token": TOKEN, "msg_id": "m1", "type": dlr_type}
    reports = kannel_callback(KANNEL, callback("report", query)).reports
    assert [(r.provider_message_id, r.report_status) for r in reports] == expected


@pytest.mark.parametrize("token", [None, "", "kT9v2QmX4pL8sN3wR6yC"])
def test_kannel_callbacks_without_the_token_are_refused(token) -> None:
    query = {"msg_id": "m1", "type": "1"} | ({} if token is None else {"token": token})
    with pytest.raises(CallbackRefused):
        kannel_callback(KANNEL, callback("report", query))


def test_a_provider_without_a_token_takes_no_callbacks() -> None:
    untokened = KANNEL.model_copy(update={"callback_token": None})
    with pytest.raises(CallbackRefused):
        kannel_callback(untokened, callback("report", {"token": "", "msg_id": "m", "type": "1"}))


def test_kannel_report_without_msg_id_or_with_a_bad_type_is_invalid() -> None:
    for query in ({"token": TOKEN, "type": "1"}, {"token": TOKEN, "msg_id": "m", "type": "%d"}):
        with pytest.raises(CallbackInvalid):
            kannel_callback(KANNEL, callback("report", query))


def test_kannel_reply_becomes_inbound_with_the_sender_in_e164() -> None:
    query = {"token": TOKEN, "from": "8613800138000", "to": "1069", "text": "TD 退订"}
    outcome = kannel_callback(KANNEL, callback("inbound", query))
    assert outcome.inbound == [InboundSms(to="1069", mobile="+8613800138000", text="TD 退订")]


@pytest.mark.parametrize(
    ("number", "country", "expected"),
    [
        ("13800138000", None, "+8613800138000"),
        ("8613800138000", None, "+8613800138000"),
        ("+86 138 0013 8000", None, "+8613800138000"),
        ("447700900123", None, "+447700900123"),
        ("91234567", "852", "+85291234567"),
    ],
)
def test_reported_numbers_become_e164(number, country, expected) -> None:
    assert e164(number, country) == expected


# --- Alibaba Cloud -----------------------------------------------------------------------------

ALIYUN_REPORT = [
    {
        "phone_number": "13811112222",
        "send_time": "2017-01-01 11:12:13",
        "report_time": "2017-02-02 22:23:24",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1/3",
        "biz_id": "12345",
        "out_id": "67890",
    },
    {
        "phone_number": "13811113333",
        "send_time": "2017-01-01 11:12:13",
        "report_time": "2017-02-02 22:23:24",
        "success": False,
        "err_code": "UNDELIV",
        "err_msg": "用户接收失败",
        "sms_size": "1/1",
        "biz_id": "12346",
        "out_id": "67891",
    },
]


def test_aliyun_sms_report_becomes_reports_by_biz_id() -> None:
    outcome = aliyun_callback(ALIYUN, callback("report", {"token": TOKEN}, ALIYUN_REPORT))
    assert outcome.reports == [ProviderReport("12345", 4001), ProviderReport("12346", 4100)]
    assert json.loads(outcome.answer) == {"code": 0, "msg": "OK"}
    assert outcome.media_type == "application/json"


def test_aliyun_sms_up_becomes_inbound() -> None:
    sms_up = [
        {
            "phone_number": "13811112222",
            "send_time": "2017-01-01 00:00:00",
            "content": "收到",
            "sign_name": "阿里云",
            "dest_code": "1234",
            "sequence_id": 1234,
        }
    ]
    outcome = aliyun_callback(ALIYUN, callback("inbound", {"token": TOKEN}, sms_up))
    assert outcome.inbound == [InboundSms(to="1234", mobile="+8613811112222", text="收到")]


def test_aliyun_refuses_a_wrong_token_and_reads_only_its_format() -> None:
    with pytest.raises(CallbackRefused):
        aliyun_callback(ALIYUN, callback("report", {"token": "x" * 20}, ALIYUN_REPORT))
    for body in ([{"success": True}], "not a list", [1, 2]):
        with pytest.raises(CallbackInvalid):
            aliyun_callback(ALIYUN, callback("report", {"token": TOKEN}, body))


# --- Tencent Cloud -----------------------------------------------------------------------------


def test_tencent_status_reports_become_reports_by_serial_no() -> None:
    body = [
        {
            "user_receive_time": "2015-10-17 08:03:04",
            "nationcode": "86",
            "mobile": "13800138000",
            "report_status": "SUCCESS",
            "errmsg": "DELIVRD",
            "description": "用户短信送达成功",
            "sid": "5000:1045710669157053657849499619",
        },
        {
            "user_receive_time": "2015-10-17 08:03:05",
            "nationcode": "86",
            "mobile": "13800138001",
            "report_status": "FAIL",
            "errmsg": "MK:0001",
            "description": "用户短信送达失败",
            "sid": "5000:1045710669157053657849499620",
        },
    ]
    outcome = tencent_callback(TENCENT, callback("report", {"token": TOKEN}, body))
    assert outcome.reports == [
        ProviderReport("5000:1045710669157053657849499619", 4001),
        ProviderReport("5000:1045710669157053657849499620", 4100),
    ]
    assert json.loads(outcome.answer) == {"result": 0, "errmsg": "OK"}


def test_tencent_reply_becomes_inbound() -> None:
    body = {
        "extend": "",
        "mobile": "91234567",
        "nationcode": "852",
        "sign": "腾讯云",
        "text": "hello",
        "time": 1470724217,
    }
    outcome = tencent_callback(TENCENT, callback("inbound", {"token": TOKEN}, body))
    assert outcome.inbound == [InboundSms(to="", mobile="+85291234567", text="hello")]


def test_tencent_refuses_without_token_and_rejects_other_bodies() -> None:
    with pytest.raises(CallbackRefused):
        tencent_callback(TENCENT, callback("report", {}, []))
    with pytest.raises(CallbackInvalid):
        tencent_callback(TENCENT, callback("report", {"token": TOKEN}, [{"report_status": "x"}]))


# --- Twilio ------------------------------------------------------------------------------------

STATUS_FORM = {
    "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "ApiVersion": "2010-04-01",
    "From": "+15017122661",
    "MessageSid": "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "MessageStatus": "delivered",
    "SmsSid": "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "SmsStatus": "delivered",
    "To": "+15558675310",
}


def signed(kind: CallbackKind, form: dict[str, str], path: str) -> CallbackRequest:
    signature = twilio_signature("12345", "https://sms.example.com" + path, form)
    return callback(kind, form=form, headers={"x-twilio-signature": signature}, path=path)


@pytest.mark.parametrize(
    ("status", "error_code", "expected"),
    [
        ("delivered", None, 4001),
        ("undelivered", "30005", 4004),
        ("undelivered", "30003", 4003),
        ("failed", "30007", 4010),
        ("failed", "30008", 4100),
        ("failed", None, 4100),
        ("sent", None, None),
        ("queued", None, None),
    ],
)
def test_twilio_status_callbacks_map_to_reports(status, error_code, expected) -> None:
    form = {**STATUS_FORM, "MessageStatus": status, "SmsStatus": status}
    if error_code is not None:
        form["ErrorCode"] = error_code
    outcome = twilio_callback(TWILIO, signed("report", form, "/providers/tw/report"))
    sid = STATUS_FORM["MessageSid"]
    assert outcome.reports == ([] if expected is None else [ProviderReport(sid, expected)])


def test_twilio_signature_covers_url_and_every_parameter() -> None:
    good = signed("report", STATUS_FORM, "/providers/tw/report")
    tampered_form = {**STATUS_FORM, "MessageStatus": "failed"}
    for request in (
        callback(
            "report", form=tampered_form, headers=dict(good.headers), path=good.path_and_query
        ),
        callback(
            "report", form=STATUS_FORM, headers=dict(good.headers), path="/providers/tw/inbound"
        ),
        callback("report", form=STATUS_FORM, path=good.path_and_query),
    ):
        with pytest.raises(CallbackRefused):
            twilio_callback(TWILIO, request)
    no_base = TWILIO.model_copy(update={"callback_base_url": None})
    with pytest.raises(CallbackRefused):
        twilio_callback(no_base, good)


def test_twilio_signature_includes_the_query_string() -> None:
    outcome = twilio_callback(TWILIO, signed("report", STATUS_FORM, "/providers/tw/report?a=1"))
    assert outcome.reports == [ProviderReport(STATUS_FORM["MessageSid"], 4001)]


def test_twilio_incoming_message_becomes_inbound_with_empty_twiml() -> None:
    form = {
        "MessageSid": "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "From": "+15558675310",
        "To": "+15017122661",
        "Body": "STOP",
        "NumMedia": "0",
    }
    outcome = twilio_callback(TWILIO, signed("inbound", form, "/providers/tw/inbound"))
    assert outcome.inbound == [InboundSms(to="+15017122661", mobile="+15558675310", text="STOP")]
    assert outcome.media_type == "text/xml" and b"<Response></Response>" in outcome.answer


def test_kannel_ucs2_reply_is_decoded_with_the_charset_kannel_names() -> None:
    # Kannel's get-url passes a UCS-2 reply's bytes as they came (%a) and names them (%C).
    path = (
        f"/providers/kannel-a/inbound?token={TOKEN}"
        "&from=%2B8613800138002&to=%2B1069&text=e6R0&charset=UTF-16BE"
    )
    query = {"token": TOKEN, "from": "+8613800138002", "to": "+1069", "text": "e6R0"}
    request = CallbackRequest("inbound", "GET", path, query | {"charset": "UTF-16BE"}, {}, b"", {})
    (reply,) = kannel_callback(KANNEL, request).inbound
    assert reply == InboundSms(to="+1069", mobile="+8613800138002", text="收到")


@pytest.mark.parametrize("token", ["short", "has&ampersand-and-more", "percent%20sign-long-enough"])
def test_callback_tokens_must_be_long_and_url_safe(token) -> None:
    with pytest.raises(ValueError, match="callback_token"):
        KannelConfig(name="k", url="http://k", username="u", password="p", callback_token=token)


def test_twilio_needs_a_sender() -> None:
    with pytest.raises(ValueError, match="from_number or messaging_service_sid"):
        TwilioConfig(name="tw", account_sid="AC1", auth_token="t")
