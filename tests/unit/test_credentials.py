"""App credentials: 24 characters of [a-z0-9]; master secrets stored salted and hashed
(jsms-api.md §1.2, DESIGN.md §3)."""

import re
from collections import Counter
from typing import Any

import pytest

from smsgate.apps import credentials
from smsgate.apps.credentials import hash_secret, new_credential, secret_matches
from tests.unit.secrets_spy import RecordingSecrets

JAVA_SDK_SHAPE = re.compile(r"[A-Za-z0-9]{24}")


def test_credential_shape() -> None:
    for _ in range(500):
        value = new_credential()
        assert re.fullmatch(r"[a-z0-9]{24}", value), value
        assert JAVA_SDK_SHAPE.fullmatch(value)


def test_credentials_are_unique_and_use_the_whole_alphabet() -> None:
    values = [new_credential() for _ in range(2000)]
    assert len(set(values)) == len(values)
    counts = Counter("".join(values))
    assert set(counts) == set("abcdefghijklmnopqrstuvwxyz0123456789")
    expected = 2000 * 24 / 36
    assert all(abs(count - expected) < 300 for count in counts.values()), counts


def test_credentials_and_salts_come_from_the_secrets_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recording = RecordingSecrets()
    monkeypatch.setattr(credentials, "secrets", recording)
    new_credential()
    assert recording.used
    recording.used.clear()
    hash_secret("cfb11ca45888cdd6388483f5")
    assert recording.used


@pytest.mark.parametrize("secret", ["cfb11ca45888cdd6388483f5", "4258ba884dbbceefe3cdb737", "é:ü"])
def test_hash_matches_its_secret(secret: str) -> None:
    stored = hash_secret(secret)
    assert secret not in stored
    assert secret_matches(secret, stored)


def test_hash_is_salted() -> None:
    secret = "281399a95fa3be40645f0558"
    first, second = hash_secret(secret), hash_secret(secret)
    assert first != second
    assert secret_matches(secret, first)
    assert secret_matches(secret, second)


@pytest.mark.parametrize(
    "presented",
    [
        "cfb11ca45888cdd6388483f6",
        "CFB11CA45888CDD6388483F5",
        "cfb11ca45888cdd6388483f",
        "cfb11ca45888cdd6388483f5 ",
        "",
    ],
)
def test_wrong_secret_does_not_match(presented: str) -> None:
    assert not secret_matches(presented, hash_secret("cfb11ca45888cdd6388483f5"))


def test_stored_hash_of_another_secret_does_not_match() -> None:
    assert not secret_matches("a" * 24, hash_secret("b" * 24))


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "cfb11ca45888cdd6388483f5",
        "sha256",
        "sha256$",
        "sha256$salt",
        "sha256$salt$",
        "sha256$$abc",
        "md5$salt$abc",
        "$salt$abc",
        "sha256$salt$not-a-digest",
    ],
)
def test_malformed_stored_value_is_false(stored: str) -> None:
    assert secret_matches("cfb11ca45888cdd6388483f5", stored) is False


@pytest.mark.parametrize("stored", ["sha256$salt$é", "sha256$salt$摘要"])
def test_malformed_non_ascii_stored_value_is_false(stored: str) -> None:
    assert secret_matches("cfb11ca45888cdd6388483f5", stored) is False


def test_a_tampered_digest_does_not_match() -> None:
    stored = hash_secret("cfb11ca45888cdd6388483f5")
    flipped = stored[:-1] + ("0" if stored[-1] != "0" else "1")
    assert not secret_matches("cfb11ca45888cdd6388483f5", flipped)


def test_secret_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = credentials.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(credentials.hmac, "compare_digest", spy)
    stored = hash_secret("cfb11ca45888cdd6388483f5")
    assert secret_matches("cfb11ca45888cdd6388483f5", stored)
    assert not secret_matches("wrong", stored)
    assert len(calls) == 2
