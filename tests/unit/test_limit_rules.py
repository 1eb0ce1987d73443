"""Frequency rules written "N/W" (at most N sends per W seconds), comma-separated."""

import pytest

from smsgate.limits.rules import RateRule, parse_rules


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("1/60", ((1, 60),)),
        ("1/60,5/3600", ((1, 60), (5, 3600))),
        ("1/60,5/3600,10/86400", ((1, 60), (5, 3600), (10, 86400))),
        (" 1 / 60 , 5/3600 ", ((1, 60), (5, 3600))),
        ("1/60,", ((1, 60),)),
        (",1/60", ((1, 60),)),
        ("1/60,,5/3600", ((1, 60), (5, 3600))),
        ("200/86400", ((200, 86400),)),
        ("3/600", ((3, 600),)),
    ],
)
def test_parse(text: str, rules: tuple[tuple[int, int], ...]) -> None:
    parsed = parse_rules(text)
    assert parsed == rules
    assert all(isinstance(rule, RateRule) for rule in parsed)
    assert [(rule.limit, rule.window_seconds) for rule in parsed] == list(rules)


@pytest.mark.parametrize("text", ["", " ", ",", " , "])
def test_empty_means_no_rules(text: str) -> None:
    assert parse_rules(text) == ()


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "60",
        "1/",
        "/60",
        "/",
        "a/60",
        "1/b",
        "1/60s",
        "1.5/60",
        "1/60.0",
        "-1/60",
        "1/-60",
        "0/60",
        "1/0",
        "1/60/2",
        "1:60",
        "1/60;5/3600",
        "1/60,oops",
        "1/60,5/0",
    ],
)
def test_bad_input_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rules(text)


def test_rule_prints_back_in_its_own_syntax() -> None:
    rules = parse_rules("1/60, 5/3600")
    assert ",".join(str(rule) for rule in rules) == "1/60,5/3600"
    assert parse_rules(",".join(str(rule) for rule in rules)) == rules
