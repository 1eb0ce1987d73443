"""Logs never carry codes, secrets or whole numbers, not even inside a traceback or a database
driver's own message."""

import asyncio
import io
import logging
from collections.abc import AsyncIterator

import pytest
import structlog
from httpx import AsyncClient
from sqlalchemy import text

from smsgate.context import Context
from smsgate.db.engine import Database
from smsgate.logs import TurnFlushedLogger, configure_logging
from tests.api.helpers import assert_error, code_in, inbox
from tests.db_refusal import refusal, tomorrow_in_shanghai
from tests.log_capture import fresh_loggers
from tests.support.delivery import Delivery
from tests.support.tenants import Tenant


@pytest.mark.parametrize("fmt", ["console", "json"])
async def test_a_crash_while_verifying_does_not_log_the_code(
    api: AsyncClient,
    ctx: object,
    tenant: Tenant,
    worker: Delivery,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    configure_logging("info", fmt)
    try:
        body = {"mobile": "13800138000", "temp_id": tenant.code_temp}
        msg_id = (await api.post("/v1/codes", json=body, auth=tenant.auth)).json()["msg_id"]
        await worker.run_until_idle()
        code = code_in((await inbox(ctx, "+8613800138000"))[0].text)  # type: ignore[arg-type]

        def explode(*_args: object) -> bool:
            raise RuntimeError("comparison failed")

        monkeypatch.setattr("smsgate.codes.service.code_matches", explode)
        response = await api.post(
            f"/v1/codes/{msg_id}/valid", json={"code": code}, auth=tenant.auth
        )
        assert_error(response, 500, 50019)
        logged = capsys.readouterr()
        output = logged.out + logged.err
        assert "RuntimeError: comparison failed" in output  # the traceback was logged...
        assert code not in output  # ...without the local variables that hold the code
        assert tenant.secret not in output
        assert "13800138000" not in output
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()


async def _execute(db: Database, statements: list[str]) -> None:
    def run(conn: object) -> None:
        for statement in statements:
            conn.execute(text(statement))  # type: ignore[attr-defined]

    await db.write(run)


@pytest.fixture
async def refusing_outbox(ctx: Context) -> AsyncIterator[None]:
    install, clean_up = refusal(ctx.db.is_sqlite)
    await _execute(ctx.db, install)
    yield
    await _execute(ctx.db, clean_up)


@pytest.mark.parametrize("fmt", ["console", "json"])
async def test_a_database_error_logs_no_number_text_or_code(
    api: AsyncClient,
    tenant: Tenant,
    refusing_outbox: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    """A failing INSERT of a code, a template SMS and a schedule: the 500 is logged with its
    traceback, but neither SQLAlchemy's parameter list nor the driver's message reaches the log."""
    configure_logging("info", fmt)
    fresh_loggers(monkeypatch)
    monkeypatch.setattr("smsgate.codes.service.generate_code", lambda _length: "924517")
    try:
        code = {"mobile": "13800138000", "temp_id": tenant.code_temp}
        assert_error(await api.post("/v1/codes", json=code, auth=tenant.auth), 500, 50019)
        para = {"name": "Zhang Wei", "order": "ORDER-SECRET-77"}
        notify = {"mobile": "13900139000", "temp_id": tenant.notify_temp, "temp_para": para}
        assert_error(await api.post("/v1/messages", json=notify, auth=tenant.auth), 500, 50019)
        schedule = {**notify, "send_time": tomorrow_in_shanghai()}
        assert_error(await api.post("/v1/schedule", json=schedule, auth=tenant.auth), 500, 50019)

        logged = capsys.readouterr()
        output = logged.out + logged.err
        assert output.count("unhandled error") == 3, output  # the failures were logged...
        assert "Error" in output and "outbox" in output  # ...with the error and where it was
        for leak in ("13800138000", "13900139000", "924517", "Zhang Wei", "ORDER-SECRET-77"):
            assert leak not in output, leak
        assert tenant.secret not in output
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()


@pytest.mark.parametrize(("terminal", "json_lines"), [(True, False), (False, True)])
def test_the_automatic_format_is_json_unless_a_person_reads_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    terminal: bool,
    json_lines: bool,
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: terminal)
    configure_logging("info", "auto")
    structlog.get_logger().info("format chosen", units=2)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("{") is json_lines
    assert "format chosen" in line and "units" in line


class CountedFlushes(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


async def test_the_lines_of_one_loop_turn_are_flushed_together() -> None:
    out = CountedFlushes()
    logger = TurnFlushedLogger(out)
    for n in range(3):
        logger.info(f"line {n}")
    assert out.getvalue() == "line 0\nline 1\nline 2\n"  # written at once, in order
    assert out.flushes == 0
    await asyncio.sleep(0)  # the loop's next turn runs the flush scheduled for it
    assert out.flushes == 1


def test_outside_an_event_loop_every_line_is_flushed() -> None:
    out = CountedFlushes()
    logger = TurnFlushedLogger(out)
    logger.error("one")
    logger.warning("two")
    assert (out.getvalue(), out.flushes) == ("one\ntwo\n", 2)


def test_a_flush_an_ended_loop_never_ran_does_not_hold_back_the_next_loops() -> None:
    out = CountedFlushes()
    logger = TurnFlushedLogger(out)
    loop = asyncio.new_event_loop()
    loop.call_soon(logger.info, "first")  # schedules its flush for the loop's next turn...
    loop.call_soon(loop.stop)  # ...which never comes
    loop.run_forever()
    loop.close()
    assert out.flushes == 0

    async def second() -> None:
        logger.info("second")
        await asyncio.sleep(0)

    asyncio.run(second())
    assert (out.getvalue(), out.flushes) == ("first\nsecond\n", 1)
