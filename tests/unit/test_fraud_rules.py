"""Each pumping-defence rule's decision on small fixed inputs (no database, no clock)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from smsgate.fraud.conversion import Conversion, bucket_of, collapsed, settled_window
from smsgate.fraud.destination import (
    BLOCKED_PREFIX,
    COUNTRY,
    HIGH_RISK,
    destination_refusal,
)
from smsgate.fraud.high_risk import high_risk_ranges
from smsgate.fraud.numbers import destination
from smsgate.fraud.policy import FraudPolicy, parse_country_caps, policy_changes
from smsgate.fraud.prefixes import InvalidList, parse_prefixes, parse_regions
from smsgate.fraud.range_rules import ranges_read
from smsgate.fraud.velocity import looks_sequential, over_rules
from smsgate.fraud.windows import window_end, window_start
from smsgate.limits.rules import RateRule

SATELLITE = "+881612345678"
HIGH_RISK_RANGES = high_risk_ranges(None)


def policy(**kwargs: object) -> FraudPolicy:
    values: dict[str, object] = {"mode": "enforce", "allowed_countries": ("CN",), **kwargs}
    return FraudPolicy(**values)  # type: ignore[arg-type]


def test_a_number_splits_into_country_national_digits_and_range() -> None:
    mainland = destination("+8613800138000", 7)
    assert (mainland.country_code, mainland.region, mainland.national) == (86, "CN", 13800138000)
    assert mainland.number_range == "+861380013"
    satellite = destination(SATELLITE, 4)
    assert (satellite.region, satellite.number_range) == ("001", "+8816123")


@pytest.mark.parametrize(
    ("number", "chosen", "rule"),
    [
        ("+8613800138000", {}, None),
        ("+85291234567", {}, COUNTRY),
        ("+85291234567", {"allowed_countries": ("CN", "HK")}, None),
        (SATELLITE, {}, HIGH_RISK),
        # Allowing non-geographic numbers as a "country" does not lift the high-risk list...
        (SATELLITE, {"allowed_countries": ("CN", "001")}, HIGH_RISK),
        # ...an allowed prefix does.
        (SATELLITE, {"allowed_prefixes": ("+8816",)}, None),
        ("+8617012345678", {"blocked_prefixes": ("+86170",)}, BLOCKED_PREFIX),
        # A blocked prefix wins over an allowed one.
        (
            "+8617012345678",
            {"blocked_prefixes": ("+86170",), "allowed_prefixes": ("+86",)},
            BLOCKED_PREFIX,
        ),
    ],
)
def test_destination_rule(number: str, chosen: dict[str, object], rule: str | None) -> None:
    assert destination_refusal(destination(number, 7), policy(**chosen), HIGH_RISK_RANGES) == rule


def test_the_shipped_list_holds_the_satellite_ranges_and_an_operator_file_adds(
    tmp_path: Path,
) -> None:
    assert {"+881", "+882", "+883"} <= set(HIGH_RISK_RANGES)
    extra = tmp_path / "ranges.txt"
    extra.write_text("# ours\n+3712 # a premium block\n")
    assert "+3712" in high_risk_ranges(extra)


def test_velocity_counts_attempts_inside_each_window() -> None:
    rules = (RateRule(3, 60),)
    now = 1_000_000
    assert not over_rules([now - 1000, now - 2000], rules, now)
    assert over_rules([now - 1000, now - 2000, now - 59_000], rules, now)
    assert not over_rules([now - 1000, now - 2000, now - 60_000], rules, now)  # one has left


def test_sequence_needs_the_threshold_of_neighbours() -> None:
    assert not looks_sequential(3, 4)
    assert looks_sequential(4, 4)


def test_conversion_collapses_only_with_enough_samples_under_the_ratio() -> None:
    assert not collapsed(Conversion(sent=5, verified=0), min_samples=8, threshold=0.2)
    assert collapsed(Conversion(sent=8, verified=1), min_samples=8, threshold=0.2)
    assert not collapsed(Conversion(sent=8, verified=2), min_samples=8, threshold=0.2)
    assert Conversion(0, 0).ratio is None


def test_the_settled_window_leaves_out_the_grace_period() -> None:
    now = 10 * 3600_000 + 30_000  # 30 s into a minute
    window = settled_window(now, window_s=600, grace_s=120, bucket_s=60)
    assert window.last + 60_000 <= now - 120_000  # the last bucket counted had ended in time
    assert window.first >= now - 600_000
    assert (window.last - window.first) // 60_000 + 1 == 7  # 10 minutes less grace and edges
    assert bucket_of(now, 60) == 10 * 3600_000


def test_cap_windows_are_clock_hours_and_local_days() -> None:
    at = int(datetime(2024, 5, 1, 17, 45, tzinfo=UTC).timestamp() * 1000)
    assert window_start("hourly", at, "Asia/Shanghai") == at - 45 * 60_000
    day = window_start("daily", at, "Asia/Shanghai")  # 01:45 on 2 May in Shanghai
    assert datetime.fromtimestamp(day / 1000, UTC) == datetime(2024, 5, 1, 16, 0, tzinfo=UTC)
    assert window_end("daily", day, "Asia/Shanghai") - day == 24 * 3600_000


def test_policy_options_are_checked() -> None:
    assert parse_regions("cn, hk") == ("CN", "HK")
    assert parse_prefixes("+8816, 88216") == ("+8816", "+88216")
    assert parse_country_caps("US=50/200,GB=-/100") == {
        "US": {"hourly": 50, "daily": 200},
        "GB": {"daily": 100},
    }
    assert policy_changes(hourly_cap="none", mode="default") == {"hourly_cap": None, "mode": None}
    for bad in ({"allowed_countries": "XX"}, {"mode": "loud"}, {"blocked_prefixes": "+1a"}):
        with pytest.raises(InvalidList):
            policy_changes(**bad)


def test_caps_a_send_counts_against() -> None:
    chosen = policy(hourly_cap=10, country_caps={"US": {"daily": 5}})
    assert chosen.caps("CN") == [("all", "hourly", 10)]
    assert chosen.caps("US") == [("all", "hourly", 10), ("US", "daily", 5)]


def test_a_number_locks_its_own_range_and_its_neighbours_across_a_border() -> None:
    inside = destination("+8613800135000", 7)
    assert ranges_read(inside, 7, 100) == ["+861380013"]
    below_border = destination("+8613800139950", 7)
    assert ranges_read(below_border, 7, 100) == ["+861380013", "+861380014"]
    above_border = destination("+8613800140050", 7)
    assert ranges_read(above_border, 7, 100) == ["+861380013", "+861380014"]
    lowest = destination("+8610000000010", 7)  # no range below the first
    assert ranges_read(lowest, 7, 100) == ["+861000000"]
