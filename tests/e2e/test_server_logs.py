"""What a real `smsgate serve` writes to its log: one access line per request with the request
id its answer carries, and, when the database refuses a statement, a traceback that names the
statement but carries no number, text or code (neither SQLAlchemy's parameter list nor the
driver's own message, which on PostgreSQL quotes the refused row)."""

import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.db_refusal import refusal, tomorrow_in_shanghai
from tests.support.databases import postgres_execute, run_apart

from .server import SmsgateServer

MOBILE = "13800138000"
OTHER_MOBILE = "13900139000"
ORDER = "ORDER-SECRET-77"


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"SMSGATE_LOG_FORMAT": "json"}


def _execute(server: SmsgateServer, statements: list[str]) -> None:
    url = server.env.get("SMSGATE_DATABASE_URL")
    if url:
        run_apart(postgres_execute(url, *statements))
        return
    with sqlite3.connect(server.data_dir / "smsgate.db") as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture
def refusing_inserts(smsgate_server: SmsgateServer) -> Iterator[None]:
    install, clean_up = refusal(sqlite="SMSGATE_DATABASE_URL" not in smsgate_server.env)
    _execute(smsgate_server, install)
    yield
    _execute(smsgate_server, clean_up)


def test_each_request_is_logged_once_with_the_id_its_answer_carries(
    smsgate_server: SmsgateServer,
) -> None:
    app_key, secret = smsgate_server.create_app("logged", "--sign", "smsgate")
    start = smsgate_server.log_path.stat().st_size
    answer = httpx.get(
        f"{smsgate_server.base_url}/v1/templates/4242",
        auth=(app_key, secret),
        headers={"X-Request-ID": "trace-7"},
        timeout=10.0,
    )
    assert answer.status_code == 403 and answer.headers["x-request-id"] == "trace-7"

    def requests(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [x for x in lines if x["event"] == "request"]

    [line] = requests(smsgate_server.wait_for_log(start, requests))
    assert line["request_id"] == "trace-7" and line["app_key"] == app_key
    assert (line["method"], line["route"]) == ("GET", "/v1/templates/{temp_id}")
    assert (line["status"], line["error_code"]) == (403, 50013)


def test_a_refused_statement_is_logged_without_numbers_texts_or_codes(
    smsgate_server: SmsgateServer, refusing_inserts: None
) -> None:
    app_key, secret = smsgate_server.create_app("refused", "--sign", "smsgate")
    code_temp = smsgate_server.create_template(
        app_key, 1, "您的验证码是{{code}}，请勿泄露。", "--ttl", "300"
    )
    notify_temp = smsgate_server.create_template(app_key, 2, "订单{{order}}已发货。")
    start = smsgate_server.log_path.stat().st_size
    notify = {"mobile": OTHER_MOBILE, "temp_id": notify_temp, "temp_para": {"order": ORDER}}
    sends = [
        ("/v1/codes", {"mobile": MOBILE, "temp_id": code_temp}),
        ("/v1/messages", notify),
        ("/v1/schedule", {**notify, "send_time": tomorrow_in_shanghai()}),
    ]
    request_ids = []
    for path, body in sends:
        answer = httpx.post(
            smsgate_server.base_url + path, json=body, auth=(app_key, secret), timeout=10.0
        )
        assert answer.status_code == 500 and answer.json()["error"]["code"] == 50019
        request_ids.append(answer.headers["x-request-id"])

    def errors_of(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [x for x in lines if x["event"] == "unhandled error"]

    errors = errors_of(
        smsgate_server.wait_for_log(start, lambda lines: len(errors_of(lines)) >= len(sends))
    )
    logged = smsgate_server.log_path.read_bytes()[start:].decode(errors="replace")
    assert [x["request_id"] for x in errors] == request_ids, logged
    assert all("Error" in x["exception"] for x in errors), logged  # the traceback is there
    for leak in (MOBILE, OTHER_MOBILE, ORDER, "验证码", "已发货", secret):
        assert leak not in logged, leak
