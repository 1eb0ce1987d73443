"""Replies over SMPP: the sender as E.164, long replies joined from their parts."""

import pytest

from smsgate.delivery.providers.smpp.bind import Delivered
from smsgate.delivery.providers.smpp.encoding import (
    TLV_MESSAGE_PAYLOAD,
    TLV_SAR_MSG_REF_NUM,
    TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
)
from smsgate.delivery.providers.smpp.inbound import ReplyAssembler, sender_mobile
from smsgate.provider_answers import InboundSms


def mo(body: bytes, *, esm_class: int = 0, coding: int = 0, tlvs=(), sender="8613800138000"):
    return Delivered(sender, 1, "1069", esm_class, coding, body, tuple(tlvs))


@pytest.mark.parametrize(
    ("address", "ton", "e164"),
    [
        ("8613800138000", 1, "+8613800138000"),
        ("+8613800138000", 0, "+8613800138000"),
        ("13800138000", 0, "+8613800138000"),  # a mainland number as the carrier writes it
        ("447700900123", 1, "+447700900123"),
        ("BANK", 5, "BANK"),  # not a number: kept as given
    ],
)
def test_senders_become_e164(address: str, ton: int, e164: str) -> None:
    assert sender_mobile(address, ton) == e164


def test_udh_parts_are_joined_in_order_whatever_order_they_come_in() -> None:
    assembler = ReplyAssembler()
    text = "退订" * 40
    encoded = text.encode("utf-16-be")
    second = mo(b"\x05\x00\x03\x07\x02\x02" + encoded[134:], esm_class=0x40, coding=8)
    first = mo(b"\x05\x00\x03\x07\x02\x01" + encoded[:134], esm_class=0x40, coding=8)
    assert assembler.add(second) is None
    assert assembler.add(first) == InboundSms("1069", "+8613800138000", text)


def test_sar_parts_are_joined() -> None:
    assembler = ReplyAssembler()

    def part(number: int, body: bytes) -> Delivered:
        return mo(
            body,
            tlvs=[
                (TLV_SAR_MSG_REF_NUM, b"\x01\x2c"),
                (TLV_SAR_TOTAL_SEGMENTS, b"\x02"),
                (TLV_SAR_SEGMENT_SEQNUM, bytes([number])),
            ],
        )

    assert assembler.add(part(1, b"Hello ")) is None
    assert assembler.add(part(2, b"world")) == InboundSms("1069", "+8613800138000", "Hello world")


def test_parts_of_different_senders_are_not_mixed() -> None:
    assembler = ReplyAssembler()
    assert assembler.add(mo(b"\x05\x00\x03\x07\x02\x01A", esm_class=0x40)) is None
    other = mo(b"\x05\x00\x03\x07\x02\x02B", esm_class=0x40, sender="8613900139000")
    assert assembler.add(other) is None


def test_a_reply_in_message_payload_is_read() -> None:
    reply = ReplyAssembler().add(mo(b"", tlvs=[(TLV_MESSAGE_PAYLOAD, b"TD")]))
    assert reply == InboundSms("1069", "+8613800138000", "TD")
