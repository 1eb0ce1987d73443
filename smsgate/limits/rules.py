"""Frequency rules: "at most N sends per W seconds", written "N/W" and comma-separated."""

from typing import NamedTuple


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
        if not sep or not count.strip().isdigit() or not window.strip().isdigit():
            raise ValueError(f"rate rule {part!r} is not COUNT/SECONDS")
        rule = RateRule(int(count), int(window))
        if rule.limit < 1 or rule.window_seconds < 1:
            raise ValueError(f"rate rule {part!r} needs a positive count and window")
        rules.append(rule)
    return tuple(rules)
