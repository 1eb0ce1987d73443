"""Provider types by the `type` key of a `[[providers]]` table in the delivery configuration.

Each type brings a pydantic model of its keys (validated when the configuration is loaded, so a
bad file stops smsgate at start) and a function that builds the provider from it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smsgate.delivery.providers.base import Provider, ProviderConfig, ProviderEnv

if TYPE_CHECKING:
    from smsgate.delivery.providers.http_provider import CallbackOutcome, CallbackRequest


@dataclass(frozen=True, slots=True)
class ProviderType:
    config: type[ProviderConfig]
    build: Callable[[Any, ProviderEnv], Provider]
    # Reads the provider's HTTP callbacks (delivery reports, replies), for those that send any.
    callback: "Callable[[Any, CallbackRequest], CallbackOutcome] | None" = None


def _sandbox() -> ProviderType:
    from smsgate.delivery.providers.sandbox import SandboxConfig, build_sandbox

    return ProviderType(SandboxConfig, build_sandbox)


def _kannel() -> ProviderType:
    from smsgate.delivery.providers.kannel import KannelConfig, build_kannel, kannel_callback

    return ProviderType(KannelConfig, build_kannel, kannel_callback)


def _aliyun() -> ProviderType:
    from smsgate.delivery.providers.aliyun import AliyunConfig, aliyun_callback, build_aliyun

    return ProviderType(AliyunConfig, build_aliyun, aliyun_callback)


def _tencent() -> ProviderType:
    from smsgate.delivery.providers.tencent import TencentConfig, build_tencent, tencent_callback

    return ProviderType(TencentConfig, build_tencent, tencent_callback)


def _twilio() -> ProviderType:
    from smsgate.delivery.providers.twilio import TwilioConfig, build_twilio, twilio_callback

    return ProviderType(TwilioConfig, build_twilio, twilio_callback)


def _smpp() -> ProviderType:
    from smsgate.delivery.providers.smpp.config import SmppConfig
    from smsgate.delivery.providers.smpp.provider import build_smpp

    return ProviderType(SmppConfig, build_smpp)


def _sip() -> ProviderType:
    from smsgate.delivery.voice.sip_provider import SipConfig, build_sip

    return ProviderType(SipConfig, build_sip)


# Loaded on first use, so a deployment pays only for the provider libraries it configures.
PROVIDER_TYPES: dict[str, Callable[[], ProviderType]] = {
    "sandbox": _sandbox,
    "sip": _sip,
    "smpp": _smpp,
    "kannel": _kannel,
    "aliyun": _aliyun,
    "tencent": _tencent,
    "twilio": _twilio,
}


def provider_type(name: str) -> ProviderType:
    """The type named in a configuration; KeyError lists none, the caller says what exists."""
    return PROVIDER_TYPES[name]()
