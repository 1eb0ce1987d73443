"""`smsgate providers` and how serve and worker treat a bad delivery configuration."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smsgate import clock
from smsgate.cli import cli
from smsgate.db.engine import Database
from smsgate.delivery import health
from smsgate.delivery.breaker import CircuitBreaker
from smsgate.delivery.config import BreakerConfig
from smsgate.delivery.providers.link import UP, Link

CONFIG = """
[[providers]]
name = "primary"
type = "sandbox"
[[providers]]
name = "spare"
type = "sandbox"
[[routes]]
match = "+86"
providers = ["primary", "spare"]
"""


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str, config: str = CONFIG, code: int = 0) -> Any:
        path = tmp_path / "delivery.toml"
        path.write_text(config)
        env = {
            "SMSGATE_DATA_DIR": str(tmp_path),
            "SMSGATE_DATABASE_URL": "",
            "SMSGATE_CONFIG": str(path),
        }
        result = runner.invoke(cli, list(args), env=env)
        assert result.exit_code == code, result.output
        return result

    return invoke


def test_check_shows_providers_and_routes(run) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(run("providers", "check", "--json").stdout)
    assert data["providers"] == {"primary": "sandbox", "spare": "sandbox"}
    assert data["routes"][0]["match"] == "+86"
    assert data["routes"][0]["providers"] == ["primary", "spare"]
    assert "route +86 (sms+voice): primary > spare" in run("providers", "check").stdout


def test_status_without_a_running_worker(run) -> None:  # type: ignore[no-untyped-def]
    status = json.loads(run("providers", "status", "--json").stdout)
    assert [s["provider"] for s in status] == ["primary", "spare"]
    assert {s["state"] for s in status} == {"no worker"}
    assert all(s["submitted"] == 0 for s in status)


def save_rows(data_dir: Path, worker: str, links: dict[str, Link]) -> None:
    """What a worker process saves for its providers, with these links."""
    breakers = {name: CircuitBreaker(BreakerConfig(), link) for name, link in links.items()}
    database = Database(f"sqlite:///{data_dir / 'smsgate.db'}")

    async def save() -> None:
        try:
            await database.write(lambda conn: health.save_health(conn, breakers, clock.now_ms()))
        finally:
            await database.dispose()

    original, health.WORKER_ID = health.WORKER_ID, worker
    try:
        asyncio.run(save())
    finally:
        health.WORKER_ID = original


def test_status_shows_a_provider_down_since_when_and_why(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("providers", "status")  # the database, migrated
    refused, fine, elsewhere = Link(), Link(UP), Link()
    refused.down("primary#1: bind failed: ConnectionRefusedError: [Errno 111]")
    elsewhere.down("primary#1: bind dropped by the SMSC")
    save_rows(tmp_path, "host-a:1", {"primary": refused, "spare": fine})
    save_rows(tmp_path, "host-b:2", {"primary": elsewhere, "spare": fine})
    by_name = {s["provider"]: s for s in json.loads(run("providers", "status", "--json").stdout)}
    primary, spare = by_name["primary"], by_name["spare"]
    assert (primary["state"], primary["workers"], spare["state"]) == ("down", 2, "closed")
    assert primary["since"] is not None and primary["last_error_at"] is not None
    assert primary["last_error"].startswith("primary#1: bind")
    text = run("providers", "status").stdout
    assert f"primary: down since {primary['since']}" in text
    assert f"last error ({primary['last_error_at']}): primary#1: bind" in text

    elsewhere.up()  # one worker has it in service again: so has smsgate
    save_rows(tmp_path, "host-b:2", {"primary": elsewhere})
    [primary, _] = json.loads(run("providers", "status", "--json").stdout)
    assert primary["state"] == "closed"


@pytest.mark.parametrize("command", [("serve",), ("worker",), ("providers", "check")])
def test_a_bad_file_stops_smsgate_at_start_with_the_reason(run, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = run(*command, config=CONFIG.replace('"spare"]', '"sapre"]'), code=2)
    assert "invalid delivery configuration" in result.output
    assert "routes[0]: no provider is named 'sapre'" in result.output
