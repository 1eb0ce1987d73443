"""Lenient field reading, as the official SDKs really send values (jsms-api.md §1.3, §7 A17)."""

import pytest

from smsgate.errors import JsmsError
from smsgate.lenient import (
    NO_ROW,
    JsonNumber,
    optional_int,
    optional_text,
    required_int,
    row_id,
    string_map,
)

INVALID = 50007


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (12, 12),
        (12.0, 12),
        (0, 0),
        ("0", 0),
        (" 12 ", 12),
        ("007", 7),
        ("-5", -5),
        (-5, -5),
        (5118, 5118),
        ("37582", 37582),
        ("", None),
        (None, None),
    ],
)
def test_optional_int_accepts_numbers_and_numeric_strings(
    value: object, expected: int | None
) -> None:
    result = optional_int({"k": value}, "k", INVALID)
    assert result == expected
    assert result is None or type(result) is int


def test_optional_int_absent_key_is_none() -> None:
    assert optional_int({}, "k", INVALID) is None


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        "1.5",
        1.5,
        "12.0",
        "１２",
        "١٢",
        "²",
        "1_000",
        "1e3",
        "0x10",
        "+5",
        "-",
        "abc",
        "12abc",
        "1 2",
        float("nan"),
        float("inf"),
        [12],
        {"v": 12},
    ],
)
@pytest.mark.parametrize("error", [50005, 50007, 50041])
def test_optional_int_rejects_with_the_given_code(value: object, error: int) -> None:
    with pytest.raises(JsmsError) as caught:
        optional_int({"k": value}, "k", error)
    assert caught.value.code == error


@pytest.mark.parametrize("value", ["--5", "---12", "--0"])
def test_optional_int_rejects_repeated_signs_with_the_given_code(value: str) -> None:
    with pytest.raises(JsmsError) as caught:
        optional_int({"k": value}, "k", INVALID)
    assert caught.value.code == INVALID


@pytest.mark.parametrize("value", [None, ""])
def test_required_int_missing_code(value: object) -> None:
    with pytest.raises(JsmsError) as caught:
        required_int({"temp_id": value}, "temp_id", 50005, 50013)
    assert caught.value.code == 50005
    with pytest.raises(JsmsError) as caught:
        required_int({}, "temp_id", 50005, 50013)
    assert caught.value.code == 50005


def test_required_int_invalid_code_and_value() -> None:
    with pytest.raises(JsmsError) as caught:
        required_int({"temp_id": "x"}, "temp_id", 50005, 50013)
    assert caught.value.code == 50013
    assert required_int({"temp_id": "5118"}, "temp_id", 50005, 50013) == 5118


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123456", "123456"),
        ("0042", "0042"),
        (123456, "123456"),
        (42, "42"),
        (" 1234 ", "1234"),
        ("TD", "TD"),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_optional_text(value: object, expected: str | None) -> None:
    assert optional_text({"code": value}, "code", 50015) == expected


def test_optional_text_absent_key_is_none() -> None:
    assert optional_text({}, "code", 50015) is None


@pytest.mark.parametrize("value", [True, False, 12.5, [], ["1"], {"a": "b"}])
def test_optional_text_rejects_non_scalars_with_the_given_code(value: object) -> None:
    with pytest.raises(JsmsError) as caught:
        optional_text({"code": value}, "code", 50039)
    assert caught.value.code == 50039


@pytest.mark.parametrize("value", [None, [], {}])
def test_string_map_empty_forms(value: object) -> None:
    assert string_map(value) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"code": "123456"}, {"code": "123456"}),
        ({"name": "张三", "order": "A-1"}, {"name": "张三", "order": "A-1"}),
        ({"code": None}, {"code": None}),
        ({"name": "x", "other": None}, {"name": "x", "other": None}),
        ({"code": 123456}, {"code": "123456"}),
        ({"amount": 12.5}, {"amount": "12.5"}),
        ({"n": 0}, {"n": "0"}),
        ({"s": ""}, {"s": ""}),
    ],
)
def test_string_map_keeps_nulls_and_stringifies_numbers(
    value: dict[str, object], expected: dict[str, str | None]
) -> None:
    assert string_map(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"a": {"b": "c"}},
        {"a": ["x"]},
        {"a": []},
        {"a": {}},
        {"ok": "1", "bad": {"nested": True}},
        ["x"],
        [{"a": "b"}],
        "code=1",
        12,
        True,
    ],
)
def test_string_map_rejects_nested_and_non_objects_with_50007(value: object) -> None:
    with pytest.raises(JsmsError) as caught:
        string_map(value)
    assert caught.value.code == 50007


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("0042", 42),
        (2**31 - 1, 2**31 - 1),
        (2**31, NO_ROW),
        (0, NO_ROW),
        (-1, NO_ROW),
        (2**64, NO_ROW),
        ("9" * 5000, NO_ROW),
        ("-" + "9" * 5000, NO_ROW),
        ("0" * 5000 + "7", 7),
        (1e30, NO_ROW),
        (JsonNumber("9" * 5000), NO_ROW),
        (JsonNumber("12.0"), 12),
    ],
)
def test_row_id_maps_what_no_row_can_have_to_no_row(value: object, expected: int) -> None:
    assert row_id(value, 50013) == expected


@pytest.mark.parametrize("value", ["abc", 1.5, True, [], {}, "1e3", float("inf")])
def test_row_id_refuses_what_is_no_integer(value: object) -> None:
    with pytest.raises(JsmsError) as caught:
        row_id(value, 50102)
    assert caught.value.code == 50102


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, "9" * 5000, "9" * 20, 1e19])
def test_optional_int_refuses_what_64_bits_cannot_hold(value: object) -> None:
    with pytest.raises(JsmsError) as caught:
        optional_int({"k": value}, "k", 50041)
    assert caught.value.code == 50041


def test_json_numbers_keep_their_literal() -> None:
    number = JsonNumber("1.10")
    assert str(number) == "1.10" and number == 1.1
    assert string_map({"a": number, "b": JsonNumber("-0")}) == {"a": "1.10", "b": "-0"}
