"""Alibaba Cloud SMS (dysmsapi 2017-05-25): SendSms as an RPC call signed with signature v1
(HMAC-SHA1 over the canonicalised query), status reports pushed by HTTP (SmsReport), replies
pushed likewise (SmsUp).

Signature v1 rather than the newer ACS3-HMAC-SHA256: it is what Alibaba documents for SendSms
with a worked example (tests/delivery/test_signing.py checks it), and dysmsapi accepts both.

Aliyun sends only approved templates: a verification code goes as `code_template` with the code
as `code_param`; any other text as `text_template` with the text (signature removed) as
`text_param`. The signature is `sign_name`, else the 【sign】 smsgate put in front of the text.
"""

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx
import orjson
import structlog

from smsgate.delivery.providers.base import OutboundMessage, ProviderEnv
from smsgate.delivery.providers.http_provider import (
    CallbackInvalid,
    CallbackOutcome,
    CallbackRequest,
    HttpProvider,
    TemplateProviderConfig,
    check_callback_token,
    choose_template,
    e164,
    json_body,
    loggable,
)
from smsgate.provider_answers import (
    Accepted,
    InboundSms,
    ProviderReport,
    Rejected,
    SubmitResult,
    TryLater,
)
from smsgate.report_status import ReportStatus

log = structlog.get_logger(__name__)
DELIVERED, OTHER_ERROR = ReportStatus.DELIVERED, ReportStatus.OTHER_ERROR
# SendSms codes that refuse the message itself. Every other code (credentials, signature or
# template not approved, balance, throttling, system errors) is about this provider, so the
# message is tried again or elsewhere.
REFUSALS = {
    "isv.MOBILE_NUMBER_ILLEGAL": ReportStatus.NO_SUCH_NUMBER,
    # the carrier's per-number frequency limit
    "isv.BUSINESS_LIMIT_CONTROL": ReportStatus.CARRIER_FREQUENCY_LIMIT,
    "isv.BLACK_KEY_CONTROL_LIMIT": ReportStatus.SENSITIVE_WORDS,  # sensitive words
    "isv.PARAM_NOT_SUPPORT_URL": ReportStatus.SENSITIVE_WORDS,
    "isv.PARAM_LENGTH_LIMIT": ReportStatus.OTHER_ERROR,
    "isv.BLACKLIST": ReportStatus.BLACKLISTED,
}


class AliyunConfig(TemplateProviderConfig):
    """code_template and text_template are TemplateCodes; code_param and text_param name the
    one parameter each fills."""

    type: Literal["aliyun"] = "aliyun"
    access_key_id: str
    access_key_secret: str
    endpoint: str = "https://dysmsapi.aliyuncs.com/"
    region_id: str = "cn-hangzhou"
    code_param: str = "code"
    text_param: str = "content"


def build_aliyun(config: AliyunConfig, env: ProviderEnv) -> "AliyunProvider":
    return AliyunProvider(config)


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as signature v1 wants it: space as %20, `*` as %2A, `~` kept."""
    return quote(value, safe="-_.~")


def sign_v1(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    canonical = "&".join(
        f"{percent_encode(key)}={percent_encode(value)}" for key, value in sorted(params.items())
    )
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    key = f"{access_key_secret}&".encode()
    digest = hmac.new(key, string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_phone_number(mobile: str) -> str:
    """Mainland numbers as 11 digits, others with their country code and no "+"."""
    return mobile[3:] if mobile.startswith("+86") else mobile.lstrip("+")


def send_sms_params(
    config: AliyunConfig, message: OutboundMessage, nonce: str, timestamp: datetime
) -> dict[str, str] | str:
    """The signed SendSms query, or why this provider cannot send the message."""
    choice = choose_template(config, message)
    if isinstance(choice, str):
        return choice
    param_name = config.code_param if choice.is_code else config.text_param
    params = {
        "AccessKeyId": config.access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "RegionId": config.region_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "Timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
        "PhoneNumbers": aliyun_phone_number(message.mobile),
        "SignName": choice.sign_name,
        "TemplateCode": choice.template,
        "TemplateParam": orjson.dumps({param_name: choice.value}).decode(),
        "OutId": message.msg_id,
    }
    params["Signature"] = sign_v1("GET", params, config.access_key_secret)
    return params


def send_sms_result(status_code: int, body: bytes) -> SubmitResult:
    """`{"Code": "OK", "BizId": ...}` is accepted; a refusal of the message is final."""
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("Code"), str):
        return TryLater(f"aliyun {status_code}: not an Aliyun answer")
    code, text = answer["Code"], loggable(str(answer.get("Message", "")))
    if code == "OK" and status_code == 200:
        return Accepted(str(answer.get("BizId") or "") or None)
    if code in REFUSALS:
        return Rejected(REFUSALS[code], f"aliyun {code}: {text}")
    return TryLater(f"aliyun {status_code} {code}: {text}")


class AliyunProvider(HttpProvider[AliyunConfig]):
    vendor = "aliyun"

    async def _submit(self, message: OutboundMessage) -> SubmitResult:
        params = send_sms_params(self._config, message, str(uuid.uuid4()), datetime.now(UTC))
        if isinstance(params, str):
            return TryLater(f"aliyun: {params}")
        try:
            response = await self.client.get(self._config.endpoint, params=params)
        except httpx.HTTPError as error:
            return self._unreachable(error)
        return send_sms_result(response.status_code, response.content)


def aliyun_callback(config: AliyunConfig, request: CallbackRequest) -> CallbackOutcome:
    """Aliyun pushes a JSON array and expects `{"code": 0}` back, else it pushes again."""
    check_callback_token(config, request)
    items = _json_objects(json_body(request))
    outcome = CallbackOutcome(answer=b'{"code":0,"msg":"OK"}', media_type="application/json")
    if request.kind == "report":
        outcome.reports = [aliyun_report(item) for item in items]
    else:
        outcome.inbound = [aliyun_inbound(item) for item in items]
    return outcome


def aliyun_report(item: Mapping[str, Any]) -> ProviderReport:
    """One SmsReport entry: biz_id names the message, success / err_code say what became of it."""
    biz_id = item.get("biz_id")
    if not isinstance(biz_id, str) or not biz_id:
        raise CallbackInvalid("an Aliyun report needs biz_id")
    # err_code is the carrier's own stat code (UNDELIV, MK:0001, ...), which varies by carrier
    # and says nothing JSMS's statuses could tell apart reliably.
    return ProviderReport(biz_id, DELIVERED if item.get("success") is True else OTHER_ERROR)


def aliyun_inbound(item: Mapping[str, Any]) -> InboundSms:
    """One SmsUp entry: phone_number sent content to our sign's extension dest_code."""
    phone, content = item.get("phone_number"), item.get("content")
    if not isinstance(phone, str) or not isinstance(content, str):
        raise CallbackInvalid("an Aliyun reply needs phone_number and content")
    return InboundSms(to=str(item.get("dest_code", "")), mobile=e164(phone), text=content)


def _json_objects(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list) or not all(isinstance(i, dict) for i in document):
        raise CallbackInvalid("expected a JSON array of objects")
    return document
