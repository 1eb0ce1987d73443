"""Mobile numbers: mainland 11-digit numbers (region CN) and +E.164 for the rest of the world."""

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from smsgate.errors import Code, JsmsError

_DIALLABLE = re.compile(r"\+?[0-9][0-9 ()\-.]*", re.ASCII)


def _mainland_mobile_pattern() -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert metadata is not None and metadata.mobile is not None
    return str(metadata.mobile.national_number_pattern)


# phonenumbers' own pattern for mainland mobiles: an 11-digit number that matches it is exactly
# what the full parse below would accept, at a fraction of the cost (it runs on every send).
_MAINLAND_MOBILE = re.compile(_mainland_mobile_pattern())
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_mobile(value: object) -> str:
    """The E.164 form of a mobile number, or JsmsError 50004 (absent) / 50006 (not a mobile).

    SDKs send numbers as JSON strings or numbers (PHP batches); both are accepted.
    """
    if value is None or value == "":
        raise JsmsError(Code.MISSING_MOBILE)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise JsmsError(Code.INVALID_MOBILE)
    text = str(value).strip()
    if not text:
        raise JsmsError(Code.MISSING_MOBILE)
    # Digits and the usual separators only: phonenumbers would read letters as keypad digits
    # ("138ABCD5678") and extensions as part of the number.
    if len(text) > 20 or not _DIALLABLE.fullmatch(text):
        raise JsmsError(Code.INVALID_MOBILE)
    national = text[3:] if text.startswith("+86") else text
    if len(national) == 11 and national.isdigit() and _MAINLAND_MOBILE.fullmatch(national):
        return "+86" + national
    try:
        number = phonenumbers.parse(text, "CN")
    except NumberParseException:
        raise JsmsError(Code.INVALID_MOBILE) from None
    if number.extension or not phonenumbers.is_valid_number(number):
        raise JsmsError(Code.INVALID_MOBILE)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise JsmsError(Code.INVALID_MOBILE)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_mobile(e164: str) -> str:
    """How JSMS shows a number: 11 national digits for mainland China, E.164 otherwise."""
    return e164[3:] if e164.startswith("+86") else e164


def mask_mobile(e164: str) -> str:
    """A number safe for logs: country code and last four digits only."""
    if e164.startswith("+86"):  # most numbers, on the send path: no parse needed
        return "+86" + "*" * max(len(e164) - 7, 0) + e164[-4:]
    country = "+" + str(phonenumbers.parse(e164).country_code)
    return country + "*" * max(len(e164) - len(country) - 4, 0) + e164[-4:]
