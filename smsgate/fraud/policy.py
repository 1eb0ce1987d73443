"""An app's pumping-defence policy: its mode, where it may send, and its spend caps.

Stored per app in fraud_policies, NULL meaning "the server's default": changing a default in
the settings changes it for every app that did not choose.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from smsgate.fraud.prefixes import InvalidList, parse_prefixes, parse_regions
from smsgate.fraud.repository import PolicyRow
from smsgate.settings import Settings

MODES = ("off", "shadow", "enforce")
PERIODS = ("hourly", "daily")
# Country caps as given: {"US": {"hourly": 50, "daily": 200}}.
CountryCaps = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True, slots=True)
class FraudPolicy:
    mode: str
    allowed_countries: tuple[str, ...]
    blocked_prefixes: tuple[str, ...] = ()
    allowed_prefixes: tuple[str, ...] = ()
    hourly_cap: int | None = None
    daily_cap: int | None = None
    country_caps: CountryCaps = field(default_factory=dict)

    def caps(self, region: str) -> list[tuple[str, str, int]]:
        """(scope, period, cap) of every cap a send to `region` counts against."""
        found = [
            ("all", period, cap)
            for period, cap in (("hourly", self.hourly_cap), ("daily", self.daily_cap))
            if cap is not None
        ]
        for period, cap in self.country_caps.get(region, {}).items():
            found.append((region, period, cap))
        return found


def load_policy(row: PolicyRow | None, settings: Settings) -> FraudPolicy:
    """The app's stored choices over the server's defaults."""

    def chosen(name: str) -> Any:
        return None if row is None else getattr(row, name)

    countries = chosen("allowed_countries")
    caps = chosen("country_caps")
    return FraudPolicy(
        mode=chosen("mode") or settings.fraud_mode,
        allowed_countries=parse_regions(
            settings.fraud_allowed_countries if countries is None else countries
        ),
        blocked_prefixes=parse_prefixes(chosen("blocked_prefixes") or ""),
        allowed_prefixes=parse_prefixes(chosen("allowed_prefixes") or ""),
        hourly_cap=chosen("hourly_cap"),
        daily_cap=chosen("daily_cap"),
        country_caps=orjson.loads(caps) if caps else {},
    )


def policy_changes(
    *,
    mode: str | None = None,
    allowed_countries: str | None = None,
    blocked_prefixes: str | None = None,
    allowed_prefixes: str | None = None,
    hourly_cap: str | None = None,
    daily_cap: str | None = None,
    country_caps: str | None = None,
) -> dict[str, object]:
    """Stored values for the options given, validated (InvalidList); "default" goes back to
    the server's setting, "none" removes a cap."""
    changes: dict[str, object] = {}
    if mode is not None:
        if mode not in (*MODES, "default"):
            raise InvalidList(f"mode {mode!r} is not one of {', '.join(MODES)}")
        changes["mode"] = None if mode == "default" else mode
    if allowed_countries is not None:
        default = allowed_countries == "default"
        changes["allowed_countries"] = (
            None if default else ",".join(parse_regions(allowed_countries))
        )
    for name, text in (
        ("blocked_prefixes", blocked_prefixes),
        ("allowed_prefixes", allowed_prefixes),
    ):
        if text is not None:
            changes[name] = ",".join(parse_prefixes(text)) or None
    for name, text in (("hourly_cap", hourly_cap), ("daily_cap", daily_cap)):
        if text is not None:
            changes[name] = parse_cap(text)
    if country_caps is not None:
        parsed = parse_country_caps(country_caps)
        changes["country_caps"] = orjson.dumps(parsed).decode() if parsed else None
    return changes


def parse_cap(text: str) -> int | None:
    """A cap in units, or "none"."""
    value = text.strip().lower()
    if value in ("none", ""):
        return None
    if not value.isdigit():
        raise InvalidList(f"cap {text!r} is not a number of units (or none)")
    return int(value)


def parse_country_caps(text: str) -> dict[str, dict[str, int]]:
    """ "US=50/200,GB=-/100": hourly/daily units per country, "-" for no cap; "none" for none."""
    if text.strip().lower() in ("none", ""):
        return {}
    caps: dict[str, dict[str, int]] = {}
    for part in text.split(","):
        region_text, sep, amounts = part.partition("=")
        hourly, slash, daily = amounts.partition("/")
        if not sep or not slash:
            raise InvalidList(f"country cap {part.strip()!r} is not CC=HOURLY/DAILY")
        regions = parse_regions(region_text)
        if len(regions) != 1:
            raise InvalidList(f"country cap {part.strip()!r} names no single country")
        region = regions[0]
        chosen = {
            period: cap
            for period, amount in (("hourly", hourly), ("daily", daily))
            if (cap := parse_cap("none" if amount.strip() == "-" else amount)) is not None
        }
        if chosen:
            caps[region] = chosen
    return caps


def describe(policy: FraudPolicy) -> dict[str, object]:
    """The policy as `smsgate app update` and `smsgate fraud status` print it."""
    return {
        "fraud_mode": policy.mode,
        "allowed_countries": ",".join(policy.allowed_countries),
        "blocked_prefixes": ",".join(policy.blocked_prefixes),
        "allowed_prefixes": ",".join(policy.allowed_prefixes),
        "hourly_cap": policy.hourly_cap,
        "daily_cap": policy.daily_cap,
        "country_caps": dict(policy.country_caps),
    }
