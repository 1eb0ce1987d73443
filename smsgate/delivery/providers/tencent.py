"""Tencent Cloud SMS (API 2021-01-11): SendSms signed with TC3-HMAC-SHA256, an answer per number
(SendStatusSet), status reports and replies pushed as JSON to smsgate's callback URLs.

Like Aliyun, Tencent Cloud sends only approved templates: a verification code as `code_template`
with the code as its one parameter, any other text as `text_template` with the text (signature
removed). The signature is `sign_name`, else the 【sign】 smsgate put in front of the text.
"""

import time
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

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
from smsgate.delivery.providers.tencent_signing import tc3_headers
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
# Codes that refuse the message itself; any other error (credentials, signature or template not
# approved, package used up, throttling, internal errors) is about this provider: try again.
REFUSALS = {
    "InvalidParameterValue.IncorrectPhoneNumber": ReportStatus.NO_SUCH_NUMBER,
    "FailedOperation.PhoneNumberInBlacklist": ReportStatus.BLACKLISTED,
    "FailedOperation.ContainSensitiveWord": ReportStatus.SENSITIVE_WORDS,
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": ReportStatus.SENSITIVE_WORDS,
    "InvalidParameterValue.ContentLengthLimit": OTHER_ERROR,
    "LimitExceeded.PhoneNumberDailyLimit": ReportStatus.CARRIER_FREQUENCY_LIMIT,
    "LimitExceeded.PhoneNumberOneHourLimit": ReportStatus.CARRIER_FREQUENCY_LIMIT,
    "LimitExceeded.PhoneNumberThirtySecondLimit": ReportStatus.CARRIER_FREQUENCY_LIMIT,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": ReportStatus.CARRIER_FREQUENCY_LIMIT,
}
CALLBACK_ANSWER = b'{"result":0,"errmsg":"OK"}'


class TencentConfig(TemplateProviderConfig):
    """code_template and text_template are TemplateIds whose {1} is the code or the text."""

    type: Literal["tencent"] = "tencent"
    secret_id: str
    secret_key: str
    sdk_app_id: str  # SmsSdkAppId
    endpoint: str = "https://sms.tencentcloudapi.com/"
    region: str = "ap-guangzhou"


def build_tencent(config: TencentConfig, env: ProviderEnv) -> "TencentProvider":
    return TencentProvider(config)


def send_sms_payload(config: TencentConfig, message: OutboundMessage) -> bytes | str:
    """The SendSms body, or why this provider cannot send the message."""
    choice = choose_template(config, message)
    if isinstance(choice, str):
        return choice
    return orjson.dumps(
        {
            "PhoneNumberSet": [message.mobile],
            "SmsSdkAppId": config.sdk_app_id,
            "SignName": choice.sign_name,
            "TemplateId": choice.template,
            "TemplateParamSet": [choice.value],
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


class TencentProvider(HttpProvider[TencentConfig]):
    vendor = "tencent"

    def __init__(self, config: TencentConfig) -> None:
        super().__init__(config)
        self._host = urlsplit(config.endpoint).netloc

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
            return self._unreachable(error)
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
