"""Does one more send fit the rules, given the times of the newest sends first?"""

import pytest

from smsgate.limits.rules import RateRule, parse_rules, within_rules

NOW = 1_700_000_000_000
SECOND = 1000
ONE_PER_MINUTE = (RateRule(1, 60),)
DEFAULT_CODE_RULES = parse_rules("1/60,5/3600,10/86400")


def test_no_history_fits() -> None:
    assert within_rules([], ONE_PER_MINUTE, NOW)
    assert within_rules([], DEFAULT_CODE_RULES, NOW)


@pytest.mark.parametrize("history", [[], [NOW], [NOW - 1], [NOW - 10 * SECOND] * 100])
def test_no_rules_always_fits(history: list[int]) -> None:
    assert within_rules(history, (), NOW)


@pytest.mark.parametrize(
    ("last_hit", "fits"),
    [
        (NOW, False),
        (NOW - 1, False),
        (NOW - 59 * SECOND, False),
        (NOW - 60 * SECOND + 1, False),
        (NOW - 60 * SECOND, True),
        (NOW - 60 * SECOND - 1, True),
        (NOW - 3600 * SECOND, True),
    ],
)
def test_window_edge(last_hit: int, fits: bool) -> None:
    """A hit exactly one window ago has left the window: 1/60 allows t, then t + 60 s."""
    assert within_rules([last_hit], ONE_PER_MINUTE, NOW) is fits


@pytest.mark.parametrize(
    ("history", "fits"),
    [
        ([NOW - 1, NOW - 2], True),
        ([NOW - 1, NOW - 2, NOW - 3], False),
        ([NOW - 1, NOW - 2, NOW - 600 * SECOND], True),
        ([NOW - 1, NOW - 2, NOW - 600 * SECOND + 1], False),
        ([NOW - 100 * SECOND, NOW - 200 * SECOND, NOW - 300 * SECOND], False),
        ([NOW - 100 * SECOND, NOW - 200 * SECOND, NOW - 700 * SECOND], True),
    ],
)
def test_counts_up_to_the_limit(history: list[int], fits: bool) -> None:
    assert within_rules(history, (RateRule(3, 600),), NOW) is fits


def minutes_ago(*minutes: float) -> list[int]:
    return [NOW - int(m * 60 * SECOND) for m in minutes]


@pytest.mark.parametrize(
    ("history", "fits", "why"),
    [
        (minutes_ago(), True, "nothing sent"),
        (minutes_ago(0.5), False, "1/60 s"),
        (minutes_ago(1.5), True, "one a minute and a half ago"),
        (minutes_ago(2, 4, 6, 8), True, "four in the hour"),
        (minutes_ago(2, 4, 6, 8, 10), False, "5/h full"),
        (minutes_ago(2, 4, 6, 8, 61), True, "the fifth left the hour"),
        (minutes_ago(2, 4, 6, 8, 60), True, "the fifth exactly one hour ago"),
        (minutes_ago(*range(70, 700, 70)), True, "nine in the day"),
        (minutes_ago(*range(70, 771, 70)), False, "10/24 h full"),
        (minutes_ago(*range(70, 771, 70)[:9], 24 * 60), True, "tenth exactly a day ago"),
        (minutes_ago(0.9, *range(70, 700, 70)), False, "last minute and day both matter"),
    ],
)
def test_several_rules_at_once(history: list[int], fits: bool, why: str) -> None:
    assert within_rules(history, DEFAULT_CODE_RULES, NOW) is fits, why


def test_rule_order_does_not_matter() -> None:
    history = minutes_ago(2, 4, 6, 8, 10)
    reordered = tuple(reversed(DEFAULT_CODE_RULES))
    assert within_rules(history, DEFAULT_CODE_RULES, NOW) is False
    assert within_rules(history, reordered, NOW) is False
