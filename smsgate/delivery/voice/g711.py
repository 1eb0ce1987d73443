"""ITU-T G.711 companding of 16-bit linear PCM: mu-law (PCMU, payload 0) and A-law (PCMA, 8).

Written out rather than taken from `audioop`, which Python 3.13 removed. The tables are built
once from the reference segment algorithm (ITU-T G.191 software tools), so encoding a call is
one table lookup per sample.
"""

from array import array

_MU_BIAS = 0x84
_MU_CLIP = 32635
_A_SEGMENT_ENDS = (0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF, 0x3FFF, 0x7FFF)


def _mu_law(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = (
        min(~sample if sample < 0 else sample, _MU_CLIP) + _MU_BIAS
    )  # G.191: ones' complement
    exponent = 7
    while exponent > 0 and not magnitude & (0x4000 >> (7 - exponent)):
        exponent -= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _a_law(sample: int) -> int:
    value = sample >> 3  # A-law works on 13 bits
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    segment = 0
    while segment < 8 and value > (_A_SEGMENT_ENDS[segment] >> 3):
        segment += 1
    if segment >= 8:
        return 0x7F ^ mask
    shift = 1 if segment < 2 else segment
    code = (segment << 4) | ((value >> shift) & 0x0F)
    return code ^ mask


def _mu_law_decode(code: int) -> int:
    code = ~code & 0xFF
    magnitude = (((code & 0x0F) << 3) + _MU_BIAS) << ((code & 0x70) >> 4)
    return _MU_BIAS - magnitude if code & 0x80 else magnitude - _MU_BIAS


def _a_law_decode(code: int) -> int:
    code ^= 0x55
    segment = (code & 0x70) >> 4
    magnitude = (code & 0x0F) << 4
    magnitude += 8 if segment == 0 else 0x108
    if segment > 1:
        magnitude <<= segment - 1
    return magnitude if code & 0x80 else -magnitude


# Indexed by the 16-bit sample as unsigned (sample & 0xFFFF).
_ENCODE = {
    "PCMU": bytes(_mu_law(s - 0x10000 if s >= 0x8000 else s) for s in range(0x10000)),
    "PCMA": bytes(_a_law(s - 0x10000 if s >= 0x8000 else s) for s in range(0x10000)),
}
_DECODE = {
    "PCMU": array("h", (_mu_law_decode(c) for c in range(256))),
    "PCMA": array("h", (_a_law_decode(c) for c in range(256))),
}
PAYLOAD_TYPES = {"PCMU": 0, "PCMA": 8}


def encode(samples: "array[int]", codec: str) -> bytes:
    """16-bit signed samples ("h" array) to one G.711 byte each."""
    table = _ENCODE[codec]
    return bytes(table[s & 0xFFFF] for s in samples)


def decode(data: bytes, codec: str) -> "array[int]":
    """G.711 bytes back to 16-bit samples (for checks and listening)."""
    table = _DECODE[codec]
    return array("h", (table[c] for c in data))
