"""Twilio Programmable Messaging: a POST to Messages.json per message (HTTP basic auth with the
account SID and auth token), status callbacks to the StatusCallback URL smsgate passes along,
and replies to the messaging webhook configured on the number.

Twilio signs every callback: X-Twilio-Signature is base64(HMAC-SHA1(auth token, URL + each
form parameter's name and value, sorted by name)). The URL is the one Twilio called, so
`callback_base_url` must be smsgate's address as Twilio sees it.
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Literal

import httpx
import orjson
import structlog
from pydantic import model_validator

from smsgate.delivery.providers.base import OutboundMessage, ProviderEnv
from smsgate.delivery.providers.http_provider import (
    CallbackInvalid,
    CallbackOutcome,
    CallbackRefused,
    CallbackRequest,
    HttpProvider,
    HttpProviderConfig,
    callback_url,
    e164,
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
# REST error codes that refuse the message for good (a bad request is one too); codes about
# our account (auth 20003, throttling 20429, region permission 21408) are tried again.
REFUSALS = {
    21211: ReportStatus.NO_SUCH_NUMBER,
    21614: ReportStatus.NO_SUCH_NUMBER,
    21612: ReportStatus.NO_SUCH_NUMBER,
    21610: ReportStatus.BLACKLISTED,
    21617: OTHER_ERROR,
}
RETRIED = {20003, 20429, 21408, 21606}
# Why a message was not delivered (the ErrorCode of an undelivered / failed status callback).
DELIVERY_ERRORS = {
    30003: ReportStatus.HANDSET_PROBLEM,
    30004: ReportStatus.BLACKLISTED,
    30005: ReportStatus.NO_SUCH_NUMBER,
    30006: ReportStatus.NO_SUCH_NUMBER,
    30007: ReportStatus.SENSITIVE_WORDS,
    21610: ReportStatus.BLACKLISTED,
}
FINAL_FAILURES = {"undelivered", "failed"}
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class TwilioConfig(HttpProviderConfig):
    type: Literal["twilio"] = "twilio"
    account_sid: str
    auth_token: str
    from_number: str | None = None  # E.164 sender, or:
    messaging_service_sid: str | None = None
    endpoint: str = "https://api.twilio.com"

    @model_validator(mode="after")
    def _has_a_sender(self) -> "TwilioConfig":
        if self.from_number is None and self.messaging_service_sid is None:
            raise ValueError("set from_number or messaging_service_sid")
        return self


def build_twilio(config: TwilioConfig, env: ProviderEnv) -> "TwilioProvider":
    return TwilioProvider(config)


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    signed = url + "".join(key + params[key] for key in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def message_form(config: TwilioConfig, message: OutboundMessage) -> dict[str, str]:
    form = {"To": message.mobile, "Body": message.text}
    if config.messaging_service_sid is not None:
        form["MessagingServiceSid"] = config.messaging_service_sid
    if config.from_number is not None:
        form["From"] = config.from_number
    status_callback = callback_url(config, "report")
    if status_callback is not None:
        form["StatusCallback"] = status_callback
    return form


def create_message_result(status_code: int, body: bytes) -> SubmitResult:
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        return TryLater(f"twilio {status_code}: not a Twilio answer")
    if 200 <= status_code < 300 and isinstance(answer.get("sid"), str):
        return Accepted(answer["sid"])
    code, text = answer.get("code"), loggable(str(answer.get("message", "")))
    reason = f"twilio {status_code} {code}: {text}"
    if isinstance(code, int) and code in REFUSALS:
        return Rejected(REFUSALS[code], reason)
    if status_code == 400 and code not in RETRIED:
        return Rejected(OTHER_ERROR, reason)
    return TryLater(reason)


class TwilioProvider(HttpProvider[TwilioConfig]):
    vendor = "twilio"

    def __init__(self, config: TwilioConfig) -> None:
        super().__init__(config)
        base = config.endpoint.rstrip("/")
        self._url = f"{base}/2010-04-01/Accounts/{config.account_sid}/Messages.json"

    async def _submit(self, message: OutboundMessage) -> SubmitResult:
        try:
            response = await self.client.post(
                self._url,
                data=message_form(self._config, message),
                auth=(self._config.account_sid, self._config.auth_token),
            )
        except httpx.HTTPError as error:
            return self._unreachable(error)
        return create_message_result(response.status_code, response.content)


def twilio_callback(config: TwilioConfig, request: CallbackRequest) -> CallbackOutcome:
    check_twilio_signature(config, request)
    if request.kind == "report":
        report = twilio_report(request.form)
        return CallbackOutcome(reports=[] if report is None else [report])
    inbound = twilio_inbound(request.form)
    return CallbackOutcome(inbound=[inbound], answer=EMPTY_TWIML, media_type="text/xml")


def check_twilio_signature(config: TwilioConfig, request: CallbackRequest) -> None:
    if config.callback_base_url is None:
        raise CallbackRefused("callback_base_url is needed to check Twilio's signature")
    url = config.callback_base_url.rstrip("/") + request.path_and_query
    expected = twilio_signature(config.auth_token, url, request.form)
    supplied = request.headers.get("x-twilio-signature", "")
    if not hmac.compare_digest(expected.encode(), supplied.encode()):
        raise CallbackRefused("X-Twilio-Signature does not match")


def twilio_report(form: Mapping[str, str]) -> ProviderReport | None:
    """A status callback; only delivered, undelivered and failed are final."""
    sid, status = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not status:
        raise CallbackInvalid("a Twilio status callback needs MessageSid and MessageStatus")
    if status == "delivered":
        return ProviderReport(sid, DELIVERED)
    if status in FINAL_FAILURES:
        code = form.get("ErrorCode", "")
        status_code = DELIVERY_ERRORS.get(int(code)) if code.isdigit() else None
        return ProviderReport(sid, status_code or OTHER_ERROR)
    return None


def twilio_inbound(form: Mapping[str, str]) -> InboundSms:
    sender, to = form.get("From"), form.get("To")
    if not sender or not to:
        raise CallbackInvalid("a Twilio message webhook needs From and To")
    return InboundSms(to=to, mobile=e164(sender), text=form.get("Body", ""))
