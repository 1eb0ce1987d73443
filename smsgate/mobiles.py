"""Mobile numbers: mainland 11-digit numbers (region CN) and +E.164 for the rest of the world."""

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from smsgate.errors import JsmsError

_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_mobile(value: object) -> str:
    """The E.164 form of a mobile number, or JsmsError 50004 (absent) / 50006 (not a mobile).

    SDKs send numbers as JSON strings or numbers (PHP batches); both are accepted.
    """
    if value is None or value == "":
        raise JsmsError(50004)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise JsmsError(50006)
    text = str(value).strip()
    if not text:
        raise JsmsError(50004)
    if len(text) > 20:
        raise JsmsError(50006)
    try:
        number = phonenumbers.parse(text, "CN")
    except NumberParseException:
        raise JsmsError(50006) from None
    if not phonenumbers.is_valid_number(number):
        raise JsmsError(50006)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise JsmsError(50006)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_mobile(e164: str) -> str:
    """How JSMS shows a number: 11 national digits for mainland China, E.164 otherwise."""
    return e164[3:] if e164.startswith("+86") else e164


def mask_mobile(e164: str) -> str:
    """A number safe for logs: country code and last four digits only."""
    return e164[:3] + "*" * max(len(e164) - 7, 0) + e164[-4:]
