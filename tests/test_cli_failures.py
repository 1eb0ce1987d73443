"""However a command fails, it says so in one line on stderr and exits non-zero: a busy or
unreachable database, a bad setting, a usage error, or anything nobody foresaw."""

import contextlib
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner, Result

from smsgate.apps import service as app_service
from smsgate.cli import cli
from tests.support.cli import CliRun, as_json, failure_line


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Another connection holding SQLite's write lock, as a server mid-transaction does."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def test_a_held_write_lock_is_one_line_and_exit_75(run: CliRun, tmp_path: Path) -> None:
    key = as_json(run("app", "create", "--name", "shop", "--json"))["app_key"]
    with write_lock(tmp_path / "smsgate.db"):
        line = failure_line(run("app", "block", key, ok=False), 75)
    assert line.startswith("database busy: another process held SQLite's write lock")
    assert as_json(run("app", "unblock", key, "--json"))["blocked"] is False  # and then it works


def smsgate(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, prog_name="smsgate")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_postgresql_is_one_line_and_exit_75(tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/smsgate"
    result = smsgate({"SMSGATE_DATA_DIR": str(tmp_path), "SMSGATE_DATABASE_URL": url}, "migrate")
    assert failure_line(result, 75).startswith("database unreachable: ")


def test_an_invalid_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {"SMSGATE_DATA_DIR": str(tmp_path), "SMSGATE_PORT": "eighty"}
    line = failure_line(smsgate(env, "app", "block", "x"), 2)
    assert line.startswith("invalid setting SMSGATE_PORT: ")


@pytest.mark.parametrize(
    "args",
    [
        ("app", "topup"),  # the APP_KEY is missing
        ("app", "topup", "k", "--bogus"),
        ("app", "nonsense"),
        ("template", "approve", "twelve"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(run: CliRun, args: tuple[str, ...]) -> None:
    assert failure_line(run(*args, ok=False), 2).startswith("smsgate ")


def test_anything_unforeseen_is_one_line_and_exit_1(
    run: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = as_json(run("app", "create", "--name", "shop", "--json"))["app_key"]

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("first line\nsecond line with 13800138000")

    monkeypatch.setattr(app_service, "set_access", broken)
    line = failure_line(run("app", "block", key, ok=False), 1)
    assert line == "failed: RuntimeError: first line (SMSGATE_LOG_LEVEL=debug shows where)"


def test_debug_log_level_adds_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("deep down")

    monkeypatch.setattr(app_service, "set_access", broken)
    env = {"SMSGATE_DATA_DIR": str(tmp_path), "SMSGATE_LOG_LEVEL": "debug"}
    result = smsgate(env, "app", "block", "k")
    assert result.exit_code == 1
    assert result.stderr.startswith("failed: RuntimeError: deep down")
    assert "Traceback (most recent call last)" in result.stderr


@pytest.mark.parametrize(("option", "code"), [(("--port", "0"), 2), (("--host", " "), 1)])
def test_serve_options_are_checked_not_dropped(
    run: CliRun, option: tuple[str, str], code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def started(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("serve started on another address than the one given")

    monkeypatch.setattr(uvicorn, "run", started)
    failure_line(run("serve", *option, ok=False), code)
