"""HTTP Basic parsing (jsms-api.md §1.2, §7 A24: missing 400/50001, bad 401/50002)."""

import base64

import pytest

from smsgate.auth import parse_basic
from smsgate.errors import JsmsError

APP_KEY = "d4ee2375846bc30fa51334f5"
SECRET = "cfb11ca45888cdd6388483f5"


def basic(raw: bytes | str, scheme: str = "Basic") -> str:
    data = raw.encode() if isinstance(raw, str) else raw
    return f"{scheme} {base64.b64encode(data).decode()}"


def error_code(header: str | None) -> int | None:
    try:
        parse_basic(header)
    except JsmsError as error:
        return error.code
    return None


@pytest.mark.parametrize("scheme", ["Basic", "basic", "BASIC", "bAsIc"])
def test_scheme_is_case_insensitive(scheme: str) -> None:
    assert parse_basic(basic(f"{APP_KEY}:{SECRET}", scheme)) == (APP_KEY, SECRET)


@pytest.mark.parametrize(
    "header",
    [
        f"  {basic(f'{APP_KEY}:{SECRET}')}  ",
        "Basic  " + base64.b64encode(f"{APP_KEY}:{SECRET}".encode()).decode(),
    ],
)
def test_surrounding_spaces_are_tolerated(header: str) -> None:
    assert parse_basic(header) == (APP_KEY, SECRET)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("user:pa:ss", ("user", "pa:ss")),
        ("用户:密码", ("用户", "密码")),
        ("a:b", ("a", "b")),
    ],
)
def test_password_is_everything_after_the_first_colon(raw: str, expected: tuple[str, str]) -> None:
    assert parse_basic(basic(raw)) == expected


@pytest.mark.parametrize("header", [None, "", " ", "\t"])
def test_missing_header_is_50001(header: str | None) -> None:
    assert error_code(header) == 50001
    with pytest.raises(JsmsError) as caught:
        parse_basic(header)
    assert caught.value.http_status == 400


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic ",
        "Bearer " + base64.b64encode(f"{APP_KEY}:{SECRET}".encode()).decode(),
        "Digest username=x",
        base64.b64encode(f"{APP_KEY}:{SECRET}".encode()).decode(),
        "Basic !!!!",
        "Basic not base64",
        "Basic " + base64.urlsafe_b64encode(b"\xfb\xff:\xfe").decode(),
        basic(b"\xff\xfe:\xfd"),
        basic("no-colon-here"),
        basic(f"{APP_KEY}{SECRET}"),
        basic(f":{SECRET}"),
        basic(f"{APP_KEY}:"),
        basic(":"),
        basic(""),
        "garbage",
    ],
)
def test_malformed_header_is_50002(header: str) -> None:
    assert error_code(header) == 50002
    with pytest.raises(JsmsError) as caught:
        parse_basic(header)
    assert caught.value.http_status == 401
