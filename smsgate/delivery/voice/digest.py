"""HTTP Digest authentication as SIP uses it (RFC 2617, RFC 3261 §22.4; SHA-256 from RFC 8760)."""

import hashlib
import re
import secrets
from dataclasses import dataclass

_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_HASHES = {"MD5": "md5", "SHA-256": "sha256"}


class UnsupportedChallenge(ValueError):
    """A challenge this client cannot answer (another scheme, algorithm or qop)."""


@dataclass(frozen=True, slots=True)
class Challenge:
    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: str | None = None  # "auth" when the server offered it
    opaque: str | None = None


def parse_challenge(header: str) -> Challenge:
    """A WWW-Authenticate / Proxy-Authenticate value."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        raise UnsupportedChallenge(f"authentication scheme {scheme!r}")
    params = {m[1].lower(): m[2] if m[2] is not None else m[3] for m in _PARAM.finditer(rest)}
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm not in _HASHES:
        raise UnsupportedChallenge(f"digest algorithm {algorithm!r}")
    qop = None
    if "qop" in params:
        offered = {q.strip().lower() for q in params["qop"].split(",")}
        if "auth" not in offered:
            raise UnsupportedChallenge(f"digest qop {params['qop']!r}")
        qop = "auth"
    if "realm" not in params or "nonce" not in params:
        raise UnsupportedChallenge("digest challenge without realm or nonce")
    return Challenge(params["realm"], params["nonce"], algorithm, qop, params.get("opaque"))


def digest_response(
    challenge: Challenge,
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    cnonce: str = "",
    nonce_count: int = 1,
) -> str:
    """The request-digest (RFC 2617 §3.2.2.1)."""

    def h(text: str) -> str:
        return hashlib.new(_HASHES[challenge.algorithm], text.encode()).hexdigest()

    ha1 = h(f"{username}:{challenge.realm}:{password}")
    ha2 = h(f"{method}:{uri}")
    if challenge.qop is None:
        return h(f"{ha1}:{challenge.nonce}:{ha2}")
    return h(f"{ha1}:{challenge.nonce}:{nonce_count:08x}:{cnonce}:{challenge.qop}:{ha2}")


def authorization(
    challenge: Challenge, *, username: str, password: str, method: str, uri: str
) -> str:
    """The Authorization / Proxy-Authorization value answering `challenge`."""
    cnonce = secrets.token_hex(8)
    response = digest_response(
        challenge, username=username, password=password, method=method, uri=uri, cnonce=cnonce
    )
    fields = [
        f'username="{username}"',
        f'realm="{challenge.realm}"',
        f'nonce="{challenge.nonce}"',
        f'uri="{uri}"',
        f'response="{response}"',
        f"algorithm={challenge.algorithm}",
    ]
    if challenge.qop is not None:
        fields += [f"qop={challenge.qop}", "nc=00000001", f'cnonce="{cnonce}"']
    if challenge.opaque is not None:
        fields.append(f'opaque="{challenge.opaque}"')
    return "Digest " + ", ".join(fields)
