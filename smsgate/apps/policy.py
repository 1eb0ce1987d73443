"""Per-app policy: frequency limits that differ from the server-wide defaults.

An app stores only what it overrides, as JSON ({"code_limits": "1/60,5/3600", ...}); everything
else follows the settings, so changing a default changes it for every app that did not choose.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson

from smsgate.limits.rules import RateRule, parse_rules

# The message kind each policy key limits.
LIMIT_KEYS = {
    "code_limits": "code",
    "voice_code_limits": "voice_code",
    "notification_limits": "notification",
    "marketing_limits": "marketing",
}


@dataclass(frozen=True, slots=True)
class AppPolicy:
    overrides: Mapping[str, tuple[RateRule, ...]] = field(default_factory=dict)  # kind -> rules

    def rate_rules(
        self, kind: str, defaults: Mapping[str, tuple[RateRule, ...]]
    ) -> tuple[RateRule, ...]:
        return self.overrides.get(kind, defaults[kind])


DEFAULT_POLICY = AppPolicy()


class InvalidPolicy(ValueError):
    """An unknown policy key or a malformed rule."""


def longest_window(stored: str | None) -> int:
    """The longest window, in seconds, among the rules a stored policy sets (0 for none)."""
    windows = [
        rule.window_seconds for rules in load_policy(stored).overrides.values() for rule in rules
    ]
    return max(windows, default=0)


def load_policy(stored: str | None) -> AppPolicy:
    if not stored:
        return DEFAULT_POLICY
    limits: dict[str, str] = orjson.loads(stored)
    return AppPolicy({LIMIT_KEYS[key]: parse_rules(text) for key, text in limits.items()})


def merge_policy(stored: str | None, changes: Mapping[str, str | None]) -> str | None:
    """The stored JSON after `changes`: a rule text sets a key ("" means no limit), None removes
    the override. Raises InvalidPolicy for an unknown key or a malformed rule."""
    limits: dict[str, str] = orjson.loads(stored) if stored else {}
    for key, text in changes.items():
        if key not in LIMIT_KEYS:
            raise InvalidPolicy(f"unknown policy key {key!r}")
        if text is None:
            limits.pop(key, None)
            continue
        try:
            parse_rules(text)
        except ValueError as error:
            raise InvalidPolicy(str(error)) from None
        limits[key] = text
    return orjson.dumps(limits).decode() if limits else None
