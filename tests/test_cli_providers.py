"""`smsgate providers` and how serve and worker treat a bad delivery configuration."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smsgate.cli import cli

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


@pytest.mark.parametrize("command", [("serve",), ("worker",), ("providers", "check")])
def test_a_bad_file_stops_smsgate_at_start_with_the_reason(run, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = run(*command, config=CONFIG.replace('"spare"]', '"sapre"]'), code=2)
    assert "invalid delivery configuration" in result.output
    assert "routes[0]: no provider is named 'sapre'" in result.output
