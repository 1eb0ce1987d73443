"""Making and keeping verification codes: CSPRNG digits, stored only as an HMAC."""

import hashlib
import hmac
import secrets


def generate_code(length: int) -> str:
    """`length` uniformly random digits (leading zeros included), from one CSPRNG draw."""
    return str(secrets.randbelow(10**length)).zfill(length)


def hash_code(key: bytes, msg_id: str, code: str) -> str:
    """HMAC-SHA256 bound to the message, so a hash cannot be replayed for another msg_id."""
    return hmac.new(key, f"{msg_id}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(key: bytes, msg_id: str, code: str, stored: str) -> bool:
    return hmac.compare_digest(hash_code(key, msg_id, code).encode(), stored.encode())
