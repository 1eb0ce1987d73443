"""Master secrets kept for signing callbacks, sealed under the server key (smsgate/sealed.py).

The JSMS callback signature is SHA-1 over the app's master secret itself, so a hash cannot sign
it. The sealed copy exists only for apps with a callback URL, is bound to its app (the app id is
the associated data: a copied value does not open for another app), and opens only with the
server key, which is never stored in the database.
"""

from smsgate.sealed import UnreadableSeal, seal, unseal

_PURPOSE = b"smsgate callback signing secret v1"
UnreadableSecret = UnreadableSeal  # the sealed secret does not open with this server key


def seal_secret(server_key: bytes, app_id: int, secret: str) -> str:
    return seal(server_key, _PURPOSE, str(app_id), secret)


def open_secret(server_key: bytes, app_id: int, sealed: str) -> str:
    return unseal(server_key, _PURPOSE, str(app_id), sealed)
