"""Frequency rules: "at most N sends per W seconds", written "N/W" and comma-separated; and
whether one more send fits them, given the times of the newest sends."""

from collections.abc import Sequence
from typing import NamedTuple

# Bounds that keep every rule's numbers inside what SQL and Redis take: a window of at most a
# year (events are kept that long), a count of at most a million per window.
MAX_WINDOW_SECONDS = 366 * 24 * 3600
MAX_COUNT = 1_000_000


class RateRule(NamedTuple):
    limit: int
    window_seconds: int

    def __str__(self) -> str:
        return f"{self.limit}/{self.window_seconds}"


def parse_rules(text: str) -> tuple[RateRule, ...]:
    """Parse "1/60,5/3600" into rules; an empty text means no limit."""
    rules = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        count, sep, window = part.partition("/")
        count, window = count.strip(), window.strip()
        if not sep or not _is_number(count) or not _is_number(window):
            raise ValueError(f"rate rule {part!r} is not COUNT/SECONDS")
        rule = RateRule(int(count), int(window))
        if not 1 <= rule.limit <= MAX_COUNT or not 1 <= rule.window_seconds <= MAX_WINDOW_SECONDS:
            raise ValueError(
                f"rate rule {part!r} needs a count of 1 to {MAX_COUNT} "
                f"and a window of 1 to {MAX_WINDOW_SECONDS} seconds"
            )
        rules.append(rule)
    return tuple(rules)


def within_rules(recent_desc: Sequence[int], rules: tuple[RateRule, ...], now_ms: int) -> bool:
    """Whether one more send fits, given the most recent hit times (newest first)."""
    return first_full_rule(recent_desc, rules, now_ms) is None


def first_full_rule(
    recent_desc: Sequence[int], rules: tuple[RateRule, ...], now_ms: int
) -> RateRule | None:
    """The first rule one more send would break, given the most recent hit times."""
    for rule in rules:
        since = now_ms - rule.window_seconds * 1000
        if sum(1 for at in recent_desc[: rule.limit] if at > since) >= rule.limit:
            return rule
    return None


def _is_number(text: str) -> bool:
    """ASCII digits only ("²" and other Unicode digits are not numbers here), and short enough
    to convert."""
    return text.isascii() and text.isdigit() and len(text) <= 12
