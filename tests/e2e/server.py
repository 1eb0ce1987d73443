"""A real `smsgate serve` process for end-to-end tests: start, wait until ready, kill, restart.

The server runs from the working tree (PYTHONPATH) in its own process group, so a SIGKILL to the
group takes down uvicorn and everything it started, as a crash would.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from smsgate.cli import cli as smsgate_cli
from tests.support.databases import POSTGRES_URL_ENV, new_postgres_database
from tests.support.ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60.0  # several processes start at once on a busy machine
POLL_INTERVAL_SECONDS = 0.05

InboxEntry = dict[str, Any]
# The in-process CLI sets os.environ and the working directory while it runs: one at a time.
_CLI_LOCK = threading.Lock()


def clean_environment() -> dict[str, str]:
    """The parent's environment without SMSGATE_* settings, which would leak a developer's
    database or limits into the server under test, plus the working tree on PYTHONPATH so the
    checked-out code is what runs."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMSGATE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


class SmsgateServer:
    """One `smsgate serve` process and its data directory, restartable on the same data.

    `env` is what the server and `cli()` both see, so the CLI administers the very database the
    server serves.
    """

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = env
        self.port = free_port()
        # Each server its own metrics port, so servers of parallel runs never collide.
        self.env.setdefault("SMSGATE_METRICS_PORT", str(free_port()))
        self.log_path = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._restarted = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        """The metrics port: /metrics, /healthz, /readyz."""
        return f"http://127.0.0.1:{self.env['SMSGATE_METRICS_PORT']}"

    def start(self) -> None:
        """Start the server and return once it serves; fail with its log if it dies. When the
        port was taken in the meantime by someone else, try another one (not on a restart)."""
        for _ in range(3):
            log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
            if self._start_once(log_start):
                return
            lost_port = b"address already in use" in self.log_path.read_bytes()[log_start:]
            if not lost_port or self._restarted:
                break
            self.port = free_port()
        raise RuntimeError(f"smsgate serve exited early:\n{self.log_tail()}")

    def _start_once(self, log_start: int) -> bool:
        if self.is_running():
            raise RuntimeError("server already running")
        command = [sys.executable, "-m", "smsgate", "serve", "--host", "127.0.0.1"]
        with self.log_path.open("ab") as log:
            # cwd is the data dir, so a developer's smsgate.toml in the repository is not read.
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)],
                cwd=self.data_dir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self._wait_until_ready(log_start)

    def _wait_until_ready(self, log_start: int) -> bool:
        """Poll with a deadline until this process logged that it is listening on the port and
        an HTTP request gets an answer; False when the process exited (a lost port race).

        The log line matters: another server that took the port would answer HTTP just as
        well, and uvicorn logs it only after its own bind (and after the lifespan, which
        starts the delivery worker)."""
        listening = f"Uvicorn running on {self.base_url}".encode()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not self.is_running():
                return False
            if listening in self.log_path.read_bytes()[log_start:] and self._answers_http():
                return True
            time.sleep(POLL_INTERVAL_SECONDS)
        self.kill()
        raise RuntimeError(
            f"smsgate serve not ready in {START_TIMEOUT_SECONDS} s:\n{self.log_tail()}"
        )

    def _answers_http(self) -> bool:
        try:
            httpx.get(f"{self.base_url}/v1/accounts/app", timeout=1.0)
        except httpx.TransportError:
            return False
        return True

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hook runs, as in a crash. Waits until
        the process is gone, so a restart can bind the same port."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> None:
        """SIGTERM, as an operator or a supervisor stops the server; returns at once."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)

    def wait_exited(self, timeout: float = 60.0) -> int:
        """Wait for the process to end by itself; its exit status (negative: a signal)."""
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def restart(self) -> None:
        """Kill (if running) and start again on the same port, data directory and database."""
        self.kill()
        self._restarted = True
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def logged_events(self, lines: int = 400) -> list[dict[str, Any]]:
        """The JSON log lines among the last `lines` of the log (smsgate's own; uvicorn's
        are plain text), parsed."""
        return [json.loads(line) for line in self.log_tail(lines).splitlines() if line[:1] == "{"]

    def wait_for_log(
        self, start: int, wanted: Callable[[list[dict[str, Any]]], bool], timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """The JSON log lines written since byte `start`, polled until `wanted(lines)` holds: a
        request's access line is written after its answer has gone out."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_path.read_bytes()[start:].decode(errors="replace")
            lines = [json.loads(x) for x in text.splitlines() if x.startswith("{")]
            if wanted(lines) or time.monotonic() >= deadline:
                return lines
            time.sleep(POLL_INTERVAL_SECONDS)

    def cli(self, *args: str) -> Any:
        """Run `smsgate <args>` against the server's data and return its stdout parsed as JSON
        (pass `--json` where the command needs it).

        The command runs in this process, with the server's environment and its data dir as the
        working directory: the same command-line code a shell would start, without the
        interpreter start and imports (about a second of CPU) that dominated each call."""
        env: dict[str, str | None] = {key: None for key in os.environ if key.startswith("SMSGATE_")}
        env.update(self.env)
        with _CLI_LOCK, contextlib.chdir(self.data_dir):
            result = CliRunner().invoke(smsgate_cli, list(args), env=env)
        if result.exit_code != 0:
            error = result.exception
            trace = "" if isinstance(error, SystemExit) or error is None else repr(error)
            raise AssertionError(
                f"smsgate {' '.join(args)} exited {result.exit_code}:\n{result.stderr}{trace}"
            )
        return json.loads(result.stdout)

    def create_app(self, name: str, *options: str) -> tuple[str, str]:
        """A new app; returns (app_key, master_secret)."""
        created = self.cli("app", "create", "--name", name, *options, "--json")
        return created["app_key"], created["master_secret"]

    def create_template(self, app_key: str, template_type: int, text: str, *options: str) -> int:
        """An approved template of the app; returns its temp_id."""
        created = self.cli(
            "template",
            "create",
            "--app",
            app_key,
            "--type",
            str(template_type),
            "--template",
            text,
            "--approve",
            *options,
            "--json",
        )
        temp_id: int = created["temp_id"]
        return temp_id

    def inbox(self, mobile: str | None = None) -> list[InboxEntry]:
        """What the sandbox delivered, oldest first (`smsgate sandbox inbox --json`)."""
        args = ["sandbox", "inbox", "--json"]
        if mobile is not None:
            args += ["--mobile", mobile]
        entries: list[InboxEntry] = self.cli(*args)
        return entries

    def wait_for_inbox(
        self,
        ready: Callable[[list[InboxEntry]], bool],
        expectation: str,
        mobile: str | None = None,
        timeout: float = 20.0,
    ) -> list[InboxEntry]:
        """Poll the inbox until `ready(entries)` holds; delivery is asynchronous (outbox, worker),
        so there is no moment to wait for other than the outcome itself. `expectation` says
        what was awaited when the deadline passes."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.inbox(mobile)
            if ready(entries):
                return entries
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"waited {timeout} s for {expectation}; the inbox holds {len(entries)}"
                    " entries, the last ones:\n"
                    + json.dumps(entries[-10:], ensure_ascii=False, indent=1)
                    + f"\nserver log:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def wait_for_messages(
        self, msg_ids: set[str], mobile: str | None = None, timeout: float = 20.0
    ) -> dict[str, InboxEntry]:
        """Wait until every msg_id is in the inbox; returns the entries by msg_id."""
        entries = self.wait_for_inbox(
            lambda found: msg_ids <= {entry["msg_id"] for entry in found},
            f"msg_ids {sorted(msg_ids)}",
            mobile,
            timeout,
        )
        return {entry["msg_id"]: entry for entry in entries if entry["msg_id"] in msg_ids}


def wait_until_ready(url: str, timeout: float = 30.0) -> httpx.Response:
    """Poll a /readyz with a deadline until it answers 200: a process binds its port before
    each background loop has completed its first pass, and is not ready until then."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = httpx.get(url, timeout=2.0)
            if answer.status_code == 200 or time.monotonic() >= deadline:
                return answer
        except httpx.TransportError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(POLL_INTERVAL_SECONDS)


ServerFactory = Callable[..., SmsgateServer]
"""Starts a server of a test's own; keyword arguments are extra SMSGATE_* variables."""


@contextmanager
def fresh_database(backend: str) -> Iterator[str | None]:
    """None for SQLite (the server keeps smsgate.db in its data dir); for PostgreSQL the URL of
    a new, uniquely named database, dropped afterwards even if a killed server left sessions."""
    if backend == "sqlite":
        yield None
        return
    with new_postgres_database(os.environ[POSTGRES_URL_ENV], "smsgate_e2e") as url:
        yield url


@contextmanager
def running_server(
    data_dir: Path, backend: str, extra_env: Mapping[str, str]
) -> Iterator[SmsgateServer]:
    """A started `smsgate serve` on an empty database without the demo app; killed (the whole
    process group) and its database dropped on the way out, whatever happened inside."""
    with fresh_database(backend) as database_url:
        env = clean_environment()
        env.update(
            {
                "SMSGATE_DATA_DIR": str(data_dir),
                "SMSGATE_CREATE_DEMO": "false",
                "SMSGATE_LOG_LEVEL": "info",  # uvicorn says when it listens
            }
        )
        if database_url is not None:
            env["SMSGATE_DATABASE_URL"] = database_url
        env.update(extra_env)
        server = SmsgateServer(data_dir, env)
        try:
            server.start()
            yield server
        finally:
            server.kill()
