"""The pure check on a caller's own voice code (jsms-api.md §2.2: 4-8 digits, 50038 / 50039)."""

import pytest

from smsgate.codes.service import check_voice_code
from smsgate.errors import JsmsError


@pytest.mark.parametrize("code", ["1234", "0000", "0123", "12345", "123456", "1234567", "12345678"])
def test_four_to_eight_ascii_digits_are_accepted(code: str) -> None:
    check_voice_code(code)


@pytest.mark.parametrize("code", ["1", "12", "123", "123456789", "0" * 9, "1" * 20])
def test_wrong_length_is_50038(code: str) -> None:
    with pytest.raises(JsmsError) as caught:
        check_voice_code(code)
    assert caught.value.code == 50038


@pytest.mark.parametrize(
    "code",
    [
        "12a4",
        "abcd",
        "12.4",
        "-1234",
        "+1234",
        " 1234",
        "1234 ",
        "12 34",
        "1234\n",
        "١٢٣٤",
        "１２３４",
        "१२३४",
        "①②③④",
        "¹²³⁴",
        "一二三四",
    ],
)
def test_anything_but_ascii_digits_is_50039(code: str) -> None:
    with pytest.raises(JsmsError) as caught:
        check_voice_code(code)
    assert caught.value.code == 50039
