"""SMPP texts: GSM 03.38 or UCS-2, cut into parts the way billing counts them."""

import pytest

from smsgate.delivery.providers.smpp.encoding import (
    GSM_ALPHABET,
    GSM_EXTENSION,
    Fragment,
    decode_gsm7,
    decode_text,
    encode_gsm7,
    sar_fragment,
    split_user_data_header,
    submit_parts,
)
from smsgate.text.segments import _GSM_BASIC, _GSM_EXTENDED, count_segments, gsm7_length


def test_the_alphabet_is_the_one_billing_counts() -> None:
    assert set(GSM_ALPHABET) - {"\x1b"} == _GSM_BASIC
    assert set(GSM_EXTENSION.values()) == _GSM_EXTENDED
    assert len(GSM_ALPHABET) == 128


def test_gsm_septet_values() -> None:
    assert encode_gsm7("@£$") == b"\x00\x01\x02"
    assert encode_gsm7("A a") == b"\x41\x20\x61"
    assert encode_gsm7("¡¿äà") == b"\x40\x60\x7b\x7f"
    assert encode_gsm7("€[]{}") == b"\x1b\x65\x1b\x3c\x1b\x3e\x1b\x28\x1b\x29"


@pytest.mark.parametrize("char", sorted(_GSM_BASIC | _GSM_EXTENDED))
def test_every_gsm_character_round_trips(char: str) -> None:
    assert decode_gsm7(encode_gsm7(char)) == char
    assert len(encode_gsm7(char)) == gsm7_length(char)


def test_a_gsm_text_is_one_default_alphabet_part() -> None:
    [part] = submit_parts("Code 123456 [ok]", "udh", 7)
    assert (part.data_coding, part.esm_class, part.tlvs) == (0, 0, ())
    assert decode_text(part.short_message, 0) == "Code 123456 [ok]"


def test_one_character_outside_gsm_makes_it_ucs2() -> None:
    [part] = submit_parts("Code 123456 ç", "udh", 7)
    assert part.data_coding == 8
    assert part.short_message == "Code 123456 ç".encode("utf-16-be")


@pytest.mark.parametrize(
    "text",
    [
        *("a" * 160, "a" * 161, "a" * 200, "€" * 81, "a" * 152 + "€" + "a" * 152),
        *("验" * 70, "验" * 71, "验" * 66 + "😀" + "验" * 66, "😀" * 67, "x" * 459, "x" * 460),
    ],
)
@pytest.mark.parametrize("concatenation", ["udh", "sar"])
def test_parts_match_billing_and_join_back(text: str, concatenation: str) -> None:
    parts = submit_parts(text, concatenation, 300)  # type: ignore[arg-type]
    assert len(parts) == count_segments(text)
    bodies = []
    for seq, part in enumerate(parts, start=1):
        if len(parts) == 1:
            bodies.append(part.short_message)
            continue
        if concatenation == "udh":
            fragment, body = split_user_data_header(part.short_message)
            assert part.esm_class == 0x40 and part.tlvs == ()
            assert fragment == Fragment(300 & 0xFF, len(parts), seq)
        else:
            body = part.short_message
            assert part.esm_class == 0
            assert sar_fragment(part.tlvs) == Fragment(300, len(parts), seq)
        limit = 153 if part.data_coding == 0 else 134  # septets, or octets of UCS-2
        assert len(body) <= limit
        bodies.append(body)
    assert decode_text(b"".join(bodies), parts[0].data_coding) == text


def test_a_sixteen_bit_reference_header_is_read() -> None:
    fragment, body = split_user_data_header(b"\x06\x08\x04\x12\x34\x03\x02hello")
    assert fragment == Fragment(0x1234, 3, 2)
    assert body == b"hello"


def test_a_header_without_concatenation_names_no_fragment() -> None:
    assert split_user_data_header(b"\x04\x05\x02\x0b\x84ping") == (None, b"ping")


@pytest.mark.parametrize(
    ("data", "coding", "text"),
    [
        (b"\x48\x69\x1b\x65", 0, "Hi€"),
        (b"Hi!", 1, "Hi!"),
        ("é".encode("latin-1"), 3, "é"),
        ("退订".encode("utf-16-be"), 8, "退订"),
        (b"\x48\x69", 0xF0, "Hi"),  # message class 0, GSM alphabet
        (b"\xff", 0xF4, "\xff"),  # message class 0, 8-bit data
    ],
)
def test_received_texts_decode_by_data_coding(data: bytes, coding: int, text: str) -> None:
    assert decode_text(data, coding) == text
