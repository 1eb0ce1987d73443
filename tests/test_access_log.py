"""The access log: one JSON line per request with its route template, status, JSMS error code,
app key, duration and request id; the request id also in the answer's X-Request-ID header and in
every other line the request logs; never a code or a whole number."""

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from httpx import AsyncClient, Response

from smsgate.context import Context
from smsgate.logs import configure_logging
from smsgate.telemetry.redaction import redact_text
from tests.api.helpers import assert_error, code_in, inbox
from tests.log_capture import LogLines, fresh_loggers
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant

MOBILE = "13800138000"
GENERATED_ID = re.compile(r"[a-z]{12}[0-9a-f]+")


class Lines(LogLines):
    """The JSON log lines written so far, and the access-log ones among them."""

    def requests(self) -> list[dict[str, Any]]:
        return [line for line in self.read() if line["event"] == "request"]


@pytest.fixture
def lines(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Lines]:
    configure_logging("info", "json")
    fresh_loggers(monkeypatch)
    try:
        yield Lines(capsys)
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()


def request_id(response: Response) -> str:
    value = response.headers.get("x-request-id")
    assert value, response.headers
    return value


async def test_every_answer_carries_a_new_request_id(api: AsyncClient, tenant: Tenant) -> None:
    first = await api.get("/v1/accounts/app", auth=tenant.auth)
    second = await api.get("/v1/nowhere")
    ids = [request_id(first), request_id(second)]
    assert ids[0] != ids[1]
    for generated in ids:
        assert GENERATED_ID.fullmatch(generated) and redact_text(generated) == generated


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("req-42.a:b_C", True),
        ("a" * 64, True),
        ("a" * 65, False),  # too long
        ("bad id", False),  # a space
        ("<script>", False),
        ("13800138000", False),  # a number the logs would have to mask
        ("", False),
    ],
)
async def test_a_sane_incoming_request_id_is_kept(
    api: AsyncClient, lines: Lines, incoming: str, kept: bool
) -> None:
    response = await api.get("/v1/accounts/app", headers={"X-Request-ID": incoming})
    answered = request_id(response)
    assert (answered == incoming) is kept
    if not kept:
        assert GENERATED_ID.fullmatch(answered)
    assert lines.requests()[-1]["request_id"] == answered


async def test_a_send_logs_one_line_with_its_route_app_and_duration(
    api: AsyncClient, tenant: Tenant, lines: Lines
) -> None:
    body = {"mobile": MOBILE, "temp_id": tenant.code_temp}
    response = await api.post("/v1/codes", json=body, auth=tenant.auth)
    assert response.status_code == 200, response.text

    [line] = lines.requests()
    assert line["method"] == "POST" and line["route"] == "/v1/codes"
    assert line["status"] == 200 and line["error_code"] is None
    assert line["app_key"] == tenant.app_key
    assert line["request_id"] == request_id(response)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "info" and "timestamp" in line
    assert MOBILE not in lines.text


async def test_an_error_logs_its_jsms_code(api: AsyncClient, tenant: Tenant, lines: Lines) -> None:
    bad_mobile = {"mobile": "12345", "temp_id": tenant.code_temp}
    assert_error(await api.post("/v1/codes", json=bad_mobile, auth=tenant.auth), 403, 50006)
    assert_error(await api.get("/v1/templates/77"), 400, 50001)
    assert_error(await api.get("/v1/templates/77", auth=tenant.auth), 403, 50013)
    assert_error(await api.get("/v1/no/such/13800138000"), 404, 50016)

    refused, anonymous, unknown, nowhere = lines.requests()
    assert (refused["status"], refused["error_code"]) == (403, 50006)
    assert refused["app_key"] == tenant.app_key
    assert (anonymous["error_code"], anonymous["app_key"]) == (50001, None)
    assert (unknown["route"], unknown["error_code"]) == ("/v1/templates/{temp_id}", 50013)
    assert (nowhere["route"], nowhere["status"], nowhere["error_code"]) == (None, 404, 50016)
    assert "13800138000" not in lines.text  # a raw path is never logged


async def test_verifying_logs_the_route_and_never_the_code(
    api: AsyncClient, ctx: Context, tenant: Tenant, worker: Delivery, lines: Lines
) -> None:
    body = {"mobile": MOBILE, "temp_id": tenant.code_temp}
    msg_id = (await api.post("/v1/codes", json=body, auth=tenant.auth)).json()["msg_id"]
    await worker.run_until_idle()
    code = code_in((await inbox(ctx, "+86" + MOBILE))[0].text)
    wrong = "000000" if code != "000000" else "111111"

    valid = f"/v1/codes/{msg_id}/valid"
    assert_error(await api.post(valid, json={"code": wrong}, auth=tenant.auth), 403, 50010)
    assert (await api.post(valid, json={"code": code}, auth=tenant.auth)).status_code == 200
    assert_error(await api.post(valid, json={"code": code}, auth=tenant.auth), 403, 50012)

    verifies = [line for line in lines.requests() if line["route"] != "/v1/codes"]
    assert [line["route"] for line in verifies] == ["/v1/codes/{msg_id}/valid"] * 3
    assert [line["error_code"] for line in verifies] == [50010, None, 50012]
    assert code not in lines.text and wrong not in lines.text


async def test_other_lines_of_a_request_carry_its_request_id(
    api: AsyncClient, tenant: Tenant, lines: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("limits failed")

    monkeypatch.setattr("smsgate.codes.service.generate_code", explode)
    body = {"mobile": MOBILE, "temp_id": tenant.code_temp}
    response = await api.post("/v1/codes", json=body, auth=tenant.auth)
    assert_error(response, 500, 50019)

    logged = lines.read()
    [access] = [line for line in logged if line["event"] == "request"]
    [error] = [line for line in logged if line["event"] == "unhandled error"]
    assert (access["status"], access["error_code"]) == (500, 50019)
    assert access["request_id"] == error["request_id"] == request_id(response)
