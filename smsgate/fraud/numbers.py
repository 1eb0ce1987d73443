"""A destination number as the pumping rules see it: country, national digits and its range.

A range is the country code and the first `range_digits` national digits ("+861380013" for
13800138000): for mainland mobiles that is the carrier prefix and the HLR block, the unit
operators allocate and attackers walk through.
"""

from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True, slots=True)
class Destination:
    e164: str
    country_code: int
    region: str  # ISO 3166 region; "001" for non-geographic (satellite, international networks)
    national: int
    number_range: str


def destination(e164: str, range_digits: int) -> Destination:
    """The parts of a normalised (E.164) number."""
    if e164.startswith("+86") and len(e164) == 14:  # the common case, without a full parse
        national_text, country_code, region = e164[3:], 86, "CN"
    else:
        number = phonenumbers.parse(e164)
        national_text = phonenumbers.national_significant_number(number)
        country_code = number.country_code or 0
        region = phonenumbers.region_code_for_number(number) or "ZZ"
    return Destination(
        e164=e164,
        country_code=country_code,
        region=region,
        national=int(national_text),
        number_range=f"+{country_code}{national_text[:range_digits]}",
    )


def matches_any(e164: str, prefixes: tuple[str, ...]) -> bool:
    """Whether the number starts with one of the +prefixes."""
    return e164.startswith(prefixes) if prefixes else False
