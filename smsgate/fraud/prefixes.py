"""Prefix and country lists as operators type them: "+8817,+88216" and "CN,HK"."""

import re

import phonenumbers

_PREFIX = re.compile(r"\+[1-9][0-9]{0,14}", re.ASCII)
NON_GEOGRAPHIC = "001"


class InvalidList(ValueError):
    """An entry that is not a +prefix or a known region."""


def parse_prefix(text: str) -> str:
    """ "+8817" as given; a number without "+" is read as international ("8817" -> "+8817")."""
    entry = text.strip()
    if not entry.startswith("+"):
        entry = "+" + entry
    if not _PREFIX.fullmatch(entry):
        raise InvalidList(f"{text.strip()!r} is not a +prefix of digits")
    return entry


def parse_prefixes(text: str) -> tuple[str, ...]:
    return tuple(sorted({parse_prefix(part) for part in text.split(",") if part.strip()}))


def parse_regions(text: str) -> tuple[str, ...]:
    """ISO 3166 regions phonenumbers knows ("cn" is read as "CN"); "001" for non-geographic."""
    regions = set()
    for part in text.split(","):
        region = part.strip().upper()
        if not region:
            continue
        if region != NON_GEOGRAPHIC and region not in phonenumbers.SUPPORTED_REGIONS:
            raise InvalidList(f"{part.strip()!r} is not a country (ISO 3166 code, e.g. CN, HK)")
        regions.add(region)
    return tuple(sorted(regions))
