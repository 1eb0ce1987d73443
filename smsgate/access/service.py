"""The access checks every authenticated call passes: a blacklisted app (50036), then the app's
IP allowlist (50035). They run on the app the authenticator already cached, so they cost no
query. Sends that run without a request (due schedules) are checked for 50036 again by the
content policy (smsgate/content), inside the send.
"""

from collections.abc import Sequence
from typing import Protocol

from smsgate.access.networks import Network, address_allowed, client_address
from smsgate.errors import Code, JsmsError
from smsgate.settings import Settings


class CallingApp(Protocol):
    """The parts of smsgate.apps.service.AppAccount the access checks look at."""

    @property
    def blocked(self) -> bool: ...
    @property
    def allowed_networks(self) -> tuple[Network, ...]: ...


def check_app_access(
    app: CallingApp,
    peer: str | None,
    claimed: Sequence[str],
    settings: Settings,
) -> None:
    """50036 for a blacklisted app; 50035 when the app has an allowlist the caller is not in.
    `claimed`: every line of the proxy header (SMSGATE_TRUSTED_PROXY_HEADER), in order."""
    if app.blocked:
        raise JsmsError(Code.APP_IN_BLACK)
    if app.allowed_networks:
        address = client_address(
            peer, claimed, settings.trusted_proxies, settings.trusted_proxy_header
        )
        if not address_allowed(address, app.allowed_networks):
            raise JsmsError(Code.ILLEGAL_IP)
