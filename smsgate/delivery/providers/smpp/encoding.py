"""Texts to submit_sm parts and deliver_sm bytes back to text.

GSM 03.38 goes out unpacked (one septet an octet, data_coding 0: the SMSC default alphabet, as
SMPP 3.4 §5.2.19 leaves packing to the SMSC); anything else goes out as UCS-2 (data_coding 8,
UTF-16BE, so an emoji keeps its surrogate pair). The cut into parts is billing's own
(`smsgate.text.segments.split_parts`), so a message costs what it sends.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from smsgate.text.segments import split_parts

DC_DEFAULT, DC_IA5, DC_LATIN1, DC_UCS2 = 0, 1, 3, 8
ESM_UDHI = 0x40
TLV_SAR_MSG_REF_NUM, TLV_SAR_TOTAL_SEGMENTS, TLV_SAR_SEGMENT_SEQNUM = 0x020C, 0x020E, 0x020F
TLV_MESSAGE_PAYLOAD = 0x0424
IEI_CONCAT_8BIT, IEI_CONCAT_16BIT = 0x00, 0x08
ESCAPE = 0x1B

# GSM 03.38 default alphabet by septet value; 0x1B escapes into the extension table.
GSM_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~"}
GSM_EXTENSION |= {0x3E: "]", 0x40: "|", 0x65: "€"}
_TO_SEPTET = {char: code for code, char in enumerate(GSM_ALPHABET) if code != ESCAPE}
_TO_EXTENDED = {char: code for code, char in GSM_EXTENSION.items()}

Concatenation = Literal["udh", "sar"]


@dataclass(frozen=True, slots=True)
class SubmitPart:
    """One submit_sm's worth of a message."""

    short_message: bytes
    data_coding: int
    esm_class: int = 0
    tlvs: tuple[tuple[int, bytes], ...] = ()


def encode_gsm7(text: str) -> bytes:
    """Unpacked septets; KeyError for a character outside GSM 03.38."""
    out = bytearray()
    for char in text:
        septet = _TO_SEPTET.get(char)
        if septet is None:
            out += bytes((ESCAPE, _TO_EXTENDED[char]))
        else:
            out.append(septet)
    return bytes(out)


def decode_gsm7(data: bytes) -> str:
    chars: list[str] = []
    escaped = False
    for octet in data:
        septet = octet & 0x7F
        if escaped:
            chars.append(GSM_EXTENSION.get(septet, " "))  # 03.38: unknown extension shows as space
            escaped = False
        elif septet == ESCAPE:
            escaped = True
        else:
            chars.append(GSM_ALPHABET[septet])
    return "".join(chars)


def decode_text(data: bytes, data_coding: int) -> str:
    """A deliver_sm's text by its data_coding (SMPP 3.4 §5.2.19); unknown codings as Latin-1,
    which keeps every byte."""
    if data_coding & 0xF0 == 0xF0:  # GSM 03.38 message class coding: bit 2 set is 8-bit data
        return data.decode("latin-1") if data_coding & 0x04 else decode_gsm7(data)
    if data_coding == DC_DEFAULT:
        return decode_gsm7(data)
    if data_coding == DC_IA5:
        return data.decode("ascii", errors="replace")
    if data_coding == DC_UCS2:
        return data.decode("utf-16-be", errors="replace")
    return data.decode("latin-1")


def submit_parts(text: str, concatenation: Concatenation, reference: int) -> list[SubmitPart]:
    """The submit_sm payloads for a text; `reference` ties the parts of a long one together."""
    fits_gsm, parts = split_parts(text)
    coding = DC_DEFAULT if fits_gsm else DC_UCS2
    encoded = [encode_gsm7(p) if fits_gsm else p.encode("utf-16-be") for p in parts]
    if len(encoded) == 1:
        return [SubmitPart(encoded[0], coding)]
    total = len(encoded)
    if concatenation == "sar":
        return [
            SubmitPart(
                body,
                coding,
                tlvs=(
                    (TLV_SAR_MSG_REF_NUM, (reference & 0xFFFF).to_bytes(2, "big")),
                    (TLV_SAR_TOTAL_SEGMENTS, bytes((total,))),
                    (TLV_SAR_SEGMENT_SEQNUM, bytes((seq,))),
                ),
            )
            for seq, body in enumerate(encoded, start=1)
        ]
    return [
        SubmitPart(
            bytes((5, IEI_CONCAT_8BIT, 3, reference & 0xFF, total, seq)) + body, coding, ESM_UDHI
        )
        for seq, body in enumerate(encoded, start=1)
    ]


@dataclass(frozen=True, slots=True)
class Fragment:
    """Where a received part belongs: reference, total and number (1-based) of its message."""

    reference: int
    total: int
    number: int


def split_user_data_header(data: bytes) -> tuple[Fragment | None, bytes]:
    """The concatenation element of a UDH (8- or 16-bit reference), and the text bytes after it."""
    if not data:
        return None, data
    header_length = data[0]
    header, body = data[1 : 1 + header_length], data[1 + header_length :]
    fragment = None
    index = 0
    while index + 2 <= len(header):
        iei, length = header[index], header[index + 1]
        value = header[index + 2 : index + 2 + length]
        if iei == IEI_CONCAT_8BIT and length == 3:
            fragment = Fragment(value[0], value[1], value[2])
        elif iei == IEI_CONCAT_16BIT and length == 4:
            fragment = Fragment(int.from_bytes(value[:2], "big"), value[2], value[3])
        index += 2 + length
    return fragment, body


def sar_fragment(tlvs: Sequence[tuple[int, bytes]]) -> Fragment | None:
    values = dict(tlvs)
    try:
        return Fragment(
            int.from_bytes(values[TLV_SAR_MSG_REF_NUM], "big"),
            values[TLV_SAR_TOTAL_SEGMENTS][0],
            values[TLV_SAR_SEGMENT_SEQNUM][0],
        )
    except (KeyError, IndexError):
        return None
