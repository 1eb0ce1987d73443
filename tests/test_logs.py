"""Logs never carry codes, secrets or whole numbers, not even inside a traceback."""

import logging

import pytest
import structlog
from httpx import AsyncClient

from smsgate.logs import configure_logging
from tests.api.helpers import assert_error, code_in, inbox
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
