"""The keys of a `type = "smpp"` provider table, checked when the configuration is loaded."""

from typing import Literal

from pydantic import Field

from smsgate.delivery.providers.base import LinkedProviderConfig

# SMPP 3.4 §5.2: C-octet strings with these maximum lengths, terminating NUL excluded.
SYSTEM_ID_MAX, PASSWORD_MAX, SYSTEM_TYPE_MAX, ADDRESS_MAX = 15, 8, 12, 20


class SmppConfig(LinkedProviderConfig):
    type: Literal["smpp"] = "smpp"
    channels: tuple[Literal["sms"], ...] = ("sms",)
    host: str = Field(min_length=1)
    port: int = Field(2775, ge=1, le=65535)
    system_id: str = Field(min_length=1, max_length=SYSTEM_ID_MAX)
    password: str = Field("", max_length=PASSWORD_MAX)
    system_type: str = Field("", max_length=SYSTEM_TYPE_MAX)
    source_addr: str = Field(min_length=1, max_length=ADDRESS_MAX)
    source_ton: int = Field(
        0, ge=0, le=6
    )  # 0 unknown, 1 international, 3 network specific, 5 alphanumeric
    source_npi: int = Field(0, ge=0, le=18)
    dest_ton: int = Field(1, ge=0, le=6)  # numbers go out as international digits, no "+"
    dest_npi: int = Field(1, ge=0, le=18)  # ISDN (E.163 / E.164)
    binds: int = Field(1, ge=1, le=32)  # transceiver binds kept open at once
    window: int = Field(10, ge=1, le=1000)  # outstanding submit_sm per bind
    tps: float | None = Field(None, gt=0, le=100_000)  # submit_sm per second per bind; None: no cap
    connect_timeout_seconds: float = Field(10.0, gt=0, le=300)
    submit_timeout_seconds: float = Field(30.0, gt=0, le=600)  # waiting for a submit_sm_resp
    # ESME_RTHROTTLED / ESME_RMSGQFUL: hold that bind back this long (doubling) and submit the
    # part again, for at most throttle_retry_seconds in all before it goes back to the outbox.
    throttle_backoff_seconds: float = Field(0.5, gt=0, le=60)
    throttle_retry_seconds: float = Field(30.0, ge=0, le=600)
    concatenation: Literal["udh", "sar"] = "udh"
    registered_delivery: bool = True  # ask the SMSC for delivery receipts
