"""Replies (MO deliver_sm): the sender in E.164, the text decoded, long ones joined again."""

import time
from dataclasses import dataclass, field

from smsgate.delivery.providers.smpp.bind import Delivered
from smsgate.delivery.providers.smpp.encoding import (
    ESM_UDHI,
    TLV_MESSAGE_PAYLOAD,
    Fragment,
    decode_text,
    sar_fragment,
    split_user_data_header,
)
from smsgate.errors import JsmsError
from smsgate.mobiles import normalise_mobile
from smsgate.provider_answers import InboundSms

TON_INTERNATIONAL = 1
FRAGMENT_TTL_SECONDS = 600.0  # a part whose siblings never come is dropped after this
MAX_PENDING_MESSAGES = 10_000


def sender_mobile(source_addr: str, source_ton: int) -> str:
    """E.164 for a handset number; anything else (an alphanumeric sender) as the carrier gave it."""
    digits = source_addr.lstrip("+")
    international = source_ton == TON_INTERNATIONAL or source_addr.startswith("+")
    candidate = "+" + digits if international else source_addr
    try:
        return normalise_mobile(candidate)
    except JsmsError:
        return candidate


@dataclass
class _Pending:
    first_seen: float
    data_coding: int
    parts: dict[int, bytes] = field(default_factory=dict)


class ReplyAssembler:
    """Joins concatenated MO parts (UDH or SAR) into one reply; single-part replies pass through."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str, int, int], _Pending] = {}

    def add(self, delivered: Delivered) -> InboundSms | None:
        """The whole reply once its last part is in, else None."""
        body = delivered.short_message or dict(delivered.tlvs).get(TLV_MESSAGE_PAYLOAD, b"")
        fragment: Fragment | None
        if delivered.esm_class & ESM_UDHI:
            fragment, body = split_user_data_header(body)
        else:
            fragment = sar_fragment(delivered.tlvs)
        if fragment is None or fragment.total <= 1:
            return self._reply(delivered, decode_text(body, delivered.data_coding))
        self._expire()
        key = (
            delivered.source_addr,
            delivered.destination_addr,
            fragment.reference,
            fragment.total,
        )
        pending = self._pending.setdefault(key, _Pending(time.monotonic(), delivered.data_coding))
        pending.parts[fragment.number] = body
        if len(pending.parts) < fragment.total:
            return None
        del self._pending[key]
        joined = b"".join(pending.parts[n] for n in sorted(pending.parts))
        return self._reply(delivered, decode_text(joined, pending.data_coding))

    def _reply(self, delivered: Delivered, text: str) -> InboundSms:
        mobile = sender_mobile(delivered.source_addr, delivered.source_addr_ton)
        return InboundSms(to=delivered.destination_addr, mobile=mobile, text=text)

    def _expire(self) -> None:
        cutoff = time.monotonic() - FRAGMENT_TTL_SECONDS
        for key in [k for k, p in self._pending.items() if p.first_seen < cutoff]:
            del self._pending[key]
        while len(self._pending) >= MAX_PENDING_MESSAGES:
            del self._pending[next(iter(self._pending))]
