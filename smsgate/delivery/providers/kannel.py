"""Kannel: messages go to its smsbox `sendsms` interface; delivery reports come back through the
`dlr-url` smsgate hands it with every message, replies through an sms-service `get-url`.

    dlr-url  {callback_base_url}/providers/{name}/report?token=..&msg_id=..&type=%d
    get-url  {callback_base_url}/providers/{name}/inbound?token=..&from=%p&to=%P&text=%a&charset=%C

Kannel knows smsgate's own msg_id from the dlr-url, so the msg_id is this provider's message id.
"""

from typing import Literal
from urllib.parse import parse_qsl, urlsplit

import httpx
import structlog
from pydantic import Field

from smsgate.delivery.providers.base import OutboundMessage, ProviderEnv
from smsgate.delivery.providers.http_provider import (
    CallbackInvalid,
    CallbackOutcome,
    CallbackRequest,
    HttpProvider,
    HttpProviderConfig,
    callback_url,
    check_callback_token,
    e164,
    loggable,
)
from smsgate.mobiles import mask_mobile
from smsgate.provider_answers import (
    Accepted,
    InboundSms,
    ProviderReport,
    Rejected,
    SubmitResult,
    TryLater,
)
from smsgate.report_status import ReportStatus
from smsgate.text.segments import gsm7_length

log = structlog.get_logger(__name__)
DELIVERED, OTHER_ERROR, BLACKLISTED, NO_SUCH_NUMBER = (
    ReportStatus.DELIVERED,
    ReportStatus.OTHER_ERROR,
    ReportStatus.BLACKLISTED,
    ReportStatus.NO_SUCH_NUMBER,
)
# Kannel's dlr types: 1 delivered to the phone, 2 not delivered to the phone, 4 queued on the
# SMSC, 8 delivered to the SMSC, 16 refused by the SMSC. Only 1, 2 and 16 are final.
DLR_FINAL_STATUS = {1: DELIVERED, 2: OTHER_ERROR, 16: OTHER_ERROR}
FINAL_DLR_MASK = 1 | 2 | 16
UCS2_CODING = "2"


class KannelConfig(HttpProviderConfig):
    type: Literal["kannel"] = "kannel"
    url: str  # smsbox's sendsms, e.g. "http://127.0.0.1:13013/cgi-bin/sendsms"
    username: str  # a sendsms-user of smsbox
    password: str
    source_addr: str | None = None  # `from`; default: the sendsms-user's default-sender
    smsc: str | None = None  # smsc-id to route through; default: Kannel's own routing
    dlr_mask: int = Field(default=FINAL_DLR_MASK, ge=0, le=31)
    # How `to` is written: "+8613800138000" (e164) or "8613800138000" (international).
    number_format: Literal["e164", "international"] = "e164"


def build_kannel(config: KannelConfig, env: ProviderEnv) -> "KannelProvider":
    return KannelProvider(config)


def sendsms_params(config: KannelConfig, message: OutboundMessage) -> dict[str, str]:
    """The sendsms query for one message. Texts outside GSM 03.38 go as UCS-2 (coding=2), given
    to Kannel in UTF-8, which converts them."""
    to = message.mobile if config.number_format == "e164" else message.mobile.lstrip("+")
    params = {
        "username": config.username,
        "password": config.password,
        "to": to,
        "text": message.text,
        "charset": "UTF-8",
    }
    if gsm7_length(message.text) is None:
        params["coding"] = UCS2_CODING
    if config.source_addr is not None:
        params["from"] = config.source_addr
    if config.smsc is not None:
        params["smsc"] = config.smsc
    dlr_url = callback_url(config, "report", msg_id=message.msg_id, type="%d")
    if dlr_url is not None and config.dlr_mask:
        params["dlr-mask"] = str(config.dlr_mask)
        params["dlr-url"] = dlr_url
    return params


def sendsms_result(status_code: int, body: str) -> SubmitResult:
    """Kannel's answer: 202 "0: Accepted for delivery" or "3: Queued for later delivery"; 503
    when it cannot take messages now; 4xx when it refuses the request. Only refusals that name
    the message (its number, a black list, its length) are final; the others ("Authorization
    failed", "Sender missing", ...) are about this provider's configuration."""
    text = loggable(body.strip())
    if 200 <= status_code < 300:
        return Accepted(None)
    reason = f"kannel {status_code}: {text}"
    lowered = text.lower()
    if 400 <= status_code < 500:
        if "black" in lowered or "white" in lowered:
            return Rejected(BLACKLISTED, reason)
        if "receiver" in lowered:
            return Rejected(NO_SUCH_NUMBER, reason)
        if "too long" in lowered:
            return Rejected(OTHER_ERROR, reason)
    return TryLater(reason)


class KannelProvider(HttpProvider[KannelConfig]):
    vendor = "kannel"

    async def _submit(self, message: OutboundMessage) -> SubmitResult:
        try:
            response = await self.client.get(
                self._config.url, params=sendsms_params(self._config, message)
            )
        except httpx.HTTPError as error:
            return self._unreachable(error)
        result = sendsms_result(response.status_code, response.text)
        if isinstance(result, Accepted):
            return Accepted(message.msg_id)
        log.info(
            "kannel did not take a message",
            provider=self.name,
            mobile=mask_mobile(message.mobile),
            result=result,
        )
        return result


def kannel_callback(config: KannelConfig, request: CallbackRequest) -> CallbackOutcome:
    check_callback_token(config, request)
    params = request.params()
    if request.kind == "report":
        return CallbackOutcome(reports=kannel_report(params))
    return CallbackOutcome(inbound=[kannel_inbound(params, _raw_text(request))])


def _raw_text(request: CallbackRequest) -> bytes | None:
    """The reply's text as the bytes Kannel sent: a UCS-2 reply arrives as UTF-16BE bytes
    (charset=%C names it), which a UTF-8 reading of the query would mangle."""
    query = urlsplit(request.path_and_query).query
    fields = parse_qsl(query, keep_blank_values=True, encoding="latin-1")
    texts = [value for key, value in fields if key == "text"]
    return texts[0].encode("latin-1") if texts else None


def kannel_report(params: dict[str, str]) -> list[ProviderReport]:
    """A dlr-url call: the final status of msg_id, or nothing for an intermediate report. The
    msg_id is the id this provider's submit returned, so it matches only messages it carried."""
    msg_id, dlr_type = params.get("msg_id"), params.get("type", "")
    if not msg_id or not dlr_type.isdigit():
        raise CallbackInvalid("a Kannel report needs msg_id and a numeric type")
    status = DLR_FINAL_STATUS.get(int(dlr_type))
    return [] if status is None else [ProviderReport(msg_id, status)]


def kannel_inbound(params: dict[str, str], raw_text: bytes | None = None) -> InboundSms:
    """A get-url call: from=%p, to=%P, text=%a, and charset=%C when the text is not UTF-8."""
    sender, to = params.get("from"), params.get("to")
    if not sender or to is None:
        raise CallbackInvalid("a Kannel reply needs from and to")
    text = params.get("text", "")
    charset = params.get("charset", "")
    if raw_text is not None and charset:
        try:
            text = raw_text.decode(charset, "replace")
        except LookupError:
            raise CallbackInvalid(f"unknown charset {charset!r}") from None
    return InboundSms(to=to, mobile=e164(sender), text=text)
