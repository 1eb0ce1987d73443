"""The server processes: each started on a free port in its own process group, waited for
until it listens, and always stopped, its log kept to explain a failure."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from errors import BenchError

BENCH_DIR = Path(__file__).resolve().parent
READY_TIMEOUT = 30.0


@dataclass
class Server:
    """A server process in its own session, so stopping it stops everything it started."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def running_bare_app(workdir: Path) -> Iterator[Server]:
    """The baseline server, started once and measured before and after smsgate: it sits idle
    (using no CPU) in between, and the two measurements show how steady the machine was."""
    command = [sys.executable, str(BENCH_DIR / "bare_app.py"), "--host", "127.0.0.1"]
    with running_server("bare", command, workdir, dict(os.environ)) as server:
        yield server


@contextmanager
def running_server(
    name: str, command: list[str], workdir: Path, env: dict[str, str]
) -> Iterator[Server]:
    """Start `command --port PORT`, wait until it accepts connections, always stop it.

    A BenchError raised inside gets the end of this server's log as a note, from the innermost
    server only (the one that was being measured)."""
    port = free_port()
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, process, port, log_path)
    try:
        wait_until_listening(server)
        yield server
    except BenchError as error:
        if not getattr(error, "__notes__", None):
            error.add_note(f"--- last lines of the {name} server log:\n{log_tail(log_path)}")
        raise
    finally:
        stop(process)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_listening(server: Server, timeout: float = READY_TIMEOUT) -> None:
    """Poll the port until it accepts a connection; fail early when the process exits."""
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited with {server.process.returncode} at start")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise BenchError(f"{server.name} did not listen within {timeout}s") from None
            time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (uvicorn shuts down cleanly), SIGKILL it if that hangs."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def peak_rss_mb(pid: int) -> float | None:
    """The most resident memory the process has had (VmHWM), in MB; None without /proc.

    Read before the server stops: its peak over every run made against it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None
