"""The signed form of a callback (JSMS reference §4): nonce, timestamp, signature, type, data.

The signature is the lowercase hex SHA-1 of
`appKey=<appKey>&appMasterSecret=<masterSecret>&nonce=<nonce>&timestamp=<timestamp>`, the numbers
exactly as sent. The callback loop and the console's test call both sign here.
"""

import hashlib
import secrets

from smsgate import clock


def callback_signature(app_key: str, master_secret: str, nonce: int, timestamp: int) -> str:
    text = f"appKey={app_key}&appMasterSecret={master_secret}&nonce={nonce}&timestamp={timestamp}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def signed_form(app_key: str, master_secret: str, event: str, data: str) -> dict[str, str]:
    """The form to POST: a fresh nonce (a Java long, as JSMS sends it) and the time now."""
    nonce = secrets.randbits(64) - 2**63
    timestamp = clock.now_ms()
    return {
        "nonce": str(nonce),
        "timestamp": str(timestamp),
        "signature": callback_signature(app_key, master_secret, nonce, timestamp),
        "type": event,
        "data": data,
    }
