"""Operator passwords: argon2id hashes (argon2-cffi's defaults), generated passwords."""

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_LENGTH = 10


@cache
def _decoy() -> str:
    """A hash checked against when the name is unknown, so an unknown name takes as long to
    refuse as a wrong password. Made at the first such sign-in, not at import: each argon2id
    hash takes 64 MiB for a moment, which a server that never sees a sign-in need not pay."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(password: str, stored_hash: str | None) -> bool:
    """Constant work whether or not the operator exists."""
    try:
        return _HASHER.verify(stored_hash or _decoy(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """A generated password: 128 bits, URL-safe, easy to paste."""
    return secrets.token_urlsafe(16)
