"""Master secrets kept for signing callbacks, sealed with AES-256-GCM under the server key.

The JSMS callback signature is SHA-1 over the app's master secret itself, so a hash cannot sign
it. The sealed copy exists only for apps with a callback URL, is bound to its app (the app id is
the associated data: a copied value does not open for another app), and opens only with the
server key, which is never stored in the database.
"""

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PURPOSE = b"smsgate callback signing secret v1"
_NONCE_BYTES = 12


class UnreadableSecret(ValueError):
    """The sealed secret does not open with this server key (the key changed)."""


def _key(server_key: bytes) -> bytes:
    return hmac.new(server_key, _PURPOSE, hashlib.sha256).digest()


def seal_secret(server_key: bytes, app_id: int, secret: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(server_key)).encrypt(nonce, secret.encode(), str(app_id).encode())
    return base64.b64encode(nonce + sealed).decode()


def open_secret(server_key: bytes, app_id: int, sealed: str) -> str:
    raw = base64.b64decode(sealed)
    try:
        plain = AESGCM(_key(server_key)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], str(app_id).encode()
        )
    except InvalidTag:
        raise UnreadableSecret(f"app {app_id}") from None
    return plain.decode()
