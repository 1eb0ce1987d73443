"""Values kept encrypted under the server key: AES-256-GCM with a key derived per purpose.

The associated data binds a sealed value to what it belongs to (an app, a message): a copied
value does not open for anything else. The server key itself is never stored in the database.
"""

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


class UnreadableSeal(ValueError):
    """The sealed value does not open with this server key (the key changed, or it was moved)."""


def _key(server_key: bytes, purpose: bytes) -> bytes:
    return hmac.new(server_key, purpose, hashlib.sha256).digest()


def seal(server_key: bytes, purpose: bytes, bound_to: str, plaintext: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(server_key, purpose)).encrypt(nonce, plaintext.encode(), bound_to.encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(server_key: bytes, purpose: bytes, bound_to: str, sealed: str) -> str:
    raw = base64.b64decode(sealed)
    try:
        plain = AESGCM(_key(server_key, purpose)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], bound_to.encode()
        )
    except InvalidTag:
        raise UnreadableSeal(bound_to) from None
    return plain.decode()
