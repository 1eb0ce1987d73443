"""Verification codes: CSPRNG digits, stored only as an HMAC bound to the message
(DESIGN.md §3 "Codes are secret")."""

import hashlib
import hmac
import random
import re
from collections import Counter
from typing import Any

import pytest

from smsgate.codes import secrets as code_secrets
from smsgate.codes.secrets import code_matches, generate_code, hash_code
from tests.unit.secrets_spy import RecordingSecrets

KEY = b"server-key-one"
OTHER_KEY = b"server-key-two"


@pytest.mark.parametrize("length", [4, 5, 6, 7, 8])
def test_generated_code_has_the_length_and_only_ascii_digits(length: int) -> None:
    for _ in range(200):
        code = generate_code(length)
        assert re.fullmatch(rf"[0-9]{{{length}}}", code), code


def test_codes_keep_leading_zeros_as_text() -> None:
    codes = [generate_code(6) for _ in range(3000)]
    assert all(len(code) == 6 for code in codes)
    assert any(code.startswith("0") for code in codes)


def test_codes_are_drawn_from_the_secrets_module(monkeypatch: pytest.MonkeyPatch) -> None:
    recording = RecordingSecrets()
    monkeypatch.setattr(code_secrets, "secrets", recording)

    def predictable(*args: object, **kwargs: object) -> object:
        raise AssertionError("verification codes must not come from the random module")

    for name in ("random", "randint", "randrange", "choice", "choices", "sample", "getrandbits"):
        monkeypatch.setattr(random, name, predictable)

    assert re.fullmatch(r"[0-9]{6}", generate_code(6))
    assert recording.used, "generate_code did not use the secrets module"


def test_digits_are_uniform_in_every_position() -> None:
    n, length = 20_000, 6
    codes = [generate_code(length) for _ in range(n)]
    expected = n / 10
    for position in range(length):
        counts = Counter(code[position] for code in codes)
        assert set(counts) == set("0123456789"), (position, counts)
        # ~7 standard deviations: a fair generator never fails this, a skewed one does.
        for digit, count in counts.items():
            assert abs(count - expected) < 300, (position, digit, count)
    assert len(set(codes)) > n * 0.97


def test_hash_is_an_hmac_sha256_hex_digest_without_the_code_in_it() -> None:
    stored = hash_code(KEY, "288193860302", "012345")
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert "012345" not in stored
    assert stored != hashlib.sha256(b"288193860302012345").hexdigest()
    assert stored != hashlib.sha256(b"012345").hexdigest()


def test_hash_is_deterministic_for_the_same_inputs() -> None:
    assert hash_code(KEY, "m1", "123456") == hash_code(KEY, "m1", "123456")


@pytest.mark.parametrize(
    ("key", "msg_id", "code"),
    [
        (OTHER_KEY, "m1", "123456"),
        (KEY, "m2", "123456"),
        (KEY, "m1", "123457"),
        (KEY, "m1", "12345"),
        (KEY, "m1", "0123456"),
    ],
)
def test_each_input_changes_the_hash(key: bytes, msg_id: str, code: str) -> None:
    assert hash_code(key, msg_id, code) != hash_code(KEY, "m1", "123456")


def test_msg_id_and_code_cannot_be_shifted_into_each_other() -> None:
    assert hash_code(KEY, "12", "3456") != hash_code(KEY, "123", "456")
    assert hash_code(KEY, "1", "23456") != hash_code(KEY, "12", "3456")


def test_code_matches_its_own_message_only() -> None:
    stored = hash_code(KEY, "msg-1", "004271")
    assert code_matches(KEY, "msg-1", "004271", stored)
    assert not code_matches(KEY, "msg-2", "004271", stored)
    assert not code_matches(KEY, "msg-1", "004272", stored)
    assert not code_matches(KEY, "msg-1", "4271", stored)
    assert not code_matches(OTHER_KEY, "msg-1", "004271", stored)
    assert not code_matches(KEY, "msg-1", "004271", "")
    assert not code_matches(KEY, "msg-1", "004271", stored.upper())


def test_code_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    stored = hash_code(KEY, "msg-1", "123456")
    assert code_matches(KEY, "msg-1", "123456", stored)
    assert not code_matches(KEY, "msg-1", "654321", stored)
    assert len(calls) == 2
    assert all(stored.encode() in pair for pair in calls)
