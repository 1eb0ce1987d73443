"""App credentials: 24 characters of [a-z0-9] each (the shape the Java SDK insists on).

A master secret has ~124 bits of entropy, so one salted SHA-256 is a sound way to store it: there is
nothing to brute-force, and a slow KDF would only cost every API request its latency.
"""

import hashlib
import hmac
import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits
CREDENTIAL_LENGTH = 24


def new_credential() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CREDENTIAL_LENGTH))


def hash_secret(secret: str) -> str:
    salt = secrets.token_hex(16)
    return f"sha256${salt}${_digest(salt, secret)}"


def secret_matches(secret: str, stored: str) -> bool:
    """Constant-time check of a presented secret against its stored hash."""
    scheme, _, rest = stored.partition("$")
    salt, _, digest = rest.partition("$")
    if scheme != "sha256" or not salt or not digest:
        return False
    return hmac.compare_digest(_digest(salt, secret).encode(), digest.encode())


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
