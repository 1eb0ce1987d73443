"""Tencent Cloud API v3 request signing (TC3-HMAC-SHA256) for a JSON POST.

CanonicalRequest = POST \\n / \\n (empty query) \\n content-type:..\\nhost:..\\n \\n
                   content-type;host \\n hex(sha256(payload))
StringToSign     = TC3-HMAC-SHA256 \\n timestamp \\n date/service/tc3_request \\n
                   hex(sha256(CanonicalRequest))
key              = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")
"""

import hashlib
import hmac
from datetime import UTC, datetime

ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def canonical_request(host: str, payload: bytes) -> str:
    return "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{CONTENT_TYPE}\nhost:{host}\n",
            SIGNED_HEADERS,
            hashlib.sha256(payload).hexdigest(),
        ]
    )


def string_to_sign(service: str, timestamp: int, canonical: str) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{date}/{service}/tc3_request\n{digest}"


def tc3_signature(secret_key: str, service: str, timestamp: int, to_sign: str) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_headers(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    action: str,
    version: str,
    region: str,
    timestamp: int,
    payload: bytes,
) -> dict[str, str]:
    """Every header the request needs, Authorization included."""
    to_sign = string_to_sign(service, timestamp, canonical_request(host, payload))
    signature = tc3_signature(secret_key, service, timestamp, to_sign)
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    authorization = (
        f"{ALGORITHM} Credential={secret_id}/{date}/{service}/tc3_request, "
        f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )
    return {
        "Authorization": authorization,
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": version,
        "X-TC-Region": region,
    }
