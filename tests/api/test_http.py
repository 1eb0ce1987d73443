"""The HTTP surface: authentication, lenient bodies as the SDKs send them, and JSMS errors for
everything, including what the framework raises by itself."""

import base64

import pytest
from httpx import AsyncClient

from smsgate.context import Context
from tests.api.helpers import assert_error, scalar
from tests.support.tenants import Tenant


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def test_missing_auth(api: AsyncClient) -> None:
    assert_error(await api.post("/v1/codes", json={"mobile": "13800138000"}), 400, 50001)
    assert_error(await api.get("/v1/accounts/app"), 400, 50001)


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!notbase64",
        "Bearer abc",
        "Basic " + base64.b64encode(b"nocolon").decode(),
        "Basic " + base64.b64encode(b":secret").decode(),
    ],
)
async def test_malformed_auth(api: AsyncClient, header: str) -> None:
    response = await api.get("/v1/accounts/app", headers={"Authorization": header})
    assert_error(response, 401, 50002)


async def test_wrong_secret_and_unknown_key(api: AsyncClient, tenant: Tenant) -> None:
    wrong_secret = basic(tenant.app_key, "x" * 24)
    assert_error(await api.get("/v1/accounts/app", headers=wrong_secret), 401, 50002)
    unknown = basic("a" * 24, tenant.secret)
    assert_error(await api.get("/v1/accounts/app", headers=unknown), 401, 50002)


async def test_auth_scheme_is_case_insensitive(api: AsyncClient, tenant: Tenant) -> None:
    header = basic(*tenant.auth)["Authorization"].replace("Basic", "basic")
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    response = await api.post("/v1/codes", json=body, headers={"Authorization": header})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain; charset=utf-8", "application/json", "application/x-www-form-urlencoded"],
)
async def test_json_is_read_whatever_the_content_type(
    api: AsyncClient, tenant: Tenant, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = f'{{"mobile":"13800138000","temp_id":"{tenant.code_temp}"}}'.encode()
    response = await api.post("/v1/codes", content=body, headers=headers, auth=tenant.auth)
    assert response.status_code == 200, response.text


async def test_python_sdk_bytes(api: AsyncClient, tenant: Tenant) -> None:
    """json.dumps with \\u escapes and no Content-Type, as jsms 0.0.4 sends it."""
    raw = (
        f'{{"mobile": "13800138000", "temp_id": {tenant.notify_temp}, '
        '"temp_para": {"name": "\\u5f20\\u4e09", "order": "1"}}'
    )
    response = await api.post("/v1/messages", content=raw.encode(), auth=tenant.auth)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 400, 50003),
        (b"   ", 400, 50003),
        (b"{bad json", 403, 50007),
        (b"[1, 2]", 403, 50007),
        (b'"text"', 403, 50007),
        (b"\xff\xfe", 403, 50007),
    ],
)
async def test_bad_bodies(
    api: AsyncClient, tenant: Tenant, body: bytes, status: int, code: int
) -> None:
    response = await api.post("/v1/codes", content=body, auth=tenant.auth)
    assert_error(response, status, code)


async def test_body_over_the_limit(api: AsyncClient, tenant: Tenant) -> None:
    padding = "x" * (64 * 1024)
    body = f'{{"mobile":"13800138000","temp_id":{tenant.code_temp},"pad":"{padding}"}}'
    response = await api.post("/v1/codes", content=body.encode(), auth=tenant.auth)
    assert_error(response, 403, 50007)


async def test_body_that_cannot_be_json_declared_as_another_media_type(
    api: AsyncClient, tenant: Tenant
) -> None:
    response = await api.post(
        "/v1/codes",
        content=b"--b\r\nContent-Disposition: form-data; name=mobile\r\n\r\n1\r\n--b--",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
        auth=tenant.auth,
    )
    assert_error(response, 415, 50017)


async def test_trailing_slash_is_insignificant(api: AsyncClient, tenant: Tenant) -> None:
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    assert (await api.post("/v1/codes/", json=body, auth=tenant.auth)).status_code == 200
    assert_error(await api.get("/v1/accounts/app/", auth=tenant.auth), 403, 50033)


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/nothing", "/v2/codes", "/v1/codes/x/y/valid"])
async def test_unknown_path(api: AsyncClient, tenant: Tenant, path: str) -> None:
    assert_error(await api.post(path, json={}, auth=tenant.auth), 404, 50016)
    assert_error(await api.get(path), 404, 50016)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/codes"),
        ("PUT", "/v1/codes"),
        ("DELETE", "/v1/messages"),
        ("POST", "/v1/accounts/app"),
        ("GET", "/v1/codes/abc/valid"),
        ("PATCH", "/v1/voice_codes"),
    ],
)
async def test_wrong_method(api: AsyncClient, tenant: Tenant, method: str, path: str) -> None:
    response = await api.request(method, path, auth=tenant.auth)
    assert_error(response, 405, 50018)


async def test_unexpected_failure_is_a_json_500(
    api: AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("smsgate.apps.service.app_balances", explode)
    response = await api.get("/v1/accounts/app", auth=tenant.auth)
    assert_error(response, 500, 50019)
    assert "fire" not in response.text


async def test_failed_send_leaves_nothing_behind(
    api: AsyncClient, ctx: Context, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the message row was written rolls the whole send back."""
    from sqlalchemy import func, select

    from smsgate.db.models import LimitHit, Message, OutboxEntry

    def broken_enqueue(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("smsgate.outbox.repository.enqueue", broken_enqueue)
    body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
    assert_error(await api.post("/v1/codes", json=body, auth=tenant.auth), 500, 50019)
    for table in (Message, OutboxEntry, LimitHit):
        count = await scalar(ctx, select(func.count()).select_from(table))
        assert count == 0, table.__tablename__
