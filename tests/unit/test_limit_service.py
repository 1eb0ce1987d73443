"""Limit keys and the marketing sending hours (DESIGN.md §4)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from smsgate.limits.service import limit_key, within_hours

SHANGHAI = ZoneInfo("Asia/Shanghai")


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def shanghai_ms(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> int:
    return ms(datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI))


# --- keys -----------------------------------------------------------------------------------------


def test_same_inputs_same_key() -> None:
    assert limit_key("code", 1, "+8613812345678") == limit_key("code", 1, "+8613812345678")
    assert limit_key("notification", 1, "+8613812345678", "您的订单已发货") == limit_key(
        "notification", 1, "+8613812345678", "您的订单已发货"
    )


@pytest.mark.parametrize(
    "other",
    [
        ("voice_code", 1, "+8613812345678", None),
        ("code", 2, "+8613812345678", None),
        ("code", 1, "+8613812345679", None),
        ("code", 1, "+8613812345678", "您的验证码是123456"),
    ],
)
def test_kind_app_number_and_content_each_change_the_key(
    other: tuple[str, int, str, str | None],
) -> None:
    assert limit_key(*other) != limit_key("code", 1, "+8613812345678")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("您的订单已发货", "您的订单已签收"),
        ("a", "b"),
        ("text", "text "),
        ("", "x"),
    ],
)
def test_notification_key_differs_per_content(first: str, second: str) -> None:
    number = "+8613812345678"
    assert limit_key("notification", 7, number, first) != limit_key(
        "notification", 7, number, second
    )


def test_key_does_not_carry_the_message_text() -> None:
    text = "尊敬的张三，您的验证码是 482913"
    key = limit_key("notification", 7, "+8613812345678", text)
    assert text not in key
    assert "482913" not in key
    assert len(key) < 100
    assert len(limit_key("notification", 7, "+8613812345678", "x" * 5000)) < 100


def test_keys_of_different_apps_cannot_collide_by_concatenation() -> None:
    assert limit_key("code", 1, "1+8613812345678") != limit_key("code", 11, "+8613812345678")


# --- marketing hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (shanghai_ms(2024, 6, 1, 7, 59, 59), False),
        (shanghai_ms(2024, 6, 1, 8, 0, 0), True),
        (shanghai_ms(2024, 6, 1, 8, 0, 1), True),
        (shanghai_ms(2024, 6, 1, 12, 0), True),
        (shanghai_ms(2024, 6, 1, 20, 59, 59), True),
        (shanghai_ms(2024, 6, 1, 21, 0, 0), False),
        (shanghai_ms(2024, 6, 1, 23, 30, 0), False),
        (shanghai_ms(2024, 6, 1, 0, 0, 0), False),
        (shanghai_ms(2024, 6, 1, 3, 0, 0), False),
    ],
)
def test_marketing_window_in_shanghai(moment: int, inside: bool) -> None:
    assert within_hours(moment, "08:00-21:00", "Asia/Shanghai") is inside


@pytest.mark.parametrize(
    ("utc", "inside"),
    [
        (datetime(2024, 5, 31, 23, 59, 59, tzinfo=UTC), False),  # 07:59:59 in Shanghai
        (datetime(2024, 6, 1, 0, 0, 0, tzinfo=UTC), True),  # 08:00 in Shanghai
        (datetime(2024, 6, 1, 12, 59, 59, tzinfo=UTC), True),  # 20:59:59 in Shanghai
        (datetime(2024, 6, 1, 13, 0, 0, tzinfo=UTC), False),  # 21:00 in Shanghai
        (datetime(2024, 6, 1, 9, 0, 0, tzinfo=UTC), True),  # 17:00 in Shanghai
        (datetime(2024, 6, 1, 20, 0, 0, tzinfo=UTC), False),  # 04:00 next day in Shanghai
        (datetime(2024, 6, 1, 15, 0, 0, tzinfo=UTC), False),  # 23:00 in Shanghai
    ],
)
def test_window_converts_from_utc(utc: datetime, inside: bool) -> None:
    assert within_hours(ms(utc), "08:00-21:00", "Asia/Shanghai") is inside


@pytest.mark.parametrize(
    ("utc", "inside"),
    [
        (datetime(2024, 7, 1, 7, 30, tzinfo=UTC), True),  # 08:30 BST
        (datetime(2024, 1, 15, 7, 30, tzinfo=UTC), False),  # 07:30 GMT
        (datetime(2024, 7, 1, 19, 30, tzinfo=UTC), True),  # 20:30 BST
        (datetime(2024, 7, 1, 20, 30, tzinfo=UTC), False),  # 21:30 BST
    ],
)
def test_window_follows_daylight_saving(utc: datetime, inside: bool) -> None:
    assert within_hours(ms(utc), "08:00-21:00", "Europe/London") is inside


def test_window_with_spaces_and_other_hours() -> None:
    assert within_hours(shanghai_ms(2024, 6, 1, 9, 30), " 09:30 - 10:00 ", "Asia/Shanghai")
    assert not within_hours(shanghai_ms(2024, 6, 1, 9, 29), "09:30-10:00", "Asia/Shanghai")
    assert not within_hours(shanghai_ms(2024, 6, 1, 10, 0), "09:30-10:00", "Asia/Shanghai")
