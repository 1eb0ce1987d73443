"""The rules on number ranges, for codes (text and voice): prefix velocity, sequential numbers,
then conversion per range and per country. Run inside the send's transaction under locks that
make concurrent sends see each other's attempts: the ranges the number's rules read (its own, and
its neighbour's when a sequential neighbour may lie across the border), and the country only when
its throttle is counted. A lock per app and country instead would run every code of an app to one
country one after another on PostgreSQL."""

from functools import lru_cache

from sqlalchemy import Connection

from smsgate.fraud import repository
from smsgate.fraud.conversion import (
    COUNTRY_CONVERSION,
    RANGE_CONVERSION,
    Conversion,
    collapsed,
    settled_window,
)
from smsgate.fraud.numbers import Destination
from smsgate.fraud.velocity import PREFIX_VELOCITY, SEQUENTIAL, looks_sequential, over_rules
from smsgate.limits.rules import RateRule, parse_rules
from smsgate.settings import Settings


@lru_cache(maxsize=16)
def rules_of(text: str) -> tuple[RateRule, ...]:
    return parse_rules(text)


def scopes(dest_country_code: int, number_range: str) -> tuple[str, str]:
    """The conversion scopes a code counts in: its country and its range."""
    return f"country:{dest_country_code}", f"range:{number_range}"


def range_refusal(
    settings: Settings, conn: Connection, app_id: int, dest: Destination, now: int
) -> str | None:
    """The first range rule that refuses this code, or None."""
    ranges = ranges_read(dest, settings.fraud_range_digits, settings.fraud_sequence_distance)
    repository.lock_all(conn, [f"fraud:{app_id}:{number_range}" for number_range in ranges])
    velocity = rules_of(settings.fraud_range_limits)
    if velocity:
        since = now - max(rule.window_seconds for rule in velocity) * 1000
        most = max(rule.limit for rule in velocity)
        recent = repository.range_attempts(conn, app_id, dest.number_range, since, most)
        if over_rules(recent, velocity, now):
            return PREFIX_VELOCITY
    since = now - settings.fraud_sequence_seconds * 1000
    distance = settings.fraud_sequence_distance
    near = repository.neighbours(conn, app_id, dest.country_code, dest.national, distance, since)
    if looks_sequential(near, settings.fraud_sequence_neighbours):
        return SEQUENTIAL
    return conversion_refusal(settings, conn, app_id, dest, now)


def ranges_read(dest: Destination, range_digits: int, distance: int) -> list[str]:
    """The ranges of the numbers within `distance` of this one (one, or two at a border), in
    ascending order: every send takes their locks in the same order, so none waits on another
    that waits on it."""
    width = len(str(dest.national))  # numbers of another length are in no range of this one's
    ends = (dest.national - distance, dest.national + distance)
    prefixes = {str(n)[:range_digits] for n in ends if len(str(n)) == width}
    return sorted(f"+{dest.country_code}{prefix}" for prefix in prefixes | {_own(dest)})


def _own(dest: Destination) -> str:
    return dest.number_range.removeprefix(f"+{dest.country_code}")


def conversion_refusal(
    settings: Settings, conn: Connection, app_id: int, dest: Destination, now: int
) -> str | None:
    """Refuses only beyond the trickle a throttled range or country still gets."""
    window = settled_window(
        now,
        settings.fraud_conversion_seconds,
        settings.fraud_conversion_grace_seconds,
        settings.fraud_conversion_bucket_seconds,
    )
    country_scope, range_scope = scopes(dest.country_code, dest.number_range)
    checks = (
        (range_scope, RANGE_CONVERSION, settings.fraud_conversion_samples_range),
        (country_scope, COUNTRY_CONVERSION, settings.fraud_conversion_samples_country),
    )
    for scope, rule, samples in checks:
        sent, verified = repository.conversion(conn, app_id, scope, window.first, window.last)
        if not collapsed(Conversion(sent, verified), samples, settings.fraud_conversion_ratio):
            continue
        if rule == RANGE_CONVERSION:
            throttle = rules_of(settings.fraud_throttled_range_limits)
        else:
            throttle = rules_of(settings.fraud_throttled_country_limits)
        if _over_throttle(conn, app_id, dest, rule, throttle, now):
            return rule
    return None


def _over_throttle(
    conn: Connection,
    app_id: int,
    dest: Destination,
    rule: str,
    throttle: tuple[RateRule, ...],
    now: int,
) -> bool:
    if not throttle:
        return True  # throttled to nothing
    since = now - max(r.window_seconds for r in throttle) * 1000
    most = max(r.limit for r in throttle)
    if rule == RANGE_CONVERSION:
        accepted = repository.accepted_in_range(conn, app_id, dest.number_range, since, most)
    else:  # after the range locks, as every send takes them
        repository.lock(conn, f"fraud:{app_id}:country:{dest.country_code}")
        accepted = repository.accepted_in_country(conn, app_id, dest.country_code, since, most)
    return over_rules(accepted, throttle, now)
