"""Operator passwords: argon2id hashes (argon2-cffi's defaults), generated passwords."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# A hash made once, checked against when the name is unknown, so an unknown name takes as long
# to refuse as a wrong password.
_DECOY = _HASHER.hash(secrets.token_urlsafe(16))
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(password: str, stored_hash: str | None) -> bool:
    """Constant work whether or not the operator exists."""
    try:
        return _HASHER.verify(stored_hash or _DECOY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """A generated password: 128 bits, URL-safe, easy to paste."""
    return secrets.token_urlsafe(16)
