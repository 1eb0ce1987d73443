"""Tencent Cloud SMS (API 2021-01-11): SendSms signed with TC3-HMAC-SHA256, an answer per number
(SendStatusSet), status reports and replies pushed as JSON to smsgate's callback URLs.

Like Aliyun, Tencent Cloud sends only approved templates: a verification code as `code_template`
with the code as its one parameter, any other text as `text_template` with the text (signature
removed). The signature is `sign_name`, else the 【sign】 smsgate put in front of the text.
"""

import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import orjson
import structlog

from smsgate.delivery.providers.base import (
    Accepted,
    InboundSms,
    OutboundMessage,
    ProviderReport,
    Rejected,
    SubmitResult,
    TryLater,
    submit_each,
)
from smsgate.delivery.providers.http_provider import (
    CallbackInvalid,
    CallbackOutcome,
    CallbackRequest,
    HttpClientOwner,
    HttpProviderConfig,
    check_callback_token,
    e164,
    json_body,
    loggable,
    split_signature,
)
from smsgate.delivery.providers.registry import ProviderEnv
from smsgate.delivery.providers.tencent_signing import tc3_headers

log = structlog.get_logger(__name__)
DELIVERED, OTHER_ERROR = 4001, 4100
# Codes that refuse the message itself; any other error (credentials, signature or template not
# approved, package used up, throttling, internal errors) is about this provider: try again.
REFUSALS = {
    "InvalidParameterValue.IncorrectPhoneNumber": 4004,
    "FailedOperation.PhoneNumberInBlacklist": 4002,
    "FailedOperation.ContainSensitiveWord": 4010,
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": 4010,
    "InvalidParameterValue.ContentLengthLimit": OTHER_ERROR,
    "LimitExceeded.PhoneNumberDailyLimit": 4006,
    "LimitExceeded.PhoneNumberOneHourLimit": 4006,
    "LimitExceeded.PhoneNumberThirtySecondLimit": 4006,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": 4006,
}
CALLBACK_ANSWER = b'{"result":0,"errmsg":"OK"}'


class TencentConfig(HttpProviderConfig):
    type: Literal["tencent"] = "tencent"
    secret_id: str
    secret_key: str
    sdk_app_id: str  # SmsSdkAppId
    endpoint: str = "https://sms.tencentcloudapi.com/"
    region: str = "ap-guangzhou"
    sign_name: str | None = None
    code_template: str | None = None  # TemplateId for verification codes: {1} is the code
    text_template: str | None = None  # TemplateId for any other text: {1} is the text


def build_tencent(config: TencentConfig, env: ProviderEnv) -> "TencentProvider":
    return TencentProvider(config)


def send_sms_payload(config: TencentConfig, message: OutboundMessage) -> bytes | str:
    """The SendSms body, or why this provider cannot send the message."""
    sign, body = split_signature(message.text)
    sign_name = config.sign_name or sign
    if message.code is not None and config.code_template is not None:
        template, template_params = config.code_template, [message.code]
    elif config.text_template is not None:
        template, template_params = config.text_template, [body]
    else:
        return "no template configured for this kind of message"
    if sign_name is None:
        return "no signature: set sign_name"
    return orjson.dumps(
        {
            "PhoneNumberSet": [message.mobile],
            "SmsSdkAppId": config.sdk_app_id,
            "SignName": sign_name,
            "TemplateId": template,
            "TemplateParamSet": template_params,
            "SessionContext": message.msg_id,
        }
    )


def send_sms_result(status_code: int, body: bytes) -> SubmitResult:
    """The answer for our one number: Code "Ok" with its SerialNo, or why not."""
    try:
        answer = orjson.loads(body).get("Response")
    except (orjson.JSONDecodeError, AttributeError):
        answer = None
    if status_code != 200 or not isinstance(answer, dict):
        return TryLater(f"tencent {status_code}: not a Tencent Cloud answer")
    error = answer.get("Error")
    if isinstance(error, dict):
        return _failure(str(error.get("Code", "")), str(error.get("Message", "")))
    statuses = answer.get("SendStatusSet")
    if not isinstance(statuses, list) or len(statuses) != 1 or not isinstance(statuses[0], dict):
        return TryLater("tencent: no SendStatusSet entry for the number")
    status = statuses[0]
    if status.get("Code") == "Ok" and status.get("SerialNo"):
        return Accepted(str(status["SerialNo"]))
    return _failure(str(status.get("Code", "")), str(status.get("Message", "")))


def _failure(code: str, message: str) -> SubmitResult:
    if code in REFUSALS:
        return Rejected(REFUSALS[code], f"tencent {code}: {loggable(message)}")
    return TryLater(f"tencent {code}: {loggable(message)}")


class TencentProvider(HttpClientOwner):
    def __init__(self, config: TencentConfig) -> None:
        super().__init__(config.timeout)
        self.name = config.name
        self._config = config
        self._host = urlsplit(config.endpoint).netloc

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        return await submit_each(self._submit, messages)

    async def _submit(self, message: OutboundMessage) -> SubmitResult:
        payload = send_sms_payload(self._config, message)
        if isinstance(payload, str):
            return TryLater(f"tencent: {payload}")
        headers = tc3_headers(
            secret_id=self._config.secret_id,
            secret_key=self._config.secret_key,
            service="sms",
            host=self._host,
            action="SendSms",
            version="2021-01-11",
            region=self._config.region,
            timestamp=int(time.time()),
            payload=payload,
        )
        try:
            response = await self.client.post(
                self._config.endpoint, content=payload, headers=headers
            )
        except httpx.HTTPError as error:
            return TryLater(f"tencent: {type(error).__name__}: {error}")
        return send_sms_result(response.status_code, response.content)


def tencent_callback(config: TencentConfig, request: CallbackRequest) -> CallbackOutcome:
    check_callback_token(config, request)
    document = json_body(request)
    outcome = CallbackOutcome(answer=CALLBACK_ANSWER, media_type="application/json")
    if request.kind == "report":
        if isinstance(document, dict):
            document = [document]
        if not isinstance(document, list):
            raise CallbackInvalid("expected a JSON array of reports")
        outcome.reports = [tencent_report(item) for item in document]
    else:
        outcome.inbound = [tencent_inbound(document)]
    return outcome


def tencent_report(item: Any) -> ProviderReport:
    """One status report: sid is the SerialNo SendSms gave, report_status SUCCESS or FAIL."""
    if not isinstance(item, Mapping) or not isinstance(item.get("sid"), str):
        raise CallbackInvalid("a Tencent Cloud report needs sid")
    delivered = item.get("report_status") == "SUCCESS"
    return ProviderReport(item["sid"], DELIVERED if delivered else OTHER_ERROR)


def tencent_inbound(item: Any) -> InboundSms:
    """A reply: mobile (national) and nationcode sent text to our signature's extension."""
    if not isinstance(item, Mapping):
        raise CallbackInvalid("a Tencent Cloud reply is a JSON object")
    mobile, text = item.get("mobile"), item.get("text")
    if not isinstance(mobile, str) or not isinstance(text, str):
        raise CallbackInvalid("a Tencent Cloud reply needs mobile and text")
    country = str(item.get("nationcode") or "") or None
    return InboundSms(to=str(item.get("extend", "")), mobile=e164(mobile, country), text=text)
