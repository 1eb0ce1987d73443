"""Who the client is, as a real `smsgate serve` sees it: only smsgate decides which proxy
header names the client (uvicorn's own proxy-header handling is off), and only when the socket
peer is one of SMSGATE_TRUSTED_PROXIES. The test client connects from 127.0.0.1, the address
uvicorn would trust by default."""

import httpx
import pytest

from .server import ServerFactory, SmsgateServer

ALLOWED = "10.0.0.0/8"
SPOOFS = {
    "x-forwarded-for": {"X-Forwarded-For": "10.1.1.1"},
    "x-real-ip": {"X-Real-IP": "10.1.1.1"},
    "forwarded": {"Forwarded": "for=10.1.1.1"},
}
EVERY_SPOOF = {name: value for spoof in SPOOFS.values() for name, value in spoof.items()}


def allowlisted_app(server: SmsgateServer) -> tuple[str, str]:
    app_key, secret = server.create_app("allowlisted", "--balance", "10")
    server.cli("app", "update", app_key, "--allow-ip", ALLOWED, "--json")
    return app_key, secret


def balance(
    server: SmsgateServer, auth: tuple[str, str], headers: dict[str, str]
) -> httpx.Response:
    return httpx.get(f"{server.base_url}/v1/accounts/app", auth=auth, headers=headers, timeout=10.0)


@pytest.mark.parametrize("header", [*SPOOFS, "all"])
def test_a_claimed_address_from_an_untrusted_peer_does_not_pass_the_allowlist(
    smsgate_server: SmsgateServer, header: str
) -> None:
    auth = allowlisted_app(smsgate_server)
    spoof = EVERY_SPOOF if header == "all" else SPOOFS[header]

    answer = balance(smsgate_server, auth, spoof)

    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == 50035


def test_the_header_a_trusted_proxy_writes_names_the_client(
    start_fresh_server: ServerFactory,
) -> None:
    """Behind a trusted proxy its header counts (here RFC 7239 Forwarded); the other two are
    what a client sent through it, and count for nothing. tests/api/test_content_policy.py
    covers each header kind in process."""
    server = start_fresh_server(
        SMSGATE_TRUSTED_PROXIES="127.0.0.1/32", SMSGATE_TRUSTED_PROXY_HEADER="forwarded"
    )
    auth = allowlisted_app(server)

    assert balance(server, auth, SPOOFS["forwarded"]).status_code == 200
    others = {**SPOOFS["x-forwarded-for"], **SPOOFS["x-real-ip"]}
    answer = balance(server, auth, others)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == 50035
