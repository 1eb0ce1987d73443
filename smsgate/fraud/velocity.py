"""Velocity rules on number ranges: too many codes to one range, or to numbers next to each
other, in a short time. Both count attempts, refused ones included, so a range under attack
stays closed for as long as the attack goes on and opens one window after it stops."""

from collections.abc import Sequence

from smsgate.limits.rules import RateRule

PREFIX_VELOCITY = "prefix velocity"
SEQUENTIAL = "sequential numbers"


def over_rules(recent_desc: Sequence[int], rules: tuple[RateRule, ...], now_ms: int) -> bool:
    """Whether one more attempt would exceed a rule, given earlier attempt times (newest
    first, at least the largest rule's count of them when there are that many)."""
    for rule in rules:
        since = now_ms - rule.window_seconds * 1000
        if sum(1 for at in recent_desc[: rule.limit] if at > since) >= rule.limit:
            return True
    return False


def looks_sequential(neighbours: int, threshold: int) -> bool:
    """Codes to `threshold` other numbers within the distance of this one already: this is a
    walk through the range, not people typing their own numbers."""
    return neighbours >= threshold
