"""`smsgate dev ...` and the content-policy commands of `smsgate app`: what scripts rely on."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from smsgate.cli import cli
from tests.support.cli import as_json


def make_dev(run) -> dict[str, str]:  # type: ignore[no-untyped-def]
    created: dict[str, str] = as_json(run("dev", "create", "--name", "studio", "--json"))
    return created


def test_dev_create_prints_credentials_once_and_stores_the_secret_hashed(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    created = make_dev(run)
    assert set(created) == {"dev_key", "dev_secret"}
    for value in created.values():
        assert re.fullmatch(r"[a-z0-9]{24}", value)
    database = (tmp_path / "smsgate.db").read_bytes()
    assert created["dev_secret"].encode() not in database
    assert created["dev_key"].encode() in database
    text = run("dev", "create", "--name", "other").stdout
    assert re.search(r"devKey: [a-z0-9]{24}\ndevSecret: [a-z0-9]{24}", text)


def test_topup_and_transfer(run) -> None:  # type: ignore[no-untyped-def]
    dev = make_dev(run)["dev_key"]
    pool = as_json(run("dev", "topup", dev, "--balance", "100", "--voice", "4", "--json"))
    assert pool == {"balance": 100, "voice": 4, "industry": None, "market": None}
    app = as_json(run("app", "create", "--name", "shop", "--dev", dev, "--json"))["app_key"]
    moved = as_json(
        run("dev", "transfer", dev, "--app", app, "--balance", "40", "--voice", "4", "--json")
    )
    assert moved == {
        "dev": {"balance": 60, "voice": 0, "industry": None, "market": None},
        "app": {"balance": 40, "voice": 4, "industry": None, "market": None},
    }


def test_refused_transfers_change_nothing(run) -> None:  # type: ignore[no-untyped-def]
    dev = make_dev(run)["dev_key"]
    run("dev", "topup", dev, "--balance", "5")
    app = as_json(run("app", "create", "--name", "shop", "--dev", dev, "--json"))["app_key"]
    loose = as_json(run("app", "create", "--name", "loose", "--json"))["app_key"]
    over = run("dev", "transfer", dev, "--app", app, "--balance", "6", ok=False)
    assert over.exit_code == 1 and "refused" in over.output
    foreign = run("dev", "transfer", dev, "--app", loose, "--balance", "1", ok=False)
    assert foreign.exit_code == 1 and "does not belong" in foreign.output
    assert run("dev", "transfer", dev, "--app", app, ok=False).exit_code == 1  # nothing to move
    negative = run("dev", "topup", dev, "--balance", "-1", ok=False)
    assert negative.exit_code != 0
    assert as_json(run("dev", "topup", dev, "--json"))["balance"] == 5


def test_unknown_developer(run) -> None:  # type: ignore[no-untyped-def]
    for args in (
        ("dev", "topup", "nobody", "--balance", "1"),
        ("app", "create", "--name", "shop", "--dev", "nobody"),
    ):
        result = run(*args, ok=False)
        assert result.exit_code == 1 and "not found" in result.output


def test_allowlist_block_and_unsubscribe_commands(run) -> None:  # type: ignore[no-untyped-def]
    app = as_json(run("app", "create", "--name", "shop", "--json"))["app_key"]
    shown = as_json(run("app", "update", app, "--allow-ip", "10.0.0.0/8, 192.0.2.9", "--json"))
    assert shown["allow_ip"] == "10.0.0.0/8,192.0.2.9/32"
    bad = run("app", "update", app, "--allow-ip", "10.0.0.0/8,nonsense", ok=False)
    assert bad.exit_code == 1 and "nonsense" in bad.output
    assert as_json(run("app", "update", app, "--json"))["allow_ip"] == "10.0.0.0/8,192.0.2.9/32"
    assert as_json(run("app", "update", app, "--allow-ip", "", "--json"))["allow_ip"] == ""
    assert as_json(run("app", "block", app, "--json")) == {"app_key": app, "blocked": True}
    assert as_json(run("app", "unblock", app, "--json")) == {"app_key": app, "blocked": False}
    assert as_json(run("app", "unsubscribe", app, "13800138000", "--json")) == {"changed": True}
    again = run("app", "unsubscribe", app, "+8613800138000", "--json")
    assert as_json(again) == {"changed": False}  # the same number, written another way
    assert as_json(run("app", "resubscribe", app, "13800138000", "--json")) == {"changed": True}
    assert as_json(run("app", "resubscribe", app, "13800138000", "--json")) == {"changed": False}
    assert run("app", "unsubscribe", app, "12345", ok=False).exit_code == 1
    assert run("app", "block", "nope", ok=False).exit_code == 1


def test_parallel_transfer_processes_never_overdraw(database_url: str, tmp_path: Path) -> None:
    """Four `smsgate dev transfer` processes at once against one pool of 10, 3 units each:
    exactly three succeed and the pool ends at 1, on SQLite and on PostgreSQL."""
    env = {"SMSGATE_DATA_DIR": str(tmp_path), "SMSGATE_DATABASE_URL": database_url}
    runner = CliRunner()

    def smsgate(*args: str) -> Any:
        result = runner.invoke(cli, [*args, "--json"], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    dev = smsgate("dev", "create", "--name", "studio")["dev_key"]
    smsgate("dev", "topup", dev, "--industry", "10")
    app = smsgate("app", "create", "--name", "shop", "--dev", dev)["app_key"]
    command = [sys.executable, "-m", "smsgate", "dev", "transfer", dev, "--app", app]
    processes = [
        subprocess.Popen(
            [*command, "--industry", "3"],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(4)
    ]
    codes = [process.wait(timeout=300) for process in processes]
    assert sorted(codes) == [0, 0, 0, 1]
    assert smsgate("dev", "topup", dev)["industry"] == 1
    assert smsgate("app", "topup", app)["industry"] == 9
