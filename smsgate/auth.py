"""HTTP Basic authentication of apps (appKey:masterSecret) and of developer accounts
(devKey:devSecret, only for GET /v1/accounts/dev).

Verified credentials are remembered for a few seconds, keyed by a digest of the header, so a busy
app does not cost a database round trip per request; a changed or revoked secret takes effect
within `auth_cache_seconds`.
"""

import base64
import binascii
import hashlib
import time

from starlette.requests import Request

from smsgate.apps.service import AppAccount, authenticate
from smsgate.db.engine import Database
from smsgate.devs.service import DevAccount, authenticate_dev
from smsgate.errors import Code, JsmsError

MAX_KEY_LENGTH = 64


def parse_basic(header: str | None) -> tuple[str, str]:
    """(user, password) from a Basic header; 50001 when absent, 50002 when malformed."""
    if not header or not header.strip():
        raise JsmsError(Code.MISSING_AUTH)
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise JsmsError(Code.AUTH_FAILED)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise JsmsError(Code.AUTH_FAILED) from None
    user, sep, password = decoded.partition(":")
    if not sep or not password or not _could_be_key(user):
        raise JsmsError(Code.AUTH_FAILED)
    return user, password


def _could_be_key(user: str) -> bool:
    """App and developer keys are short printable text: a longer user, or one with a control
    character, names no account and is refused without asking the database (which could not
    even store a NUL)."""
    return 0 < len(user) <= MAX_KEY_LENGTH and user.isprintable()


class AppAuthenticator:
    def __init__(self, db: Database, cache_seconds: float) -> None:
        self._db = db
        self._cache_seconds = cache_seconds
        self._cache: dict[bytes, tuple[float, AppAccount]] = {}

    async def __call__(self, request: Request) -> AppAccount:
        header = request.headers.get("authorization")
        app_key, secret = parse_basic(header)
        assert header is not None
        cache_key = hashlib.sha256(header.encode()).digest()
        cached = self._cache.get(cache_key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        app = await authenticate(self._db, app_key, secret)
        if app is None:
            raise JsmsError(Code.AUTH_FAILED)
        if self._cache_seconds > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[cache_key] = (now + self._cache_seconds, app)
        return app

    def forget(self, app_key: str) -> None:
        """Drop this process's cached credentials of an app, after a change made here (a new
        secret, a block, an allowlist): it takes effect at once in this process, and within
        `auth_cache_seconds` in the others."""
        for cache_key, (_, app) in list(self._cache.items()):
            if app.app_key == app_key:
                self._cache.pop(cache_key, None)


class DevAuthenticator:
    """devKey:devSecret against the developer table only: app credentials never pass here, and
    developer credentials never pass the app authenticator. Not cached: the one route it guards
    is a rare balance check."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, request: Request) -> DevAccount:
        dev_key, secret = parse_basic(request.headers.get("authorization"))
        dev = await authenticate_dev(self._db, dev_key, secret)
        if dev is None:
            raise JsmsError(Code.AUTH_FAILED)
        return dev
