"""How many SMS parts a text takes: GSM 03.38 7-bit 160 / 153, otherwise UCS-2 70 / 67.

A long text is cut where a handset can join it again: never inside a GSM escape pair (an
extension character takes two septets) nor inside a UTF-16 surrogate pair (an emoji takes two
units), so a part may hold one septet or unit less than the maximum. Billing counts the parts
exactly as the SMPP provider sends them (`split_parts`).
"""

from collections.abc import Callable

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def gsm7_length(text: str) -> int | None:
    """Septets the text needs in GSM 03.38, or None when it does not fit that alphabet."""
    length = 0
    for char in text:
        if char in _GSM_BASIC:
            length += 1
        elif char in _GSM_EXTENDED:
            length += 2
        else:
            return None
    return length


def split_parts(text: str) -> tuple[bool, list[str]]:
    """(fits GSM 03.38, the text cut into SMS parts): one part when it fits a single SMS."""
    septets = gsm7_length(text)
    if septets is not None:
        if septets <= GSM7_SINGLE:
            return True, [text]
        return True, _cut(text, GSM7_PART, lambda char: 2 if char in _GSM_EXTENDED else 1)
    if _utf16_units(text) <= UCS2_SINGLE:
        return False, [text]
    return False, _cut(text, UCS2_PART, lambda char: 2 if ord(char) > 0xFFFF else 1)


def count_segments(text: str) -> int:
    if len(text) <= UCS2_SINGLE // 2:  # the common short code SMS: one part whatever the alphabet
        return 1
    return len(split_parts(text)[1])


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int, width: Callable[[str], int]) -> list[str]:
    parts: list[str] = []
    start, used = 0, 0
    for index, char in enumerate(text):
        size = width(char)
        if used + size > limit:
            parts.append(text[start:index])
            start, used = index, 0
        used += size
    parts.append(text[start:])
    return parts
