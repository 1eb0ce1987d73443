"""Mobile numbers: validation to E.164, display as JSMS shows them, masking for logs."""

import pytest

from smsgate.errors import JsmsError
from smsgate.mobiles import display_mobile, mask_mobile, normalise_mobile


def error_code(value: object) -> int | None:
    try:
        normalise_mobile(value)
    except JsmsError as error:
        return error.code
    return None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "+8613812345678"),
        ("15012345678", "+8615012345678"),
        ("18612345577", "+8618612345577"),
        ("19912345678", "+8619912345678"),
        ("+8613812345678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        (" 13812345678 ", "+8613812345678"),
        ("\t13812345678\n", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        (13812345678, "+8613812345678"),
        (8613812345678, "+8613812345678"),
    ],
)
def test_mainland_mobiles_normalise_to_e164(value: object, expected: str) -> None:
    assert normalise_mobile(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+447911123456", "+447911123456"),
        ("+44 7911 123456", "+447911123456"),
        ("+14155552671", "+14155552671"),
        ("+85251234567", "+85251234567"),
        ("+819012345678", "+819012345678"),
    ],
)
def test_foreign_mobiles_in_international_form_are_accepted(value: str, expected: str) -> None:
    assert normalise_mobile(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_absent_mobile_is_50004(value: object) -> None:
    assert error_code(value) == 50004


@pytest.mark.parametrize(
    "value",
    [
        "01012345678",
        "+861012345678",
        "02112345678",
        "075512345678",
        "12345678901",
        "1381234567",
        "138123456789",
        "+861381234567",
        "1381234567a",
        "hello",
        "+",
        "+44 20 7946 0958",
        "1" * 30,
        "1" * 21,
        0,
        123,
        True,
        False,
        13812345678.0,
        ["13812345678"],
        {"mobile": "13812345678"},
        b"13812345678",
    ],
)
def test_not_a_mobile_is_50006(value: object) -> None:
    assert error_code(value) == 50006


@pytest.mark.parametrize(
    "value",
    [
        "138ABCD5678",
        "abc13812345678",
        "#13812345678",
        "13812345678 ext. 123",
        "13812345678x9",
        -13812345678,
    ],
)
def test_letters_signs_and_extensions_are_not_a_mobile(value: object) -> None:
    assert error_code(value) == 50006


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+8613812345678", "13812345678"),
        ("+447911123456", "+447911123456"),
        ("+14155552671", "+14155552671"),
        ("+85251234567", "+85251234567"),
    ],
)
def test_display_mobile(e164: str, shown: str) -> None:
    assert display_mobile(e164) == shown


@pytest.mark.parametrize("raw", ["13812345678", "+8613812345678", 13812345678])
def test_display_of_a_normalised_mainland_number_is_the_11_digits(raw: object) -> None:
    assert display_mobile(normalise_mobile(raw)) == "13812345678"


@pytest.mark.parametrize(
    ("e164", "middle"),
    [
        ("+8613812345678", "1381234"),
        ("+8618612345577", "1861234"),
        ("+447911123456", "79111"),
        ("+14155552671", "4155"),
        ("+819012345678", "90123"),
    ],
)
def test_mask_hides_the_middle_digits_and_keeps_the_last_four(e164: str, middle: str) -> None:
    masked = mask_mobile(e164)
    assert masked != e164
    assert masked.endswith(e164[-4:])
    assert middle not in masked
    assert "*" in masked[:-4]


def test_mask_of_a_mainland_number() -> None:
    assert mask_mobile("+8613812345678") == "+86*******5678"


@pytest.mark.parametrize(
    ("e164", "country"),
    [
        ("+8613812345678", "+86"),
        ("+447911123456", "+44"),
        ("+14155552671", "+1"),
        ("+79161234567", "+7"),
    ],
)
def test_mask_reveals_only_country_code_and_last_four(e164: str, country: str) -> None:
    masked = mask_mobile(e164)
    assert masked.startswith(country)
    assert masked[len(country) : -4] == "*" * (len(e164) - len(country) - 4)
    assert masked[-4:] == e164[-4:]


def test_mainland_fast_path_agrees_with_the_full_parse() -> None:
    """11-digit numbers skip phonenumbers' full parse; the answer must be the same either way."""
    import random

    import phonenumbers

    def full_parse(text: str) -> str | None:
        try:
            number = phonenumbers.parse(text, "CN")
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        if phonenumbers.number_type(number) not in {
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        }:
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def ours(text: str) -> str | None:
        try:
            return normalise_mobile(text)
        except JsmsError:
            return None

    rng = random.Random(86)
    samples = [f"1{rng.randrange(10**10):010d}" for _ in range(20_000)]
    samples += [f"+86{sample}" for sample in samples[:5_000]]
    disagreements = [s for s in samples if ours(s) != full_parse(s)]
    assert disagreements == []
    assert sum(ours(s) is not None for s in samples) > 5_000  # the sample holds many mobiles
