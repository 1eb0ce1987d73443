"""The redaction every log line passes: numbers masked, secrets dropped, database drivers'
messages withheld from tracebacks."""

import logging
import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from smsgate.telemetry.redaction import (
    REDACTED,
    RedactingFormatter,
    mask_digits,
    redact_event,
    redact_text,
    safe_exception_text,
)

MSG_ID = "01934b6e-1234-7abc-8def-123456789012"


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        ("to 13800138000.", "to *******8000."),
        ("+8613800138000", "+*********8000"),
        ("8613800138000", "*********8000"),
        ("to=%2B8613800138000&x=1", "to=%2B*********8000&x=1"),
        ("号码13800138000已发送", "号码*******8000已发送"),
        ("+14155550123", "+*******0123"),
        (f"msg {MSG_ID} ok", f"msg {MSG_ID} ok"),  # message ids stay whole
        ("port 8000, line 12345, 2026-12-07", "port 8000, line 12345, 2026-12-07"),
        ("key weu7q0xw40c5j5bpr6nx5h80", "key weu7q0xw40c5j5bpr6nx5h80"),
        (
            "/cgi?user=u&password=hunter2&text=%E6%82%A8",
            f"/cgi?user=u&password={REDACTED}&text={REDACTED}",
        ),
        ('{"code": "924517", "n": 1}', f'{{"code": "{REDACTED}", "n": 1}}'),
        ("master_secret=abc token:xyz", f"master_secret={REDACTED} token:{REDACTED}"),
    ],
)
def test_free_text(raw: str, logged: str) -> None:
    assert redact_text(raw) == logged


def test_mask_keeps_the_last_four_digits() -> None:
    assert mask_digits("13800138000") == "*******8000"
    assert mask_digits("123") == "123"


def test_event_secret_keys_dropped_and_numbers_masked() -> None:
    event = {
        "event": "sent to 13800138000",
        "code": "924517",
        "master_secret": "s3cr3t",
        "auth_token": "t",
        "Authorization": "Basic abc",
        "text": "您的验证码是924517",
        "mobile": 13800138000,
        "count": 12345678,
        "nested": {"password": "p", "to": "+8613800138000", "hops": ["13900139000"]},
        "msg_id": MSG_ID,
        "error_code": 50019,
    }
    logged = redact_event(None, "info", event)
    assert logged == {
        "event": "sent to *******8000",
        "code": REDACTED,
        "master_secret": REDACTED,
        "auth_token": REDACTED,
        "Authorization": REDACTED,
        "text": REDACTED,
        "mobile": "*******8000",
        "count": 12345678,  # a plain number under a key that is not a phone number
        "nested": {"password": REDACTED, "to": "+*********8000", "hops": ["*******9000"]},
        "msg_id": MSG_ID,
        "error_code": 50019,
    }


def _failed_insert() -> DBAPIError:
    """A real driver error from a statement whose parameters hold a number, a text and a code;
    without hide_parameters, so the formatter alone is tested."""
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE t (mobile TEXT UNIQUE, body TEXT)"))
        row = {"m": "+8613800138000", "b": "您的验证码是924517"}
        conn.execute(text("INSERT INTO t VALUES (:m, :b)"), row)
        try:
            conn.execute(text("INSERT INTO t VALUES (:m, :b)"), row)
        except DBAPIError as error:
            assert "924517" in str(error)  # what SQLAlchemy itself would print
            return error
    raise AssertionError("the insert did not fail")


def test_a_database_error_traceback_keeps_the_statement_and_withholds_values() -> None:
    error = _failed_insert()
    try:
        raise RuntimeError("send failed") from error
    except RuntimeError as outer:
        logged = safe_exception_text(outer)
    assert "Traceback (most recent call last)" in logged
    assert "sqlalchemy.exc.IntegrityError: sqlite3.IntegrityError" in logged
    assert "INSERT INTO t VALUES (?, ?)" in logged
    assert "sqlite3.IntegrityError: (database message withheld)" in logged
    assert "sqlite_errorname=SQLITE_CONSTRAINT_UNIQUE" in logged
    assert "The above exception was the direct cause" in logged
    assert "RuntimeError: send failed" in logged
    for leak in ("13800138000", "924517", "验证码"):
        assert leak not in logged


def test_other_messages_are_redacted_not_withheld() -> None:
    try:
        raise ValueError("no route for 13800138000, password=hunter2")
    except ValueError as error:
        logged = safe_exception_text(error)
    assert logged.endswith(f"ValueError: no route for *******8000, password={REDACTED}")


def test_standard_library_lines_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    formatter = RedactingFormatter("%(message)s")
    try:
        raise sqlite3.OperationalError("near '13800138000': syntax error")
    except sqlite3.OperationalError:
        record = logging.LogRecord(
            "uvicorn.error",
            logging.ERROR,
            __file__,
            1,
            "Exception in %s for %s",
            ("app", "13900139000"),
            True,
        )
        record.exc_info = __import__("sys").exc_info()
    logged = formatter.format(record)
    assert logged.startswith("Exception in app for *******9000")
    assert "sqlite3.OperationalError: (database message withheld)" in logged
    assert "13800138000" not in logged
