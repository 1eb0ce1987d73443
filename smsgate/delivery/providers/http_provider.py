"""What the HTTP providers (Kannel, Aliyun, Tencent Cloud, Twilio) share: their common keys (and
the template vendors' keys and choice of template), one HTTP client each with one request per
message, and the shape of a status callback as smsgate's webhooks hand it to them.

A callback arrives at `/providers/{name}/report` or `/providers/{name}/inbound`. Vendors that sign
their callbacks (Twilio) are checked by their signature; the others must carry the provider's
`callback_token` in the URL (`?token=...`), compared in constant time.
"""

import asyncio
import hmac
import random
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx
import orjson
import phonenumbers
from pydantic import Field

from smsgate.delivery.providers.base import LinkedProviderConfig, OutboundMessage, submit_each
from smsgate.delivery.providers.link import DOWN, Link
from smsgate.provider_answers import InboundSms, ProviderReport, SubmitResult, TryLater
from smsgate.telemetry.redaction import redact_text

CallbackKind = Literal["report", "inbound"]


class HttpProviderConfig(LinkedProviderConfig):
    timeout: float = Field(default=10.0, gt=0)  # seconds for one request to the vendor
    # smsgate's address as the vendor reaches it, e.g. "https://sms.example.com"; callback URLs
    # that smsgate hands to the vendor (Kannel's dlr-url, Twilio's StatusCallback) start with it.
    callback_base_url: str | None = None
    # The secret a callback must carry as `?token=` (Kannel, Aliyun, Tencent Cloud). URL-safe
    # characters only: Kannel reads `%` in its dlr-url as the start of one of its own escapes.
    callback_token: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{16,}$")


def callback_url(config: HttpProviderConfig, kind: CallbackKind, **params: str) -> str | None:
    """Where the vendor calls smsgate back, or None without `callback_base_url`. Values are
    percent-encoded except `%`, so Kannel's own escapes (`%d`) pass through."""
    if config.callback_base_url is None:
        return None
    url = f"{config.callback_base_url.rstrip('/')}/providers/{quote(config.name)}/{kind}"
    if config.callback_token is not None:
        params = {"token": config.callback_token, **params}
    if params:
        url += "?" + "&".join(f"{key}={quote(value, safe='%')}" for key, value in params.items())
    return url


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """A vendor's call to one of smsgate's webhooks, already read."""

    kind: CallbackKind
    method: str
    path_and_query: str  # as smsgate received it, e.g. "/providers/tw/report?x=1"
    query: Mapping[str, str]
    form: Mapping[str, str]  # an application/x-www-form-urlencoded body, else empty
    body: bytes
    headers: Mapping[str, str]  # lower-case names

    def params(self) -> dict[str, str]:
        """Query and form parameters together (Kannel may use either)."""
        return {**self.query, **self.form}


@dataclass(slots=True)
class CallbackOutcome:
    """What a callback told smsgate, and what the vendor expects as the answer."""

    reports: list[ProviderReport] = field(default_factory=list)
    inbound: list[InboundSms] = field(default_factory=list)
    answer: bytes = b""
    media_type: str = "text/plain"


class CallbackRefused(Exception):
    """The callback is not from the vendor (bad token or signature): 401."""


class CallbackInvalid(Exception):
    """The callback cannot be read (not the vendor's format): 403."""


def check_callback_token(config: HttpProviderConfig, request: CallbackRequest) -> None:
    """A provider without a token accepts no unsigned callbacks at all."""
    supplied = request.query.get("token", "")
    expected = config.callback_token
    if expected is None or not hmac.compare_digest(supplied.encode(), expected.encode()):
        raise CallbackRefused("callback token missing or wrong")


def e164(number: str, country_code: str | None = None) -> str:
    """A number as a vendor reports it ("13800138000", "8613800138000", "+86 138...") in E.164;
    national numbers are read in `country_code` (mainland China when not given)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.strip().startswith("+"):
        return "+" + digits
    if country_code:
        return f"+{country_code}{digits}"
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return "+" + digits
    if phonenumbers.is_valid_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return "+" + digits  # already international without its "+"


def json_body(request: CallbackRequest) -> Any:
    try:
        return orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise CallbackInvalid("body is not JSON") from None


ConfigT = TypeVar("ConfigT", bound=HttpProviderConfig)


class HttpProvider(ABC, Generic[ConfigT]):
    """A provider that sends each message as a request of its own, through one httpx client
    that is open from construction until `run()` is cancelled.

    Its link is down from a request that could not connect (refused, unreachable, connect
    timeout) until any request gets an answer; while down, `run()` probes the vendor's server
    with a HEAD of its root, backing off like an SMPP rebind, since the router sends nothing."""

    vendor: ClassVar[str]  # how its refusals and failures are labelled, e.g. "aliyun"

    def __init__(self, config: ConfigT) -> None:
        self.name = config.name
        self._config = config
        self.link = Link()
        self._origin: str | None = None  # of the last request: where a probe goes
        self.client = httpx.AsyncClient(
            timeout=config.timeout,
            follow_redirects=False,
            event_hooks={"request": [self._sending], "response": [self._answered]},
        )

    async def run(self) -> None:
        try:
            while True:
                await self.link.until(DOWN)
                await self._probe_until_up()
        finally:
            await self.client.aclose()

    async def _probe_until_up(self) -> None:
        delay = self._config.reconnect_min_seconds
        while self.link.is_down:
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))  # jitter: workers spread out
            delay = min(delay * 2, self._config.reconnect_max_seconds)
            if self._origin is None:  # down before any request: nothing known to probe
                continue
            try:
                await self.client.head(self._origin)  # any answer, even a 404, brings it up
            except httpx.HTTPError as error:
                self._unreachable(error)

    async def _sending(self, request: httpx.Request) -> None:
        self._origin = str(request.url.copy_with(path="/", query=None, fragment=None))

    async def _answered(self, response: httpx.Response) -> None:
        self.link.up()

    async def submit_many(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        return await submit_each(self._submit, messages)

    @abstractmethod
    async def _submit(self, message: OutboundMessage) -> SubmitResult:
        """One request to the vendor for one message, its answer read as a SubmitResult."""

    def _unreachable(self, error: httpx.HTTPError) -> TryLater:
        """The request did not get an answer: another try, or another provider, may. One that
        could not even connect takes the provider down."""
        reason = f"{self.vendor}: {type(error).__name__}: {error}"
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
            self.link.down(reason)
        return TryLater(reason)


def split_signature(text: str) -> tuple[str | None, str]:
    """smsgate writes the signature as a leading 【sign】; template vendors (Aliyun, Tencent
    Cloud) want it apart, as they add it themselves."""
    if text.startswith("【"):
        end = text.find("】")
        if end > 1:
            return text[1:end], text[end + 1 :]
    return None, text


class TemplateProviderConfig(HttpProviderConfig):
    """Keys of vendors that send only approved templates (Aliyun, Tencent Cloud)."""

    sign_name: str | None = None  # else the 【sign】 smsgate put in front of the text
    code_template: str | None = None  # the vendor's template id for verification codes
    text_template: str | None = None  # the vendor's template id for any other text


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    sign_name: str
    template: str
    value: str  # the template's one parameter: the code, or the text without its signature
    is_code: bool


def choose_template(
    config: TemplateProviderConfig, message: OutboundMessage
) -> TemplateChoice | str:
    """A verification code goes as `code_template`, any other text as `text_template`; the
    answer is a str when this provider cannot send the message."""
    sign, body = split_signature(message.text)
    sign_name = config.sign_name or sign
    if message.code is not None and config.code_template is not None:
        template, value, is_code = config.code_template, message.code, True
    elif config.text_template is not None:
        template, value, is_code = config.text_template, body, False
    else:
        return "no template configured for this kind of message"
    if sign_name is None:
        return "no signature: set sign_name"
    return TemplateChoice(sign_name, template, value, is_code)


REASON_LIMIT = 120


def loggable(vendor_text: str) -> str:
    """A vendor's error text fit for logs and the outbox: vendors echo numbers ("The 'To' number
    +1555... is not valid") and Aliyun its whole string to sign (codes included) back."""
    text = vendor_text.split("string to sign", 1)[0]
    text = redact_text(text)
    return text[:REASON_LIMIT]
